package com.nrsgirls.streaming.core.stream;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Optional;

/**
 * A stream key as a publisher presents it: {@code live_{streamId}_{secret}}. The public part names
 * the stream, so ingest finds the entity without a lookup table; only the SHA-256 of the whole key
 * is ever stored. The secret is 32 random bytes, so a fast hash is enough: there is nothing to
 * brute-force.
 *
 * <p>{@link #toString()} never shows the secret, so a key that ends up in a log line or an
 * exception message leaks nothing.
 */
public final class StreamKey {
  private static final String PREFIX = "live_";
  private static final int SECRET_BYTES = 32;
  private static final int MAX_LENGTH = 256;

  private final String streamId;
  private final String value;

  private StreamKey(String streamId, String value) {
    this.streamId = streamId;
    this.value = value;
  }

  /** A new random key for the stream. */
  public static StreamKey generate(String streamId, SecureRandom random) {
    if (!StreamId.isValid(streamId)) {
      throw new IllegalArgumentException("invalid stream id");
    }
    byte[] secret = new byte[SECRET_BYTES];
    random.nextBytes(secret);
    String encoded = Base64.getUrlEncoder().withoutPadding().encodeToString(secret);
    // Base64url may contain '_' and '-'; the stream id never does, so the first '_' after the
    // prefix still ends the public part.
    return new StreamKey(streamId, PREFIX + streamId + "_" + encoded);
  }

  /**
   * Reads a key as a publisher sent it (an RTMP stream name, which may carry a {@code ?query}).
   * Empty when the text is not shaped like a key of ours.
   */
  public static Optional<StreamKey> parse(String text) {
    if (text == null) {
      return Optional.empty();
    }
    int query = text.indexOf('?');
    String key = query >= 0 ? text.substring(0, query) : text;
    if (key.length() > MAX_LENGTH || !key.startsWith(PREFIX)) {
      return Optional.empty();
    }
    int sep = key.indexOf('_', PREFIX.length());
    if (sep < 0 || sep == key.length() - 1) {
      return Optional.empty();
    }
    String streamId = key.substring(PREFIX.length(), sep);
    if (!StreamId.isValid(streamId)) {
      return Optional.empty();
    }
    return Optional.of(new StreamKey(streamId, key));
  }

  public String streamId() {
    return streamId;
  }

  /** The whole key; give it only to the one who owns the stream, never to a log. */
  public String reveal() {
    return value;
  }

  /** Hex SHA-256 of the whole key: what the stream's journal stores. */
  public String hash() {
    return HexFormat.of().formatHex(sha256(value));
  }

  /** Constant-time comparison against a stored hash. */
  public boolean matches(String storedHash) {
    if (storedHash == null) {
      return false;
    }
    byte[] stored;
    try {
      stored = HexFormat.of().parseHex(storedHash);
    } catch (IllegalArgumentException e) {
      return false;
    }
    return MessageDigest.isEqual(sha256(value), stored);
  }

  private static byte[] sha256(String text) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every JRE", e);
    }
  }

  @Override
  public String toString() {
    return PREFIX + streamId + "_***";
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof StreamKey other
        && MessageDigest.isEqual(
            value.getBytes(StandardCharsets.UTF_8), other.value.getBytes(StandardCharsets.UTF_8));
  }

  @Override
  public int hashCode() {
    return streamId.hashCode();
  }
}

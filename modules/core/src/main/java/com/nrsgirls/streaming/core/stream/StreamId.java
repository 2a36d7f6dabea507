package com.nrsgirls.streaming.core.stream;

import java.security.SecureRandom;
import java.util.regex.Pattern;

/**
 * The public identifier of a stream (channel): it names the sharded entity, the playback URL and
 * the stream key's public part. Twelve lowercase letters and digits, never an underscore, so a
 * stream key {@code live_{streamId}_{secret}} splits without a lookup.
 */
public final class StreamId {
  private static final Pattern VALID = Pattern.compile("[a-z0-9]{6,32}");
  private static final char[] ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789".toCharArray();
  private static final int GENERATED_LENGTH = 12;

  private StreamId() {}

  public static boolean isValid(String id) {
    return id != null && VALID.matcher(id).matches();
  }

  public static String generate(SecureRandom random) {
    char[] id = new char[GENERATED_LENGTH];
    for (int i = 0; i < id.length; i++) {
      id[i] = ALPHABET[random.nextInt(ALPHABET.length)];
    }
    return new String(id);
  }
}

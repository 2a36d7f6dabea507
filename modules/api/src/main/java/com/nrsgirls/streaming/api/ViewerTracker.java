package com.nrsgirls.streaming.api;

import com.nrsgirls.streaming.core.stream.LiveStreamProtocol;
import com.nrsgirls.streaming.core.stream.LiveStreamProtocol.ViewersSeen;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;

/**
 * Which HLS viewers this node served a media playlist to, reported to each stream's entity about
 * once a second, so the entity counts viewers right however they spread over the nodes. A viewer is
 * the session id its master playlist handed out ({@code ?vs=} on the media playlist URLs; segment
 * URLs carry nothing per viewer, so a CDN caches them for everyone), or, for a player that fetched
 * a media playlist without one, a hash of its address and user agent.
 */
final class ViewerTracker {
  /** The query parameter of media playlist URLs that names the viewer's session. */
  static final String PARAMETER = "vs";

  private static final Pattern SESSION = Pattern.compile("[a-z0-9]{16}");
  private static final char[] ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789".toCharArray();
  private static final SecureRandom RANDOM = new SecureRandom();

  /** Viewers reported per stream and interval at most (a flood of made-up ids stays bounded). */
  static final int MAX_PER_REPORT = 100_000;

  /** Viewer ids per message: well under Artery's ordinary frame (256 KiB). */
  static final int PER_MESSAGE = 4_000;

  private final ClusterSharding sharding;
  private final Map<String, Set<String>> seen = new ConcurrentHashMap<>();
  private final javax.crypto.spec.SecretKeySpec key;

  /**
   * @param key signs session ids (the same on every node: derived from the master key), so a client
   *     cannot make up ids that count as viewers
   */
  ViewerTracker(ActorSystem<?> system, Duration interval, byte[] key) {
    this.key = new javax.crypto.spec.SecretKeySpec(key, "HmacSHA256");
    this.sharding = ClusterSharding.get(system);
    system
        .scheduler()
        .scheduleWithFixedDelay(interval, interval, this::report, system.executionContext());
  }

  /**
   * A new viewer session id for {@code streamId}: 16 characters of [a-z0-9], 8 random and 8 of a
   * signature over the stream and those 8.
   */
  String newSession(String streamId) {
    char[] nonce = new char[8];
    for (int i = 0; i < nonce.length; i++) {
      nonce[i] = ALPHABET[RANDOM.nextInt(ALPHABET.length)];
    }
    String n = new String(nonce);
    return n + signature(streamId, n);
  }

  private String signature(String streamId, String nonce) {
    try {
      javax.crypto.Mac mac = javax.crypto.Mac.getInstance("HmacSHA256");
      mac.init(key);
      byte[] h = mac.doFinal((streamId + "/" + nonce).getBytes(StandardCharsets.UTF_8));
      char[] out = new char[8];
      for (int i = 0; i < out.length; i++) {
        out[i] = ALPHABET[(h[i] & 0xff) % ALPHABET.length];
      }
      return new String(out);
    } catch (java.security.GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Whether {@code id} is a session id this cluster handed out for {@code streamId}. */
  boolean isSession(String streamId, String id) {
    return id != null
        && SESSION.matcher(id).matches()
        && java.security.MessageDigest.isEqual(
            signature(streamId, id.substring(0, 8)).getBytes(StandardCharsets.US_ASCII),
            id.substring(8).getBytes(StandardCharsets.US_ASCII));
  }

  /**
   * The viewer a media playlist request stands for: its session id when it is one we handed out,
   * else its address and user agent (a made-up id counts as that, not as a viewer of its own).
   */
  String viewer(String streamId, String session, String address, String userAgent) {
    if (isSession(streamId, session)) {
      return session;
    }
    try {
      byte[] hash =
          MessageDigest.getInstance("SHA-256")
              .digest((address + "\n" + userAgent).getBytes(StandardCharsets.UTF_8));
      return "h" + HexFormat.of().formatHex(hash, 0, 8);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  void seen(String streamId, String viewer) {
    Set<String> viewers = seen.computeIfAbsent(streamId, id -> ConcurrentHashMap.newKeySet());
    if (viewers.size() < MAX_PER_REPORT) {
      viewers.add(viewer);
    }
  }

  private void report() {
    for (String streamId : seen.keySet()) {
      Set<String> viewers = seen.remove(streamId);
      if (viewers != null && !viewers.isEmpty()) {
        List<String> all = List.copyOf(viewers);
        for (int from = 0; from < all.size(); from += PER_MESSAGE) {
          sharding
              .entityRefFor(LiveStreamProtocol.ENTITY_TYPE_KEY, streamId)
              .tell(new ViewersSeen(all.subList(from, Math.min(all.size(), from + PER_MESSAGE))));
        }
      }
    }
  }
}

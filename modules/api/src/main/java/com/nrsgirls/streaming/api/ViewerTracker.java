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

  private final ClusterSharding sharding;
  private final Map<String, Set<String>> seen = new ConcurrentHashMap<>();

  ViewerTracker(ActorSystem<?> system, Duration interval) {
    this.sharding = ClusterSharding.get(system);
    system
        .scheduler()
        .scheduleWithFixedDelay(interval, interval, this::report, system.executionContext());
  }

  /** A new viewer session id: 16 characters of [a-z0-9]. */
  static String newSession() {
    char[] id = new char[16];
    for (int i = 0; i < id.length; i++) {
      id[i] = ALPHABET[RANDOM.nextInt(ALPHABET.length)];
    }
    return new String(id);
  }

  static boolean isSession(String id) {
    return id != null && SESSION.matcher(id).matches();
  }

  /** The viewer a media playlist request stands for. */
  static String viewer(String session, String address, String userAgent) {
    if (isSession(session)) {
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
        sharding
            .entityRefFor(LiveStreamProtocol.ENTITY_TYPE_KEY, streamId)
            .tell(new ViewersSeen(List.copyOf(viewers)));
      }
    }
  }
}

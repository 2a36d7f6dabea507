package com.nrsgirls.streaming.core.stream;

import com.nrsgirls.streaming.core.CborSerializable;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A place a stream is pushed on to while it is live: a platform's RTMP(S) server and the stream key
 * it gave, the key sealed ({@link com.nrsgirls.streaming.core.secret.SecretSeal}, context {@link
 * #sealContext}) so the journal never holds it in plain text.
 *
 * @param targetId the operator's name for it, {@code [a-z0-9-]{1,32}}
 * @param platform {@code youtube}, {@code twitch}, {@code facebook} or {@code custom}
 * @param url the server, {@code rtmp[s]://host[:port]/app}, without the key
 * @param sealedKey the stream key, sealed
 * @param enabled whether it is pushed to while the stream is live
 */
public record RestreamTarget(
    String targetId, String platform, String url, String sealedKey, boolean enabled)
    implements CborSerializable {
  public static final Set<String> PLATFORMS = Set.of("youtube", "twitch", "facebook", "custom");

  /** The most targets one stream may have. */
  public static final int MAX_PER_STREAM = 10;

  private static final Pattern ID = Pattern.compile("[a-z0-9-]{1,32}");

  public RestreamTarget {
    if (targetId == null || !ID.matcher(targetId).matches()) {
      throw new IllegalArgumentException(
          "a target id is 1 to 32 of a-z, 0-9 and -, e.g. youtube-main");
    }
    if (!PLATFORMS.contains(platform)) {
      throw new IllegalArgumentException(
          "platform must be one of youtube, twitch, facebook, custom");
    }
    if (url == null || url.isBlank() || sealedKey == null || sealedKey.isBlank()) {
      throw new IllegalArgumentException("a target needs a url and a stream key");
    }
  }

  /** What a target's key is sealed under: it opens for this stream's target only. */
  public static String sealContext(String streamId, String targetId) {
    return "restream-key:" + streamId + ":" + targetId;
  }

  /**
   * The tallest picture the platform takes (its own guide's maximum); {@link Integer#MAX_VALUE} for
   * a custom server.
   */
  public int maxHeight() {
    return switch (platform) {
      case "youtube", "twitch" -> 1080;
      case "facebook" -> 720;
      default -> Integer.MAX_VALUE;
    };
  }

  /**
   * The highest total bit rate (video and audio) the platform takes, kbit/s; unlimited if custom.
   */
  public int maxKbps() {
    return switch (platform) {
      case "youtube", "twitch" -> 6000;
      case "facebook" -> 4000;
      default -> Integer.MAX_VALUE;
    };
  }

  /** The output name of this target in the stream's graph, health and metrics. */
  public String outputName() {
    return "restream-" + targetId;
  }

  @Override
  public String toString() {
    return "RestreamTarget[" + targetId + " " + platform + " " + url + " enabled=" + enabled + "]";
  }
}

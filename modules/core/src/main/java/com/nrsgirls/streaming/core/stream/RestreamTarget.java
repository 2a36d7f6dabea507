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
 * @param sealedKey the stream key, sealed; null when the platform gives one through its API
 * @param enabled whether it is pushed to while the stream is live
 * @param sealedAccessToken the creator's OAuth access token for the platform's API, sealed (context
 *     {@link #tokenSealContext}); null when the creator linked no account. With one, the platform
 *     is asked for a broadcast and its key before each push (YouTube, Facebook) or for the key
 *     (Twitch)
 */
public record RestreamTarget(
    String targetId,
    String platform,
    String url,
    String sealedKey,
    boolean enabled,
    String sealedAccessToken)
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
    if (url == null || url.isBlank()) {
      throw new IllegalArgumentException("a target needs a url");
    }
    boolean key = sealedKey != null && !sealedKey.isBlank();
    boolean account = sealedAccessToken != null && !sealedAccessToken.isBlank();
    if (!key && !account) {
      throw new IllegalArgumentException("a target needs a stream key or a linked account");
    }
    if (account && platform.equals("custom")) {
      throw new IllegalArgumentException("only youtube, twitch and facebook targets link accounts");
    }
  }

  /** A target with a stream key and no linked account. */
  public RestreamTarget(
      String targetId, String platform, String url, String sealedKey, boolean enabled) {
    this(targetId, platform, url, sealedKey, enabled, null);
  }

  /** Whether the platform's API is asked where to push (the creator linked an account). */
  public boolean linked() {
    return sealedAccessToken != null && !sealedAccessToken.isBlank();
  }

  /** What a target's access token is sealed under. */
  public static String tokenSealContext(String streamId, String targetId) {
    return "restream-token:" + streamId + ":" + targetId;
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

package com.nrsgirls.streaming.api;

import com.nrsgirls.streaming.rtmp.RtmpUrl;
import java.util.Map;

/**
 * The platforms a stream can be pushed on to, with their ingest servers as their own setup guides
 * give them (docs/guides/): a target of a platform may leave its URL out and gets this one.
 */
final class RestreamPlatforms {
  private static final Map<String, String> SERVERS =
      Map.of(
          "youtube", "rtmp://a.rtmp.youtube.com/live2",
          "twitch", "rtmp://live.twitch.tv/app",
          "facebook", "rtmps://live-api-s.facebook.com:443/rtmp");

  private RestreamPlatforms() {}

  /**
   * The server URL a target of {@code platform} pushes to: {@code url} when given, checked, else
   * the platform's own.
   *
   * @throws IllegalArgumentException with a message fit for a 400 answer
   */
  static String serverUrl(String platform, String url) {
    String u = url == null || url.isBlank() ? SERVERS.get(platform) : url.strip();
    if (u == null) {
      throw new IllegalArgumentException("url is required for a custom target");
    }
    if (u.length() > 512) {
      throw new IllegalArgumentException("url must be at most 512 characters");
    }
    RtmpUrl parsed = RtmpUrl.parse(u);
    if (platform.equals("facebook") && !parsed.tls()) {
      throw new IllegalArgumentException("Facebook takes RTMPS only: use an rtmps:// URL");
    }
    return u;
  }
}

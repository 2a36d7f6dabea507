package com.nrsgirls.streaming.pipeline.restream.platform;

import com.typesafe.config.Config;
import java.net.URI;
import java.util.Map;

/**
 * The node's platform API clients, made once from {@code
 * nrs.streaming.pipeline.restream.platforms}.
 */
public final class PlatformClients {
  private PlatformClients() {}

  /** The clients by platform name ({@code youtube}, {@code twitch}, {@code facebook}). */
  public static Map<String, PlatformClient> create(Config config) {
    Config c = config.getConfig("nrs.streaming.pipeline.restream.platforms");
    PlatformHttp http = PlatformHttp.create(c.getDuration("request-timeout"));
    return Map.of(
        "youtube",
        new YouTubeClient(http, URI.create(c.getString("youtube.api-url"))),
        "twitch",
        new TwitchClient(
            http,
            URI.create(c.getString("twitch.api-url")),
            c.getString("twitch.client-id"),
            c.getString("twitch.ingest-url")),
        "facebook",
        new FacebookClient(
            http,
            URI.create(c.getString("facebook.api-url")),
            c.getString("facebook.api-version"),
            c.getString("facebook.live-video-owner")));
  }
}

package com.nrsgirls.streaming.api;

import com.typesafe.config.Config;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * Settings of the node's HTTP side, read once from {@code nrs.streaming.api}.
 *
 * @param bindAddress interface the HTTP server listens on
 * @param port HTTP port; 0 picks a free one (tests)
 * @param publicHttpUrl base URL viewers reach this node at; empty = derived from the bind address
 * @param publicRtmpUrl base RTMP URL publishers reach this node at; empty = derived
 * @param adminToken the operator bearer token from config or environment, if set
 * @param askTimeout how long an API request waits for a stream's entity
 * @param dataDir the node's data directory (journal, segments, admin token)
 * @param segmentDir where HLS segments and playlists are served from
 * @param maxConnections HTTP connections open at once; more are closed as they come
 * @param maxConnectionsPerAddress HTTP connections open at once from one address; 0 = no limit
 * @param requestHeaderTimeout while no request is in flight, the next request head must arrive
 *     within this, or the connection is closed
 * @param requestBodyTimeout a request body must arrive whole within this
 */
public record ApiSettings(
    String bindAddress,
    int port,
    Optional<String> publicHttpUrl,
    Optional<String> publicRtmpUrl,
    Optional<String> adminToken,
    Duration askTimeout,
    Path dataDir,
    Path segmentDir,
    int maxConnections,
    int maxConnectionsPerAddress,
    Duration requestHeaderTimeout,
    Duration requestBodyTimeout) {

  public static ApiSettings create(Config config) {
    Config c = config.getConfig("nrs.streaming.api");
    // pekko-http answers a request still open after its request timeout itself (a 503), which
    // would come before the body deadline's 408.
    if (c.getDuration("request-body-timeout")
            .compareTo(config.getDuration("pekko.http.server.request-timeout"))
        >= 0) {
      throw new IllegalArgumentException(
          "nrs.streaming.api.request-body-timeout must be shorter than"
              + " pekko.http.server.request-timeout");
    }
    return new ApiSettings(
        c.getString("bind-address"),
        c.getInt("port"),
        nonEmpty(c.getString("public-http-url")),
        nonEmpty(c.getString("public-rtmp-url")),
        nonEmpty(c.getString("admin-token")),
        c.getDuration("ask-timeout"),
        Path.of(config.getString("nrs.streaming.data-dir")),
        Path.of(config.getString("nrs.streaming.pipeline.hls.segment-dir")),
        c.getInt("max-connections"),
        c.getInt("max-connections-per-address"),
        c.getDuration("request-header-timeout"),
        c.getDuration("request-body-timeout"));
  }

  private static Optional<String> nonEmpty(String s) {
    return s == null || s.isBlank() ? Optional.empty() : Optional.of(s.strip());
  }
}

package com.nrsgirls.streaming.pipeline.restream.platform;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletionStage;

/**
 * YouTube Data API v3: a broadcast ({@code liveBroadcasts.insert}, auto start and stop), a stream
 * ({@code liveStreams.insert}, RTMP, variable resolution and frame rate) whose ingestion address
 * and stream name are where to push, bound together ({@code liveBroadcasts.bind}); at the end
 * {@code liveBroadcasts.transition} to {@code complete}. Errors per the API's error model: 401,
 * {@code quotaExceeded}, {@code rateLimitExceeded}, {@code liveStreamingNotEnabled}.
 */
public final class YouTubeClient implements PlatformClient {
  private final PlatformHttp http;
  private final URI base;

  /**
   * @param base {@code https://www.googleapis.com} (a local server in tests)
   */
  public YouTubeClient(PlatformHttp http, URI base) {
    this.http = http;
    this.base = base;
  }

  @Override
  public String platform() {
    return "youtube";
  }

  @Override
  public CompletionStage<Ingest> prepare(String token, Broadcast broadcast) {
    ObjectNode b = PlatformHttp.JSON.createObjectNode();
    ObjectNode snippet = b.putObject("snippet");
    snippet.put("title", broadcast.title());
    snippet.put("description", broadcast.description() == null ? "" : broadcast.description());
    snippet.put("scheduledStartTime", broadcast.scheduledStart().toString());
    b.putObject("status").put("privacyStatus", "public").put("selfDeclaredMadeForKids", false);
    b.putObject("contentDetails").put("enableAutoStart", true).put("enableAutoStop", true);
    ObjectNode s = PlatformHttp.JSON.createObjectNode();
    s.putObject("snippet").put("title", broadcast.title());
    s.putObject("cdn")
        .put("ingestionType", "rtmp")
        .put("resolution", "variable")
        .put("frameRate", "variable");
    s.putObject("contentDetails").put("isReusable", false);
    return post(token, "/youtube/v3/liveBroadcasts?part=snippet,status,contentDetails", b)
        .thenCompose(
            created -> {
              String broadcastId = created.path("id").asText();
              return post(token, "/youtube/v3/liveStreams?part=snippet,cdn,contentDetails", s)
                  .thenCompose(
                      stream -> {
                        JsonNode info = stream.path("cdn").path("ingestionInfo");
                        String streamId = stream.path("id").asText();
                        Ingest ingest =
                            new Ingest(
                                info.path("ingestionAddress").asText(),
                                info.path("streamName").asText(),
                                broadcastId);
                        return post(
                                token,
                                "/youtube/v3/liveBroadcasts/bind?part=id,contentDetails&id="
                                    + enc(broadcastId)
                                    + "&streamId="
                                    + enc(streamId),
                                null)
                            .thenApply(bound -> ingest);
                      });
            });
  }

  @Override
  public CompletionStage<Void> end(String token, Ingest ingest) {
    return post(
            token,
            "/youtube/v3/liveBroadcasts/transition?part=status&broadcastStatus=complete&id="
                + enc(ingest.broadcastId()),
            null)
        .thenApply(done -> null);
  }

  private CompletionStage<JsonNode> post(String token, String path, JsonNode body) {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(base.resolve(path))
            .header("Authorization", "Bearer " + token)
            .header("Content-Type", "application/json")
            .POST(
                body == null
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(body.toString()));
    return http.send(request, YouTubeClient::error, List.of(token));
  }

  /** {@code {"error": {"code", "message", "errors": [{"reason"}]}}}. */
  private static PlatformException error(int status, JsonNode body, HttpResponse<String> response) {
    JsonNode e = body.path("error");
    String reason = e.path("errors").path(0).path("reason").asText("");
    String message = e.path("message").asText("HTTP " + status);
    PlatformException.Kind kind =
        switch (reason) {
          case "quotaExceeded", "dailyLimitExceeded" -> PlatformException.Kind.QUOTA_EXCEEDED;
          case "rateLimitExceeded", "userRateLimitExceeded" -> PlatformException.Kind.RATE_LIMITED;
          case "authError", "insufficientPermissions" -> PlatformException.Kind.UNAUTHORIZED;
          default -> PlatformHttp.kindOf(status);
        };
    Duration retry = PlatformHttp.retryAfter(response);
    return new PlatformException(
        kind, "YouTube: " + message + (reason.isEmpty() ? "" : " (" + reason + ")"), retry);
  }

  private static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }
}

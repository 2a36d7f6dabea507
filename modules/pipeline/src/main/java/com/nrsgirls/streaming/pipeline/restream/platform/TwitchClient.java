package com.nrsgirls.streaming.pipeline.restream.platform;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Twitch Helix: the token's user ({@code GET /helix/users}), the channel's title set ({@code PATCH
 * /helix/channels}), its stream key read ({@code GET /helix/streams/key}, scope {@code
 * channel:read:stream_key}); the push goes to the configured ingest server. Whether the channel is
 * live: {@code GET /helix/streams}. Twitch ends a broadcast when the push stops. A 429 carries
 * {@code Ratelimit-Reset} (epoch seconds), which becomes the retry time.
 */
public final class TwitchClient implements PlatformClient {
  private final PlatformHttp http;
  private final URI base;
  private final String clientId;
  private final String ingestUrl;

  /**
   * @param base {@code https://api.twitch.tv} (a local server in tests)
   * @param clientId the application's Twitch client id, sent with every call
   * @param ingestUrl where pushes go, e.g. {@code rtmp://live.twitch.tv/app}
   */
  public TwitchClient(PlatformHttp http, URI base, String clientId, String ingestUrl) {
    this.http = http;
    this.base = base;
    this.clientId = clientId;
    this.ingestUrl = ingestUrl;
  }

  @Override
  public String platform() {
    return "twitch";
  }

  @Override
  public CompletionStage<Ingest> prepare(String token, Broadcast broadcast) {
    return userId(token)
        .thenCompose(
            user -> {
              String title =
                  PlatformHttp.JSON.createObjectNode().put("title", broadcast.title()).toString();
              return call(token, "PATCH", "/helix/channels?broadcaster_id=" + enc(user), title)
                  .thenCompose(
                      updated ->
                          call(
                              token, "GET", "/helix/streams/key?broadcaster_id=" + enc(user), null))
                  .thenApply(
                      key ->
                          new Ingest(
                              ingestUrl,
                              key.path("data").path(0).path("stream_key").asText(),
                              null));
            });
  }

  @Override
  public CompletionStage<Void> end(String token, Ingest ingest) {
    return CompletableFuture.completedFuture(null); // Twitch ends it when the push stops
  }

  /** Whether the token's channel is live now, as Twitch sees it. */
  public CompletionStage<Boolean> isLive(String token) {
    return userId(token)
        .thenCompose(user -> call(token, "GET", "/helix/streams?user_id=" + enc(user), null))
        .thenApply(streams -> "live".equals(streams.path("data").path(0).path("type").asText()));
  }

  private CompletionStage<String> userId(String token) {
    return call(token, "GET", "/helix/users", null)
        .thenApply(
            users -> {
              String id = users.path("data").path(0).path("id").asText("");
              if (id.isEmpty()) {
                throw new PlatformException(
                    PlatformException.Kind.UNAUTHORIZED, "Twitch: the token names no user", null);
              }
              return id;
            });
  }

  private CompletionStage<JsonNode> call(String token, String method, String path, String body) {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(base.resolve(path))
            .header("Authorization", "Bearer " + token)
            .header("Client-Id", clientId)
            .method(
                method,
                body == null
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(body));
    if (body != null) {
      request.header("Content-Type", "application/json");
    }
    return http.send(request, TwitchClient::error, List.of(token));
  }

  /** {@code {"error": "Unauthorized", "status": 401, "message": "Invalid OAuth token"}}. */
  private static PlatformException error(int status, JsonNode body, HttpResponse<String> response) {
    Duration retry = PlatformHttp.retryAfter(response);
    if (status == 429) {
      retry =
          response
              .headers()
              .firstValue("Ratelimit-Reset")
              .map(
                  v -> {
                    try {
                      long reset = Long.parseLong(v.strip());
                      return Duration.ofSeconds(
                          Math.max(1, reset - Instant.now().getEpochSecond()));
                    } catch (NumberFormatException e) {
                      return null;
                    }
                  })
              .orElse(retry);
    }
    String message = body.path("message").asText(body.path("error").asText("HTTP " + status));
    return new PlatformException(PlatformHttp.kindOf(status), "Twitch: " + message, retry);
  }

  private static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }
}

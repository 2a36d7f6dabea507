package com.nrsgirls.streaming.pipeline.restream.platform;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletionStage;

/**
 * Facebook Graph API: a live video on the creator's page or profile ({@code POST
 * /{id}/live_videos}, status {@code LIVE_NOW}), whose {@code secure_stream_url} (RTMPS: Facebook
 * takes nothing else) splits into server and key; at the end {@code POST /{live-video-id}} with
 * {@code end_live_video=true}. Errors per Graph's model: code 190 is a bad token, 4, 17, 32 and 613
 * are rate limits.
 */
public final class FacebookClient implements PlatformClient {
  private final PlatformHttp http;
  private final URI base;
  private final String version;
  private final String target;

  /**
   * @param base {@code https://graph.facebook.com} (a local server in tests)
   * @param version the Graph API version, e.g. {@code v19.0}
   * @param target where the live video goes: a page id, or {@code me} for the profile
   */
  public FacebookClient(PlatformHttp http, URI base, String version, String target) {
    this.http = http;
    this.base = base;
    this.version = version;
    this.target = target;
  }

  @Override
  public String platform() {
    return "facebook";
  }

  @Override
  public CompletionStage<Ingest> prepare(String token, Broadcast broadcast) {
    String form =
        "status=LIVE_NOW&title="
            + enc(broadcast.title())
            + "&description="
            + enc(broadcast.description() == null ? "" : broadcast.description());
    return post(token, "/" + version + "/" + enc(target) + "/live_videos", form)
        .thenApply(
            video -> {
              String secure = video.path("secure_stream_url").asText("");
              int slash = secure.lastIndexOf('/');
              if (!secure.startsWith("rtmps://") || slash <= "rtmps://".length()) {
                throw new PlatformException(
                    PlatformException.Kind.UNAVAILABLE,
                    "Facebook: the live video came without an RTMPS stream URL",
                    null);
              }
              return new Ingest(
                  secure.substring(0, slash),
                  secure.substring(slash + 1),
                  video.path("id").asText());
            });
  }

  @Override
  public CompletionStage<Void> end(String token, Ingest ingest) {
    return post(token, "/" + version + "/" + enc(ingest.broadcastId()), "end_live_video=true")
        .thenApply(done -> null);
  }

  private CompletionStage<JsonNode> post(String token, String path, String form) {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(base.resolve(path))
            .header("Authorization", "Bearer " + token)
            .header("Content-Type", "application/x-www-form-urlencoded")
            .POST(HttpRequest.BodyPublishers.ofString(form));
    return http.send(request, FacebookClient::error, List.of(token));
  }

  /** {@code {"error": {"message", "type", "code", "error_subcode"}}}. */
  private static PlatformException error(int status, JsonNode body, HttpResponse<String> response) {
    JsonNode e = body.path("error");
    int code = e.path("code").asInt(0);
    PlatformException.Kind kind =
        switch (code) {
          case 190, 102 -> PlatformException.Kind.UNAUTHORIZED;
          case 4, 17, 32, 613 -> PlatformException.Kind.RATE_LIMITED;
          default -> PlatformHttp.kindOf(status);
        };
    String message = e.path("message").asText("HTTP " + status);
    return new PlatformException(
        kind,
        "Facebook: " + message + (code != 0 ? " (code " + code + ")" : ""),
        PlatformHttp.retryAfter(response));
  }

  private static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }
}

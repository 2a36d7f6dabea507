package com.nrsgirls.streaming.pipeline.restream.platform;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.nrsgirls.streaming.pipeline.restream.platform.PlatformClient.Broadcast;
import com.nrsgirls.streaming.pipeline.restream.platform.PlatformClient.Ingest;
import com.nrsgirls.streaming.testkit.FakeWebApi;
import java.net.ServerSocket;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The platform clients against a local server that answers as YouTube, Twitch and Facebook document
 * it: the calls they make, in order, and how each documented error comes back.
 */
class PlatformClientsTest {
  private static final String TOKEN = "ya29.a0-secret-token";
  private static final Broadcast FRIDAY =
      new Broadcast(
          "Friday night set", "live from the club", Instant.parse("2026-11-30T20:00:00Z"));

  private final PlatformHttp http = PlatformHttp.create(Duration.ofSeconds(5));
  private final FakeWebApi server;

  PlatformClientsTest() throws Exception {
    server = new FakeWebApi();
  }

  @AfterEach
  void stop() {
    server.close();
  }

  private static <T> T await(CompletionStage<T> stage) throws Exception {
    return stage.toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  private static PlatformException failure(CompletionStage<?> stage) {
    CompletionException e =
        assertThrows(CompletionException.class, () -> stage.toCompletableFuture().join());
    return assertInstanceOf(PlatformException.class, e.getCause());
  }

  @Test
  void youTubeCreatesABroadcastAndAStreamAndBindsThem() throws Exception {
    server
        .answer(
            200,
            """
            {"kind": "youtube#liveBroadcast", "id": "bc-123",
             "snippet": {"title": "Friday night set"},
             "status": {"lifeCycleStatus": "created", "privacyStatus": "public"}}""")
        .answer(
            200,
            """
            {"kind": "youtube#liveStream", "id": "st-456",
             "cdn": {"ingestionType": "rtmp", "resolution": "variable", "frameRate": "variable",
               "ingestionInfo": {"streamName": "abcd-efgh-ijkl-mnop",
                 "ingestionAddress": "rtmp://a.rtmp.youtube.com/live2",
                 "backupIngestionAddress": "rtmp://b.rtmp.youtube.com/live2?backup=1"}}}""")
        .answer(200, "{\"kind\": \"youtube#liveBroadcast\", \"id\": \"bc-123\"}")
        .answer(200, "{\"kind\": \"youtube#liveBroadcast\", \"id\": \"bc-123\"}");
    YouTubeClient youtube = new YouTubeClient(http, server.base());

    Ingest ingest = await(youtube.prepare(TOKEN, FRIDAY));
    assertEquals("rtmp://a.rtmp.youtube.com/live2", ingest.url());
    assertEquals("abcd-efgh-ijkl-mnop", ingest.streamKey());
    assertEquals("bc-123", ingest.broadcastId());
    assertFalse(ingest.toString().contains("abcd"), "an ingest never prints its key");

    FakeWebApi.Request insert = server.requests.get(0);
    assertEquals("POST", insert.method());
    assertEquals(
        "/youtube/v3/liveBroadcasts?part=snippet,status,contentDetails", insert.pathAndQuery());
    assertEquals("Bearer " + TOKEN, insert.header("Authorization"));
    JsonNode broadcast = PlatformHttp.JSON.readTree(insert.body());
    assertEquals("Friday night set", broadcast.at("/snippet/title").asText());
    assertEquals("2026-11-30T20:00:00Z", broadcast.at("/snippet/scheduledStartTime").asText());
    assertTrue(broadcast.at("/contentDetails/enableAutoStart").asBoolean());
    JsonNode stream = PlatformHttp.JSON.readTree(server.requests.get(1).body());
    assertEquals("rtmp", stream.at("/cdn/ingestionType").asText());
    assertEquals(
        "/youtube/v3/liveBroadcasts/bind?part=id,contentDetails&id=bc-123&streamId=st-456",
        server.requests.get(2).pathAndQuery());

    await(youtube.end(TOKEN, ingest));
    assertEquals(
        "/youtube/v3/liveBroadcasts/transition?part=status&broadcastStatus=complete&id=bc-123",
        server.requests.get(3).pathAndQuery());
  }

  @Test
  void youTubeErrorsComeBackAsWhatToDoNext() {
    YouTubeClient youtube = new YouTubeClient(http, server.base());
    server.answer(
        403,
        """
        {"error": {"code": 403,
          "message": "The request cannot be completed because you have exceeded your quota.",
          "errors": [{"message": "The request cannot be completed because you have exceeded your quota.",
            "domain": "youtube.quota", "reason": "quotaExceeded"}]}}""");
    PlatformException quota = failure(youtube.prepare(TOKEN, FRIDAY));
    assertEquals(PlatformException.Kind.QUOTA_EXCEEDED, quota.kind());
    assertTrue(quota.getMessage().contains("exceeded your quota"), quota.getMessage());

    server.answer(
        403,
        """
        {"error": {"code": 403, "message": "The user is not enabled for live streaming.",
          "errors": [{"domain": "youtube.liveBroadcast", "reason": "liveStreamingNotEnabled"}]}}""");
    PlatformException notEnabled = failure(youtube.prepare(TOKEN, FRIDAY));
    assertEquals(PlatformException.Kind.REFUSED, notEnabled.kind());
    assertTrue(notEnabled.getMessage().contains("liveStreamingNotEnabled"));

    server.answer(
        401,
        """
        {"error": {"code": 401, "message": "Request had invalid authentication credentials: """
            + TOKEN
            + """
        ", "errors": [{"reason": "authError"}], "status": "UNAUTHENTICATED"}}""");
    PlatformException unauthorized = failure(youtube.prepare(TOKEN, FRIDAY));
    assertEquals(PlatformException.Kind.UNAUTHORIZED, unauthorized.kind());
    assertFalse(unauthorized.getMessage().contains(TOKEN), "never the token");

    server.answer(
        403,
        "{\"error\": {\"code\": 403, \"errors\": [{\"reason\": \"rateLimitExceeded\"}]}}",
        Map.of("Retry-After", "30"));
    PlatformException limited = failure(youtube.prepare(TOKEN, FRIDAY));
    assertEquals(PlatformException.Kind.RATE_LIMITED, limited.kind());
    assertEquals(Duration.ofSeconds(30), limited.retryAfter());
  }

  @Test
  void twitchSetsTheTitleAndReadsTheStreamKey() throws Exception {
    server
        .answer(
            200,
            """
            {"data": [{"id": "141981764", "login": "djnrs", "display_name": "DJ NRS",
              "broadcaster_type": "affiliate"}]}""")
        .answer(204, "")
        .answer(200, "{\"data\": [{\"stream_key\": \"live_141981764_AbCdEfGh\"}]}");
    TwitchClient twitch =
        new TwitchClient(http, server.base(), "client-abc", "rtmp://live.twitch.tv/app");

    Ingest ingest = await(twitch.prepare(TOKEN, FRIDAY));
    assertEquals("rtmp://live.twitch.tv/app", ingest.url());
    assertEquals("live_141981764_AbCdEfGh", ingest.streamKey());
    assertEquals("/helix/users", server.requests.get(0).pathAndQuery());
    FakeWebApi.Request update = server.requests.get(1);
    assertEquals("PATCH", update.method());
    assertEquals("/helix/channels?broadcaster_id=141981764", update.pathAndQuery());
    assertEquals(
        "Friday night set", PlatformHttp.JSON.readTree(update.body()).path("title").asText());
    assertEquals("client-abc", update.header("Client-Id"));
    assertEquals("Bearer " + TOKEN, update.header("Authorization"));
    assertEquals(
        "/helix/streams/key?broadcaster_id=141981764", server.requests.get(2).pathAndQuery());

    server
        .answer(200, "{\"data\": [{\"id\": \"141981764\"}]}")
        .answer(
            200,
            """
            {"data": [{"id": "40952121085", "user_id": "141981764", "type": "live",
              "title": "Friday night set", "viewer_count": 78}], "pagination": {}}""");
    assertTrue(await(twitch.isLive(TOKEN)));
    server
        .answer(200, "{\"data\": [{\"id\": \"141981764\"}]}")
        .answer(200, "{\"data\": [], \"pagination\": {}}");
    assertFalse(await(twitch.isLive(TOKEN)));
  }

  @Test
  void twitchRateLimitsAndBadTokens() {
    TwitchClient twitch =
        new TwitchClient(http, server.base(), "client-abc", "rtmp://live.twitch.tv/app");
    long reset = Instant.now().getEpochSecond() + 20;
    server.answer(
        429,
        "{\"error\": \"Too Many Requests\", \"status\": 429, \"message\": \"\"}",
        Map.of(
            "Ratelimit-Limit", "800", "Ratelimit-Remaining", "0", "Ratelimit-Reset", "" + reset));
    PlatformException limited = failure(twitch.prepare(TOKEN, FRIDAY));
    assertEquals(PlatformException.Kind.RATE_LIMITED, limited.kind());
    assertTrue(
        limited.retryAfter().getSeconds() >= 15 && limited.retryAfter().getSeconds() <= 20,
        "until the reset: " + limited.retryAfter());

    server.answer(
        401,
        "{\"error\": \"Unauthorized\", \"status\": 401, \"message\": \"Invalid OAuth token\"}");
    PlatformException unauthorized = failure(twitch.prepare(TOKEN, FRIDAY));
    assertEquals(PlatformException.Kind.UNAUTHORIZED, unauthorized.kind());
    assertEquals("Twitch: Invalid OAuth token", unauthorized.getMessage());
  }

  @Test
  void facebookCreatesALiveVideoAndPushesOverRtmps() throws Exception {
    server
        .answer(
            200,
            """
            {"id": "10158532346912345",
             "stream_url": "rtmp://live-api-s.facebook.com:80/rtmp/FB-10158532346912345-0-AbxKey",
             "secure_stream_url": "rtmps://live-api-s.facebook.com:443/rtmp/FB-10158532346912345-0-AbxKey"}""")
        .answer(200, "{\"id\": \"10158532346912345\"}");
    FacebookClient facebook = new FacebookClient(http, server.base(), "v19.0", "me");

    Ingest ingest = await(facebook.prepare(TOKEN, FRIDAY));
    assertEquals("rtmps://live-api-s.facebook.com:443/rtmp", ingest.url());
    assertEquals("FB-10158532346912345-0-AbxKey", ingest.streamKey());
    FakeWebApi.Request create = server.requests.get(0);
    assertEquals("/v19.0/me/live_videos", create.pathAndQuery());
    assertTrue(create.body().contains("status=LIVE_NOW"), create.body());
    assertTrue(create.body().contains("title=Friday+night+set"), create.body());
    assertEquals("Bearer " + TOKEN, create.header("Authorization"));

    await(facebook.end(TOKEN, ingest));
    FakeWebApi.Request end = server.requests.get(1);
    assertEquals("/v19.0/10158532346912345", end.pathAndQuery());
    assertEquals("end_live_video=true", end.body());
  }

  @Test
  void facebookErrorsByTheirCodes() {
    FacebookClient facebook = new FacebookClient(http, server.base(), "v19.0", "me");
    server.answer(
        400,
        """
        {"error": {"message": "Error validating access token: Session has expired.",
          "type": "OAuthException", "code": 190, "error_subcode": 463,
          "fbtrace_id": "A1b2C3"}}""");
    assertEquals(
        PlatformException.Kind.UNAUTHORIZED, failure(facebook.prepare(TOKEN, FRIDAY)).kind());
    server.answer(
        400,
        """
        {"error": {"message": "Calls to this api have exceeded the rate limit.",
          "type": "OAuthException", "code": 613}}""");
    assertEquals(
        PlatformException.Kind.RATE_LIMITED, failure(facebook.prepare(TOKEN, FRIDAY)).kind());
    server.answer(
        200, "{\"id\": \"1\", \"stream_url\": \"rtmp://live-api-s.facebook.com:80/rtmp/x\"}");
    assertEquals(
        PlatformException.Kind.UNAVAILABLE,
        failure(facebook.prepare(TOKEN, FRIDAY)).kind(),
        "a live video without an RTMPS URL cannot be pushed to");
  }

  @Test
  void aPlatformThatCannotBeReachedIsUnavailable() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    YouTubeClient youtube = new YouTubeClient(http, URI.create("http://127.0.0.1:" + port));
    PlatformException e = failure(youtube.prepare(TOKEN, FRIDAY));
    assertEquals(PlatformException.Kind.UNAVAILABLE, e.kind());
    assertFalse(e.getMessage().contains(TOKEN));
  }
}

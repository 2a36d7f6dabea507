package com.nrsgirls.streaming.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.nrsgirls.streaming.testkit.Chromium;
import com.nrsgirls.streaming.testkit.TestClips;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * WHEP playback in headless Chromium (Debian's), as a viewer's browser plays it: an RTMP-published
 * stream (ffmpeg, H.264 without B-frames, and AAC) answers a recvonly offer; the browser connects
 * (ICE-lite, DTLS, SRTP), decodes the video at its size and receives the audio as Opus; its DELETE
 * ends the viewer. Refusals first.
 */
class WhepEndToEndTest {
  /** A browser's recvonly offer in shape (its credentials are never used: the stream is idle). */
  private static final String OFFER =
      String.join(
          "\r\n",
          "v=0",
          "o=- 1 2 IN IP4 127.0.0.1",
          "s=-",
          "t=0 0",
          "a=group:BUNDLE 0",
          "m=video 9 UDP/TLS/RTP/SAVPF 102",
          "c=IN IP4 0.0.0.0",
          "a=ice-ufrag:Ab1c",
          "a=ice-pwd:aBcDeFgHiJkLmNoPqRsTuVwX",
          "a=fingerprint:sha-256 11:22:33:44",
          "a=setup:actpass",
          "a=mid:0",
          "a=recvonly",
          "a=rtcp-mux",
          "a=rtpmap:102 H264/90000",
          "a=fmtp:102 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f",
          "");

  @TempDir Path dataDir;

  private static HttpResponse<String> post(TestNode node, String path, String type, String body)
      throws Exception {
    return HttpClient.newHttpClient()
        .send(
            HttpRequest.newBuilder(URI.create(node.httpUrl(path)))
                .POST(HttpRequest.BodyPublishers.ofString(body))
                .header("Content-Type", type)
                .build(),
            HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void anRtmpPublishedStreamPlaysOverWhepInChromium() throws Exception {
    try (TestNode node = TestNode.start(dataDir)) {
      JsonNode created = node.createStream("whep");
      String streamId = created.get("streamId").asText();
      String key = created.get("streamKey").asText();

      HttpResponse<String> idle = post(node, "/whep/" + streamId, "application/sdp", OFFER);
      assertEquals(404, idle.statusCode(), idle.body());
      assertTrue(idle.body().contains("not_live"), idle.body());
      assertEquals(
          415, post(node, "/whep/" + streamId, "application/json", "{}").statusCode(), "not SDP");
      HttpResponse<String> bad = post(node, "/whep/" + streamId, "application/sdp", "not sdp");
      assertEquals(400, bad.statusCode(), bad.body());
      assertEquals(
          404, post(node, "/whep/NOT_A_STREAM", "application/sdp", OFFER).statusCode(), "no id");

      Process rtmp =
          Publisher.start(
              TestClips.flv(TestClips.Encoding.NO_B_FRAMES, 10, 640, 360), node.rtmpUrl(key), 6);
      try (Chromium viewer = Chromium.start()) {
        node.awaitState(
            streamId, Duration.ofSeconds(20), s -> s.get("status").asText().equals("live"));
        JsonNode played = play(viewer, node, streamId);
        String location = played.get("location").asText();
        assertTrue(location.matches("/whep/" + streamId + "/[0-9a-f]{24}"), location);
        String answer = played.get("answer").asText();
        assertTrue(answer.contains("a=sendonly") && answer.contains("a=ice-lite"), answer);
        node.awaitMetric("nrs_webrtc_viewers 1.0", Duration.ofSeconds(10));

        JsonNode stats =
            awaitStats(
                viewer,
                Duration.ofSeconds(30),
                s ->
                    s.path("inbound-rtp-video").path("framesDecoded").asInt() >= 90
                        && s.path("inbound-rtp-audio").path("packetsReceived").asInt() >= 100);
        JsonNode video = stats.get("inbound-rtp-video");
        assertEquals(640, video.path("frameWidth").asInt(), video.toString());
        assertEquals(360, video.path("frameHeight").asInt(), video.toString());
        assertEquals("connected", stats.path("state").asText(), stats.toString());
        JsonNode audio = stats.get("inbound-rtp-audio");
        assertTrue(audio.path("totalSamplesReceived").asLong() > 0, "audio plays: " + audio);

        assertEquals(200, viewer.evaluate("nrs.stop()", Duration.ofSeconds(10)).asInt());
        node.awaitMetric("nrs_webrtc_viewers 0.0", Duration.ofSeconds(10));
      } finally {
        Publisher.kill(rtmp);
      }
    }
  }

  /**
   * H.264 with B-frames (OBS's x264 and NVENC defaults) cannot be played by a browser over WebRTC:
   * it decodes the keyframes only. The node says so instead of showing a still picture: the viewers
   * of such a stream are ended and new ones refused with the reason, until a publisher sends none.
   */
  @Test
  void aStreamWithBFramesIsRefusedWithTheReason() throws Exception {
    try (TestNode node = TestNode.start(dataDir)) {
      JsonNode created = node.createStream("bframes");
      String streamId = created.get("streamId").asText();
      Process rtmp =
          Publisher.start(
              TestClips.flv(10, 640, 360), node.rtmpUrl(created.get("streamKey").asText()), 6);
      try {
        node.awaitState(
            streamId, Duration.ofSeconds(20), s -> s.get("status").asText().equals("live"));
        HttpResponse<String> first = post(node, "/whep/" + streamId, "application/sdp", OFFER);
        assertEquals(201, first.statusCode(), "not known before the frames come: " + first.body());
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        HttpResponse<String> refused = first;
        while (refused.statusCode() != 422 && System.nanoTime() < deadline) {
          Thread.sleep(200); // poll interval of a probe
          refused = post(node, "/whep/" + streamId, "application/sdp", OFFER);
        }
        assertEquals(422, refused.statusCode(), refused.body());
        assertTrue(refused.body().contains("b_frames"), refused.body());
        node.awaitMetric("nrs_webrtc_viewers 0.0", Duration.ofSeconds(20));
      } finally {
        Publisher.kill(rtmp);
      }
    }
  }

  /**
   * A viewer keeps playing through a publisher's takeover: the new session's timeline is stitched
   * onto the old one, so the browser's decoder just goes on (one connection, frames still rising).
   */
  @Test
  void aViewerKeepsPlayingThroughATakeover() throws Exception {
    try (TestNode node = TestNode.start(dataDir)) {
      JsonNode created = node.createStream("takeover");
      String streamId = created.get("streamId").asText();
      String key = created.get("streamKey").asText();
      Process first =
          Publisher.start(
              TestClips.flv(TestClips.Encoding.NO_B_FRAMES, 10, 640, 360), node.rtmpUrl(key), 6);
      Process second = null;
      try (Chromium viewer = Chromium.start()) {
        String session =
            node.awaitState(
                    streamId, Duration.ofSeconds(20), s -> s.get("status").asText().equals("live"))
                .get("session")
                .get("sessionId")
                .asText();
        play(viewer, node, streamId);
        int before =
            awaitStats(
                    viewer,
                    Duration.ofSeconds(30),
                    s -> s.path("inbound-rtp-video").path("framesDecoded").asInt() >= 60)
                .path("inbound-rtp-video")
                .path("framesDecoded")
                .asInt();

        second =
            Publisher.start(
                TestClips.flv(TestClips.Encoding.NO_B_FRAMES, 10, 640, 360), node.rtmpUrl(key), 6);
        node.awaitState(
            streamId,
            Duration.ofSeconds(20),
            s ->
                s.get("status").asText().equals("live")
                    && !s.get("session").get("sessionId").asText().equals(session));
        Publisher.await(first, 20); // the node closed the first publisher's connection
        JsonNode after =
            awaitStats(
                viewer,
                Duration.ofSeconds(30),
                s -> s.path("inbound-rtp-video").path("framesDecoded").asInt() >= before + 120);
        assertEquals("connected", after.path("state").asText(), after.toString());
        node.awaitMetric("nrs_webrtc_viewers 1.0", Duration.ofSeconds(5));
      } finally {
        Publisher.kill(first);
        Publisher.kill(second);
      }
    }
  }

  /**
   * A browser publishes over WHIP (Chromium's fake camera and microphone, H.264 and Opus) and
   * another browser watches it over WHEP; the stream's HLS has the same media, with AAC audio.
   */
  @Test
  void chromiumPublishesOverWhipAndAnotherChromiumWatchesOverWhep() throws Exception {
    try (TestNode node = TestNode.start(dataDir)) {
      JsonNode created = node.createStream("browser");
      String streamId = created.get("streamId").asText();
      String key = created.get("streamKey").asText();
      try (Chromium publisher = Chromium.start();
          Chromium viewer = Chromium.start()) {
        client(publisher, node);
        JsonNode published =
            publisher.evaluate("nrs.publish('/whip', '" + key + "')", Duration.ofSeconds(20));
        assertEquals(201, published.get("status").asInt(), published.toString());
        node.awaitState(
            streamId, Duration.ofSeconds(20), s -> s.get("status").asText().equals("live"));
        node.awaitFile(
            node.mediaPlaylist(streamId),
            Duration.ofSeconds(30),
            text -> text.lines().filter(l -> l.endsWith(".ts")).count() >= 2);
        com.nrsgirls.streaming.testkit.Processes.Result probe =
            com.nrsgirls.streaming.testkit.Ffprobe.run(
                node.httpUrl("/live/" + streamId + "/source/index.m3u8"),
                "-show_entries",
                "stream=codec_name",
                "-of",
                "csv=p=0");
        assertEquals(
            java.util.List.of("h264", "aac"),
            probe
                .stdout()
                .lines()
                .map(String::strip)
                .filter(l -> !l.isEmpty())
                .distinct() // ffprobe lists each stream again under its program
                .sorted(java.util.Comparator.reverseOrder())
                .toList(),
            probe.stderr());

        play(viewer, node, streamId);
        JsonNode stats =
            awaitStats(
                viewer,
                Duration.ofSeconds(30),
                s ->
                    s.path("inbound-rtp-video").path("framesDecoded").asInt() >= 60
                        && s.path("inbound-rtp-audio").path("packetsReceived").asInt() >= 50);
        assertEquals(
            640, stats.path("inbound-rtp-video").path("frameWidth").asInt(), stats.toString());

        assertEquals(200, publisher.evaluate("nrs.stop()", Duration.ofSeconds(10)).asInt());
        node.awaitState(
            streamId, Duration.ofSeconds(20), s -> !s.get("status").asText().equals("live"));
      }
    }
  }

  /** Opens a page of the node in {@code browser} and loads the tests' WebRTC client there. */
  static void client(Chromium browser, TestNode node) throws Exception {
    browser.open(node.httpUrl("/health/alive"), Duration.ofSeconds(20));
    browser.loadWebRtcClient();
  }

  /** Plays {@code streamId} over WHEP in {@code browser} (its client loaded first); asserts 201. */
  static JsonNode play(Chromium browser, TestNode node, String streamId) throws Exception {
    client(browser, node);
    JsonNode played =
        browser.evaluate("nrs.play('/whep/" + streamId + "')", Duration.ofSeconds(20));
    assertEquals(201, played.get("status").asInt(), played.toString());
    return played;
  }

  /** Polls the browser's statistics until {@code ok} holds; the last ones in the failure. */
  static JsonNode awaitStats(Chromium browser, Duration timeout, Predicate<JsonNode> ok)
      throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    JsonNode last = null;
    while (System.nanoTime() < deadline) {
      last = browser.evaluate("nrs.stats()", Duration.ofSeconds(5));
      if (ok.test(last)) {
        return last;
      }
      Thread.sleep(200); // poll interval of a probe
    }
    throw new AssertionError("the browser's statistics never got there: " + last);
  }
}

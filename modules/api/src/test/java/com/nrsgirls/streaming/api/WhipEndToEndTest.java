package com.nrsgirls.streaming.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.nrsgirls.streaming.testkit.Ffmpeg;
import com.nrsgirls.streaming.testkit.FfmpegWhip;
import com.nrsgirls.streaming.testkit.Ffprobe;
import com.nrsgirls.streaming.testkit.NginxRtmp;
import com.nrsgirls.streaming.testkit.Processes;
import com.nrsgirls.streaming.testkit.TestClips;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * WHIP ingest through a node's HTTP API and UDP port: FFmpeg's WHIP muxer (bytedeco's ffmpeg)
 * publishes H.264 and Opus with the stream key as its Bearer token; the stream goes live, its HLS
 * lists segments with the H.264 as sent and the Opus as AAC, which ffmpeg decodes without an error,
 * and FFmpeg's DELETE at the end ends the publish. Refusals first: no key, a wrong key, a malformed
 * offer, the wrong content type.
 */
class WhipEndToEndTest {
  private static final String OFFER_SHAPE = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n";

  @TempDir Path dataDir;
  @TempDir Path work;

  private static HttpResponse<String> post(
      TestNode node, String path, String bearer, String type, String body) throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(node.httpUrl(path)))
            .POST(HttpRequest.BodyPublishers.ofString(body))
            .header("Content-Type", type);
    if (bearer != null) {
      b.header("Authorization", "Bearer " + bearer);
    }
    return HttpClient.newHttpClient().send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void ffmpegPublishesOverWhipAndTheStreamPlaysOverHls() throws Exception {
    try (TestNode node = TestNode.start(dataDir)) {
      JsonNode created = node.createStream("whip");
      String streamId = created.get("streamId").asText();
      String key = created.get("streamKey").asText();

      assertEquals(401, post(node, "/whip", null, "application/sdp", OFFER_SHAPE).statusCode());
      // FFmpeg with a key that is not the stream's: refused (401), it gives up, nothing goes live
      Process refused =
          FfmpegWhip.start(
              node.httpUrl("/whip"),
              "live_" + streamId + "_notthekey",
              3,
              work.resolve("wrong.log"));
      try {
        assertTrue(refused.waitFor(30, TimeUnit.SECONDS), "ffmpeg gives up on a refused key");
      } finally {
        refused.destroyForcibly();
      }
      assertTrue(refused.exitValue() != 0, Files.readString(work.resolve("wrong.log")));
      assertTrue(
          Files.readString(work.resolve("wrong.log")).contains("401"),
          Files.readString(work.resolve("wrong.log")));
      assertEquals(
          415, post(node, "/whip", key, "application/json", "{}").statusCode(), "not an offer");
      HttpResponse<String> bad = post(node, "/whip", key, "application/sdp", "not sdp at all");
      assertEquals(400, bad.statusCode(), bad.body());
      assertTrue(bad.body().contains("bad_offer"), bad.body());
      assertEquals(
          "idle", node.state(streamId).get("status").asText(), "no refusal made the stream live");

      Path log = work.resolve("ffmpeg-whip.log");
      Process ffmpeg = FfmpegWhip.start(node.httpUrl("/whip"), key, 8, log);
      try {
        node.awaitState(
            streamId, Duration.ofSeconds(20), s -> s.get("status").asText().equals("live"));
        String metrics = node.get("/metrics", false).body();
        assertTrue(
            metrics.lines().anyMatch(l -> l.equals("nrs_webrtc_sessions 1.0")),
            "the metrics count the session: "
                + metrics.lines().filter(l -> l.contains("webrtc")).toList());
        String playlist =
            node.awaitFile(
                node.mediaPlaylist(streamId),
                Duration.ofSeconds(30),
                text -> text.lines().filter(l -> l.endsWith(".ts")).count() >= 2);
        assertTrue(playlist.contains("#EXTINF"), playlist);
        assertTrue(
            !playlist.contains("#EXT-X-DISCONTINUITY"), "both tracks from the start: " + playlist);
        Processes.Result probe =
            Ffprobe.run(
                node.httpUrl("/live/" + streamId + "/source/index.m3u8"),
                "-select_streams",
                "v:0",
                "-show_entries",
                "stream=codec_name,width,height",
                "-of",
                "csv=p=0");
        assertEquals("h264,640,360", probe.stdout().lines().findFirst().orElse(""), probe.stderr());
        Processes.Result audio =
            Ffprobe.run(
                node.httpUrl("/live/" + streamId + "/source/index.m3u8"),
                "-select_streams",
                "a:0",
                "-show_entries",
                "stream=codec_name,sample_rate,channels",
                "-of",
                "csv=p=0");
        assertEquals(
            "aac,48000,2",
            audio.stdout().lines().findFirst().orElse(""),
            "Opus became AAC: " + audio.stderr());
        assertTrue(ffmpeg.waitFor(60, TimeUnit.SECONDS), "ffmpeg ends after its 8 s");
      } finally {
        ffmpeg.destroyForcibly();
      }
      assertEquals(0, ffmpeg.exitValue(), Files.readString(log));
      // FFmpeg's DELETE ended the publish
      node.awaitState(
          streamId, Duration.ofSeconds(20), s -> !s.get("status").asText().equals("live"));
      // the whole recording of the live stream, once its playlist has ended
      node.awaitFile(
          node.mediaPlaylist(streamId), Duration.ofSeconds(30), t -> t.contains("#EXT-X-ENDLIST"));
      String url = node.httpUrl("/live/" + streamId + "/source/index.m3u8");
      Processes.Result packets =
          Ffprobe.run(url, "-show_entries", "packet=stream_index,dts", "-of", "csv=p=0");
      java.util.Map<String, Long> last = new java.util.HashMap<>();
      for (String line : packets.stdout().strip().split("\n")) {
        String[] f = line.split(",");
        if (f.length == 2 && !f[1].equals("N/A")) {
          long dts = Long.parseLong(f[1]);
          Long before = last.put(f[0], dts);
          assertTrue(
              before == null || dts > before,
              "stream " + f[0] + "'s DTS rises: " + before + " then " + dts);
        }
      }
      Processes.Result decoded = Ffmpeg.decode(url);
      assertEquals(0, decoded.exitCode(), decoded.stderr());
      assertEquals("", decoded.stderr().strip(), "the WHIP stream's HLS decodes cleanly");
      assertTrue(node.get("/metrics", false).body().contains("nrs_webrtc_sessions 0.0"));
    }
  }

  /**
   * Takeover both ways, as between two RTMP publishers: an RTMP publish takes a WHIP-published
   * stream over (the WHIP session ends, its UDP packets go nowhere), and a WHIP publish takes it
   * back (the node closes the RTMP connection).
   */
  @Test
  void rtmpAndWhipTakeEachOtherOver() throws Exception {
    try (TestNode node = TestNode.start(dataDir)) {
      JsonNode created = node.createStream("takeover");
      String streamId = created.get("streamId").asText();
      String key = created.get("streamKey").asText();
      Process whip = FfmpegWhip.start(node.httpUrl("/whip"), key, 30, work.resolve("whip1.log"));
      Process rtmp = null;
      Process again = null;
      try {
        String whipSession =
            node.awaitState(
                    streamId, Duration.ofSeconds(20), s -> s.get("status").asText().equals("live"))
                .get("session")
                .get("sessionId")
                .asText();
        rtmp = Publisher.start(TestClips.flv(10, 640, 360), node.rtmpUrl(key), 30);
        String rtmpSession =
            node.awaitState(
                    streamId,
                    Duration.ofSeconds(20),
                    s ->
                        s.get("status").asText().equals("live")
                            && !s.get("session").get("sessionId").asText().equals(whipSession))
                .get("session")
                .get("sessionId")
                .asText();
        node.awaitMetric("nrs_webrtc_sessions 0.0", Duration.ofSeconds(20));
        assertTrue(whip.isAlive(), "FFmpeg does not notice: its packets are dropped");

        again = FfmpegWhip.start(node.httpUrl("/whip"), key, 30, work.resolve("whip2.log"));
        node.awaitState(
            streamId,
            Duration.ofSeconds(20),
            s ->
                s.get("status").asText().equals("live")
                    && !s.get("session").get("sessionId").asText().equals(rtmpSession));
        assertTrue(
            rtmp.waitFor(20, TimeUnit.SECONDS), "the node closed the RTMP publisher's connection");
        node.awaitMetric("nrs_webrtc_sessions 1.0", Duration.ofSeconds(20));
      } finally {
        whip.destroyForcibly();
        Publisher.kill(rtmp);
        if (again != null) {
          again.destroyForcibly();
        }
      }
    }
  }

  /**
   * What a WHIP publisher sends reaches every output of the stream's graph, not only HLS: a
   * restream target (nginx-rtmp, recording what it is pushed) gets H.264 and AAC for the whole
   * publish, and the session's recording completes and plays with both tracks.
   */
  @Test
  void restreamAndRecordingGetTheWhipPublishersMedia() throws Exception {
    assertTrue(NginxRtmp.available(), "nginx and libnginx-mod-rtmp are needed (bin/test)");
    int seconds = 8;
    try (TestNode node = TestNode.start(dataDir);
        NginxRtmp nginx = NginxRtmp.start(work.resolve("nginx"))) {
      JsonNode created = node.createStream("whip-outputs");
      String streamId = created.get("streamId").asText();
      HttpResponse<String> target =
          RestreamEndToEndTest.putTarget(
              node, streamId, "nginx", "custom", nginx.serverUrl(), "whip-pushed");
      assertEquals(200, target.statusCode(), target.body());

      Path log = work.resolve("ffmpeg-whip-outputs.log");
      Process ffmpeg =
          FfmpegWhip.start(node.httpUrl("/whip"), created.get("streamKey").asText(), seconds, log);
      try {
        node.awaitState(
            streamId,
            Duration.ofSeconds(20),
            s ->
                s.get("status").asText().equals("live")
                    && s.get("restreamTargets").get(0).get("state").asText().equals("live"));
        assertTrue(ffmpeg.waitFor(60, TimeUnit.SECONDS), "ffmpeg ends after its " + seconds + " s");
      } finally {
        ffmpeg.destroyForcibly();
      }
      assertEquals(0, ffmpeg.exitValue(), Files.readString(log));

      JsonNode recording =
          RecordingEndToEndTest.awaitRecording(
              node,
              streamId,
              Duration.ofSeconds(30),
              r -> r.get("status").asText().equals("completed"));
      Path recorded =
          RecordingEndToEndTest.download(
              recording.get("url").asText().replace("index.m3u8", "recording.mp4"),
              work.resolve("whip-recording.mp4"));
      // What the stream got: FFmpeg's first second goes out while ICE and DTLS are still being
      // set up, so a little less than it sent. Each output got all of that.
      String playlist =
          node.awaitFile(
              node.mediaPlaylist(streamId), Duration.ofSeconds(30), t -> t.contains("ENDLIST"));
      double got = RestreamEndToEndTest.mediaSeconds(recorded);
      assertTrue(got > seconds - 2, "the stream got most of what FFmpeg sent: " + playlist);
      double listed = 0;
      java.util.regex.Matcher m =
          java.util.regex.Pattern.compile("#EXTINF:([0-9.]+),").matcher(playlist);
      while (m.find()) {
        listed += Double.parseDouble(m.group(1));
      }
      assertEquals(listed, got, 0.2, "the recording has what HLS lists: " + playlist);
      RecordingEndToEndTest.assertPlays(recorded, got, 0.3);
      // the push ends with the session; nginx-rtmp has then written all it got
      node.awaitState(
          streamId,
          Duration.ofSeconds(20),
          s -> !s.get("restreamTargets").get(0).get("state").asText().equals("live"));
      RestreamEndToEndTest.assertNginxGotTheWholeStream(nginx.recording("whip-pushed"), got, 0.2);
    }
  }
}

package com.nrsgirls.streaming.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.nrsgirls.streaming.testkit.Ffmpeg;
import com.nrsgirls.streaming.testkit.Ffprobe;
import com.nrsgirls.streaming.testkit.NginxRtmp;
import com.nrsgirls.streaming.testkit.Processes;
import com.nrsgirls.streaming.testkit.TestClips;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Restream end to end: a real ffmpeg publishes to the node, which pushes the stream on to RTMP
 * servers as a platform would receive it, one of them of another make (nginx-rtmp, recording what
 * it gets), and what each received is read back with ffprobe.
 */
@ExtendWith(TestNode.PerClass.class)
class RestreamEndToEndTest {
  private static final Pattern EXTINF = Pattern.compile("#EXTINF:([0-9.]+),");

  @Test
  void oneStreamIsPushedToOurOwnIngestAndToNginxRtmpAtOnce(TestNode node, @TempDir Path dir)
      throws Exception {
    assertTrue(NginxRtmp.available(), "nginx and libnginx-mod-rtmp are needed (bin/test)");
    int seconds = 8;
    Path clip = TestClips.flv(seconds, 640, 360);
    try (NginxRtmp nginx = NginxRtmp.start(dir.resolve("nginx"))) {
      JsonNode source = node.createStream("source");
      JsonNode relay = node.createStream("relay");
      String sourceId = source.get("streamId").asText();
      String relayId = relay.get("streamId").asText();
      String relayKey = relay.get("streamKey").asText();
      String ownIngest = node.rtmpUrl("").replaceAll("/$", "");

      HttpResponse<String> own = putTarget(node, sourceId, "own", "custom", ownIngest, relayKey);
      assertEquals(200, own.statusCode(), own.body());
      assertFalse(own.body().contains(relayKey), "the key is never answered: " + own.body());
      JsonNode ownView = node.json(own);
      assertEquals("own", ownView.get("targetId").asText());
      assertEquals("idle", ownView.get("state").asText());
      assertFalse(ownView.has("streamKey"), own.body());
      HttpResponse<String> toNginx =
          putTarget(node, sourceId, "nginx", "custom", nginx.serverUrl(), "pushed-key-1");
      assertEquals(200, toNginx.statusCode(), toNginx.body());
      // a third target: nginx-rtmp again, on another key
      HttpResponse<String> toNginx2 =
          putTarget(node, sourceId, "nginx-2", "custom", nginx.serverUrl(), "pushed-key-2");
      assertEquals(200, toNginx2.statusCode(), toNginx2.body());

      Process publisher = Publisher.start(clip, node.rtmpUrl(source.get("streamKey").asText()), 1);
      try {
        JsonNode live =
            node.awaitState(
                sourceId,
                Duration.ofSeconds(seconds),
                s -> {
                  JsonNode targets = s.get("restreamTargets");
                  for (JsonNode t : targets) {
                    if (!t.get("state").asText().equals("live")) {
                      return false;
                    }
                  }
                  return targets.size() == 3;
                });
        for (JsonNode t : live.get("restreamTargets")) {
          assertTrue(t.get("bytesSent").asLong() > 0, t.toString());
          assertTrue(t.hasNonNull("since"), t.toString());
        }
        node.awaitState(
            relayId, Duration.ofSeconds(5), s -> s.get("status").asText().equals("live"));
        Processes.Result published = Publisher.await(publisher, seconds + 15);
        assertEquals(0, published.exitCode(), published.stderr());
      } finally {
        Publisher.kill(publisher);
      }

      // the push ends with the source's session; the relay stream's then ends with it
      node.awaitState(
          relayId, Duration.ofSeconds(15), s -> s.get("status").asText().equals("idle"));
      String playlist =
          node.awaitFile(
              node.mediaPlaylist(relayId), Duration.ofSeconds(15), t -> t.contains("ENDLIST"));
      double listed = 0;
      Matcher m = EXTINF.matcher(playlist);
      while (m.find()) {
        listed += Double.parseDouble(m.group(1));
      }
      assertEquals(seconds, listed, 1.0, "our own ingest got the whole stream: " + playlist);
      Processes.Result relayed =
          Processes.run(
              List.of(
                  "ffmpeg",
                  "-v",
                  "error",
                  "-i",
                  node.mediaPlaylist(relayId).toString(),
                  "-f",
                  "null",
                  "-"),
              Duration.ofSeconds(60));
      assertEquals("", relayed.stderr().strip(), "what our ingest got decodes without errors");

      for (String key : List.of("pushed-key-1", "pushed-key-2")) {
        assertNginxGotTheWholeStream(nginx.recording(key), seconds);
      }
    }
  }

  static void assertNginxGotTheWholeStream(Path recorded, int seconds) throws Exception {
    assertNginxGotTheWholeStream(recorded, seconds, 1.0);
  }

  static void assertNginxGotTheWholeStream(Path recorded, double seconds, double tolerance)
      throws Exception {
    assertTrue(Files.size(recorded) > 100_000, "nginx-rtmp recorded the push");
    Processes.Result probe =
        Ffprobe.run(
            recorded.toString(),
            "-show_entries",
            "stream=codec_name,width,height:format=duration",
            "-of",
            "default=nw=1");
    assertEquals(0, probe.exitCode(), probe.stderr());
    assertTrue(probe.stdout().contains("codec_name=h264"), probe.stdout());
    assertTrue(probe.stdout().contains("codec_name=aac"), probe.stdout());
    assertTrue(probe.stdout().contains("width=640"), probe.stdout());
    Processes.Result decoded = Ffmpeg.decode(recorded.toString());
    assertEquals("", decoded.stderr().strip(), "nginx's recording decodes without errors");
    double duration = mediaSeconds(recorded);
    assertEquals(seconds, duration, tolerance, "nginx-rtmp got the whole stream");
  }

  @Test
  void aTargetKilledMidStreamRetriesAndComesBackWhileTheOthersLoseNothing(
      TestNode node, @TempDir Path dir) throws Exception {
    int seconds = 20;
    Path clip = TestClips.flv(seconds, 640, 360);
    try (NginxRtmp nginx = NginxRtmp.start(dir.resolve("nginx"))) {
      JsonNode source = node.createStream("source with a dying target");
      JsonNode relay = node.createStream("relay of it");
      String sourceId = source.get("streamId").asText();
      String relayId = relay.get("streamId").asText();
      String ownIngest = node.rtmpUrl("").replaceAll("/$", "");
      assertEquals(
          200,
          putTarget(node, sourceId, "own", "custom", ownIngest, relay.get("streamKey").asText())
              .statusCode());
      assertEquals(
          200,
          putTarget(node, sourceId, "dying", "custom", nginx.serverUrl(), "dying-key")
              .statusCode());

      Process publisher = Publisher.start(clip, node.rtmpUrl(source.get("streamKey").asText()), 1);
      try {
        node.awaitState(sourceId, Duration.ofSeconds(10), s -> targetState(s, "dying", "live"));
        nginx.kill();
        JsonNode retrying =
            node.awaitState(
                sourceId, Duration.ofSeconds(10), s -> targetState(s, "dying", "retrying"));
        JsonNode dying = target(retrying, "dying");
        assertTrue(dying.hasNonNull("lastError"), dying.toString());
        assertFalse(dying.get("lastError").asText().contains("dying-key"), dying.toString());
        assertTrue(targetState(retrying, "own", "live"), retrying.toString());

        nginx.restart();
        node.awaitState(sourceId, Duration.ofSeconds(10), s -> targetState(s, "dying", "live"));
        JsonNode health = node.state(sourceId).get("health").get("branchDrops");
        assertEquals(0, health.get("hls-source").asLong(), health.toString());
        assertEquals(0, health.get("restream-own").asLong(), health.toString());
        Processes.Result published = Publisher.await(publisher, seconds + 15);
        assertEquals(0, published.exitCode(), published.stderr());
      } finally {
        Publisher.kill(publisher);
      }

      for (String id : List.of(sourceId, relayId)) {
        node.awaitState(id, Duration.ofSeconds(15), s -> s.get("status").asText().equals("idle"));
        String playlist =
            node.awaitFile(
                node.mediaPlaylist(id), Duration.ofSeconds(15), t -> t.contains("ENDLIST"));
        assertEquals(seconds, wholeSeconds(playlist), 1.0, id + " is whole: " + playlist);
      }
      // the target's ups and downs are in the stream's history
      List<String> states = new java.util.ArrayList<>();
      for (JsonNode e : node.json(node.get("/api/v1/streams/" + sourceId + "/events", true))) {
        if (e.get("type").asText().equals("RestreamTargetStateChanged")
            && e.get("targetId").asText().equals("dying")) {
          states.add(e.get("state").asText());
        }
      }
      int live = states.indexOf("live");
      int retrying = states.indexOf("retrying");
      assertTrue(
          live >= 0 && retrying > live && states.subList(retrying, states.size()).contains("live"),
          "recorded states: " + states);
      Path recorded = nginx.recording("dying-key");
      Processes.Result decoded = Ffmpeg.decode(recorded.toString());
      assertEquals("", decoded.stderr().strip(), "the push after the return decodes");
    }
  }

  @Test
  void aPublisherTakeoverKeepsTheTargetConnectionAndItsTimeline(TestNode node, @TempDir Path dir)
      throws Exception {
    int seconds = 8;
    Path clip = TestClips.flv(seconds, 640, 360);
    try (NginxRtmp nginx = NginxRtmp.start(dir.resolve("nginx"))) {
      JsonNode source = node.createStream("taken over");
      String sourceId = source.get("streamId").asText();
      String url = node.rtmpUrl(source.get("streamKey").asText());
      assertEquals(
          200,
          putTarget(node, sourceId, "nginx", "custom", nginx.serverUrl(), "continuous")
              .statusCode());
      Process first = Publisher.start(clip, url, 3);
      Process second = null;
      try {
        JsonNode live =
            node.awaitState(sourceId, Duration.ofSeconds(10), s -> targetState(s, "nginx", "live"));
        String firstSession = live.get("session").get("sessionId").asText();
        node.awaitState(
            sourceId,
            Duration.ofSeconds(10),
            s -> target(s, "nginx").get("bytesSent").asLong() > 1_000_000);
        second = Publisher.start(clip, url, 1); // the same key: it takes over
        node.awaitState(
            sourceId,
            Duration.ofSeconds(10),
            s -> {
              String session = s.path("session").path("sessionId").asText("");
              return !session.isEmpty() && !session.equals(firstSession);
            });
        Processes.Result published = Publisher.await(second, seconds + 15);
        assertEquals(0, published.exitCode(), published.stderr());
      } finally {
        Publisher.kill(first);
        Publisher.kill(second);
      }
      node.awaitState(
          sourceId, Duration.ofSeconds(15), s -> s.get("status").asText().equals("idle"));

      // nginx records each publish afresh (record_unique off, no append): one file spanning both
      // sessions means one connection
      Path recorded = nginx.recording("continuous");
      awaitClosed(nginx, recorded);
      Processes.Result decoded =
          Processes.run( // the frame-rate time base: two pictures on one tick fail
              List.of("ffmpeg", "-v", "error", "-i", recorded.toString(), "-f", "null", "-"),
              Duration.ofSeconds(60));
      assertEquals("", decoded.stderr().strip(), "the push decodes as one file");
      List<Double> dts = videoDts(recorded);
      for (int i = 1; i < dts.size(); i++) {
        assertTrue(dts.get(i) > dts.get(i - 1), "rising timestamps at " + i + ": " + dts.get(i));
      }
      double span = dts.get(dts.size() - 1) - dts.get(0);
      assertTrue(span > seconds + 1, "the recording spans both publishers: " + span + " s");
    }
  }

  private static JsonNode target(JsonNode state, String targetId) {
    for (JsonNode t : state.get("restreamTargets")) {
      if (t.get("targetId").asText().equals(targetId)) {
        return t;
      }
    }
    throw new AssertionError("no target " + targetId + " in " + state);
  }

  private static boolean targetState(JsonNode state, String targetId, String expected) {
    return target(state, targetId).get("state").asText().equals(expected);
  }

  /**
   * The seconds a live playlist's stream lasted: what its window lists, plus the segments that slid
   * out of it (2 s each: the clips have a keyframe every 2 s).
   */
  private static double wholeSeconds(String playlist) {
    double listed = 0;
    Matcher m = EXTINF.matcher(playlist);
    while (m.find()) {
      listed += Double.parseDouble(m.group(1));
    }
    Matcher sequence = Pattern.compile("#EXT-X-MEDIA-SEQUENCE:(\\d+)").matcher(playlist);
    return listed + (sequence.find() ? 2.0 * Long.parseLong(sequence.group(1)) : 0);
  }

  /** Waits until nginx has closed the recording (the push ended): its size stops changing. */
  private static void awaitClosed(NginxRtmp nginx, Path recorded) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
    long last = -1;
    while (System.nanoTime() < deadline) {
      long size = Files.exists(recorded) ? Files.size(recorded) : -1;
      if (size > 0 && size == last) {
        return;
      }
      last = size;
      Thread.sleep(500); // poll interval of a probe
    }
    throw new AssertionError("nginx never finished " + recorded);
  }

  private static List<Double> videoDts(Path file) throws Exception {
    Processes.Result r =
        Ffprobe.run(
            file.toString(),
            "-select_streams",
            "v:0",
            "-show_entries",
            "packet=dts_time",
            "-of",
            "csv=p=0");
    assertEquals(0, r.exitCode(), r.stderr());
    List<Double> out = new java.util.ArrayList<>();
    for (String line : r.stdout().split("\n")) {
      if (!line.isBlank()) {
        out.add(Double.parseDouble(line.strip().replaceAll(",$", "")));
      }
    }
    return out;
  }

  static HttpResponse<String> putTarget(
      TestNode node, String streamId, String targetId, String platform, String url, String key)
      throws Exception {
    return node.send(
        "PUT",
        "/api/v1/streams/" + streamId + "/restream-targets/" + targetId,
        "{\"platform\":\""
            + platform
            + "\",\"url\":\""
            + url
            + "\",\"streamKey\":\""
            + key
            + "\",\"enabled\":true}");
  }

  /** The span of the file's video timestamps, first to last frame plus one frame. */
  static double mediaSeconds(Path file) throws Exception {
    Processes.Result pts =
        Ffprobe.run(
            file.toString(),
            "-select_streams",
            "v:0",
            "-show_entries",
            "packet=pts_time",
            "-of",
            "csv=p=0");
    assertEquals(0, pts.exitCode(), pts.stderr());
    double first = Double.MAX_VALUE;
    double last = 0;
    for (String line : pts.stdout().split("\n")) {
      if (line.isBlank()) {
        continue;
      }
      double t = Double.parseDouble(line.strip().replaceAll(",$", ""));
      first = Math.min(first, t);
      last = Math.max(last, t);
    }
    return last - first + 1.0 / 30;
  }
}

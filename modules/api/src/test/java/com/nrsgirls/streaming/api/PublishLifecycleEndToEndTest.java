package com.nrsgirls.streaming.api;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.nrsgirls.streaming.testkit.Ffmpeg;
import com.nrsgirls.streaming.testkit.Processes;
import com.nrsgirls.streaming.testkit.TestClips;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What happens around a publish on a real node with real ffmpeg publishers: bad keys are refused
 * (and never logged), a reconnect takes over the live stream and its playlist carries on after a
 * discontinuity, and a restarted node recovers every stream from the journal.
 */
class PublishLifecycleEndToEndTest {
  @TempDir static Path work;
  private static Path shortClip;
  private static Path longClip;

  @BeforeAll
  static void makeClips() {
    shortClip = TestClips.flv(3, 640, 360);
    longClip = TestClips.flv(8, 640, 360);
  }

  @Test
  void wrongRevokedAndRotatedAwayKeysAreRefusedAndNeverLogged() throws Exception {
    try (TestNode node = TestNode.start(work.resolve("keys"));
        LogCapture logs = new LogCapture()) {
      JsonNode created = node.createStream("keys");
      String streamId = created.get("streamId").asText();
      String key = created.get("streamKey").asText();
      String wrongKey = "live_" + streamId + "_" + "A".repeat(43);

      assertRefused(node, wrongKey);
      assertRefused(node, "not-a-key-at-all");
      assertRefused(node, "live_nosuchstream7_" + "B".repeat(43));

      HttpResponse<String> rotated =
          node.send("POST", "/api/v1/streams/" + streamId + "/key/rotate", null);
      assertEquals(200, rotated.statusCode(), rotated.body());
      String newKey = node.json(rotated).get("streamKey").asText();
      assertNotEquals(key, newKey);
      assertRefused(node, key);
      node.publishOnce(shortClip, newKey, streamId);

      HttpResponse<String> revoked =
          node.send("DELETE", "/api/v1/streams/" + streamId + "/key", null);
      assertEquals(204, revoked.statusCode());
      assertRefused(node, newKey);
      assertTrue(node.state(streamId).get("keyRevoked").asBoolean());

      String metrics = node.get("/metrics", false).body();
      assertTrue(metricAtLeast(metrics, "reason=\"wrong-key\"", 2), metrics);
      assertTrue(metricAtLeast(metrics, "reason=\"key-revoked\"", 1), metrics);
      assertTrue(metricAtLeast(metrics, "reason=\"unknown-stream\"", 1), metrics);
      assertTrue(metricAtLeast(metrics, "reason=\"malformed-key\"", 1), metrics);

      List<String> lines = logs.lines();
      assertTrue(lines.stream().anyMatch(l -> l.contains("WRONG_KEY")), "a refusal is logged");
      for (String secret : List.of(key, newKey, wrongKey)) {
        // the secret follows "live_{streamId}_" and may itself contain '_'
        String part = secret.substring(("live_" + streamId + "_").length());
        assertEquals(
            List.of(),
            lines.stream().filter(l -> l.contains(part)).toList(),
            "log lines show a stream key's secret");
      }
    }
  }

  @Test
  void aReconnectTakesOverAndThePlaylistContinuesAfterADiscontinuity() throws Exception {
    try (TestNode node = TestNode.start(work.resolve("takeover"))) {
      JsonNode created = node.createStream("takeover");
      String streamId = created.get("streamId").asText();
      String key = created.get("streamKey").asText();

      Process first = Publisher.start(longClip, node.rtmpUrl(key), 4);
      Process second = null;
      try {
        // Two segments listed: the first session is well under way.
        node.awaitFile(
            node.mediaPlaylist(streamId),
            Duration.ofSeconds(20),
            t -> t.lines().filter(l -> l.endsWith(".ts")).count() >= 2);
        String firstSession = node.state(streamId).get("session").get("sessionId").asText();

        second = Publisher.start(longClip, node.rtmpUrl(key), 1);
        Processes.Result dropped = Publisher.await(first, 20);
        assertNotEquals(0, dropped.exitCode(), "the first publisher was disconnected");
        JsonNode taken =
            node.awaitState(
                streamId,
                Duration.ofSeconds(10),
                s ->
                    s.get("status").asText().equals("live")
                        && !s.get("session").get("sessionId").asText().equals(firstSession));
        assertEquals(firstSession, taken.get("lastSession").get("sessionId").asText());
        assertEquals(
            "taken over by a new publish", taken.get("lastSession").get("endReason").asText());

        Processes.Result finished = Publisher.await(second, 30);
        assertEquals(0, finished.exitCode(), finished.stderr());
      } finally {
        Publisher.kill(first);
        Publisher.kill(second);
      }
      String playlist =
          node.awaitFile(
              node.mediaPlaylist(streamId),
              Duration.ofSeconds(15),
              t -> t.contains("#EXT-X-ENDLIST"));
      assertEquals(1, countLines(playlist, "#EXT-X-DISCONTINUITY"), playlist);

      String url = node.httpUrl("/live/" + streamId + "/source/index.m3u8");
      Processes.Result decode = Ffmpeg.decode(url);
      assertEquals(0, decode.exitCode());
      assertEquals("", decode.stderr().strip(), "decoding across the reconnect printed errors");
      LivePathEndToEndTest.assertMonotonicTimestamps(url);

      List<String> types = node.eventTypes(streamId);
      assertEquals(
          List.of("PublishStarted", "PublishEnded", "PublishStarted", "PublishEnded"),
          types.stream().filter(t -> t.startsWith("Publish")).toList(),
          types.toString());
    }
  }

  @Test
  void aRestartedNodeRecoversItsStreamsFromTheJournal() throws Exception {
    Path data = work.resolve("restart");
    String streamId;
    String key;
    try (TestNode node = TestNode.start(data)) {
      JsonNode created = node.createStream("survives restarts");
      streamId = created.get("streamId").asText();
      key = created.get("streamKey").asText();
      node.publishOnce(shortClip, key, streamId);
      // A second session is cut off by the node going down.
      Process live = Publisher.start(longClip, node.rtmpUrl(key), 4);
      try {
        node.awaitState(
            streamId, Duration.ofSeconds(10), s -> s.get("status").asText().equals("live"));
      } finally {
        node.close();
        Publisher.kill(live);
      }
    }

    try (TestNode node = TestNode.start(data)) {
      JsonNode state =
          node.awaitState(
              streamId, Duration.ofSeconds(10), s -> s.get("status").asText().equals("idle"));
      assertEquals("survives restarts", state.get("title").asText());
      // The node went down cleanly: it ended the session with its own reason.
      assertEquals("node shut down", state.get("lastSession").get("endReason").asText());
      node.awaitFile(
          node.mediaPlaylist(streamId), Duration.ofSeconds(10), t -> t.contains("#EXT-X-ENDLIST"));
      List<String> types = node.eventTypes(streamId);
      assertEquals("StreamCreated", types.get(0));
      assertEquals(2, types.stream().filter("PublishStarted"::equals).count(), types.toString());
      // The key's hash came back with the journal: the same key still goes live.
      node.publishOnce(shortClip, key, streamId);
    }
  }

  private void assertRefused(TestNode node, String key) throws Exception {
    Process p = Publisher.start(shortClip, node.rtmpUrl(key), 1);
    try {
      Processes.Result r = Publisher.await(p, 20);
      assertNotEquals(0, r.exitCode(), "publishing with a refused key must fail");
    } finally {
      Publisher.kill(p);
    }
  }

  private static long countLines(String text, String line) {
    return text.lines().filter(line::equals).count();
  }

  /** Whether a counter line with {@code label} has a value of at least {@code min}. */
  private static boolean metricAtLeast(String metrics, String label, double min) {
    return metrics
        .lines()
        .filter(l -> l.startsWith("nrs_rtmp_publishes") && l.contains(label))
        .anyMatch(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)) >= min);
  }
}

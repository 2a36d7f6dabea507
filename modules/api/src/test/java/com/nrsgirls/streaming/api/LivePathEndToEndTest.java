package com.nrsgirls.streaming.api;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.nrsgirls.streaming.testkit.Ffmpeg;
import com.nrsgirls.streaming.testkit.Ffprobe;
import com.nrsgirls.streaming.testkit.Processes;
import com.nrsgirls.streaming.testkit.TestClips;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The live path end to end on a real node: the ffmpeg CLI publishes over RTMP with {@code -c copy},
 * the operator API creates and watches the stream, and ffprobe/ffmpeg validate the HLS the node
 * serves over HTTP.
 */
@ExtendWith(TestNode.PerClass.class)
class LivePathEndToEndTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  private static Path clip;

  @BeforeAll
  static void makeClip() {
    clip = TestClips.flv(8, 1280, 720);
  }

  @Test
  void ffmpegPublishesAndTheHlsOutputPlaysBack(TestNode node) throws Exception {
    JsonNode created = node.createStream("Friday set");
    String streamId = created.get("streamId").asText();
    String key = created.get("streamKey").asText();
    assertTrue(key.startsWith("live_" + streamId + "_"), key);
    assertEquals(
        node.httpUrl("/live/" + streamId + "/index.m3u8"), created.get("playbackUrl").asText());
    assertTrue(created.get("ingestUrl").asText().endsWith("/live"));

    Process publisher = Publisher.start(clip, node.rtmpUrl(key), 1);
    try {
      JsonNode live =
          node.awaitState(
              streamId,
              Duration.ofSeconds(10),
              s -> s.get("status").asText().equals("live") && !s.get("video").isNull());
      assertEquals(1280, live.get("video").get("width").asInt());
      assertEquals(720, live.get("video").get("height").asInt());
      assertEquals("aac", live.get("audio").get("codec").asText());
      assertEquals(48000, live.get("audio").get("sampleRate").asInt());
      assertTrue(live.get("session").get("remoteAddress").asText().startsWith("127.0.0.1:"));

      JsonNode healthy =
          node.awaitState(
              streamId,
              Duration.ofSeconds(10),
              s -> !s.get("health").isNull() && s.get("health").get("fps").asDouble() > 20);
      assertTrue(healthy.get("health").get("bitrateKbps").asLong() > 0);

      Processes.Result result = Publisher.await(publisher, 30);
      assertEquals(0, result.exitCode(), "publisher failed: " + result.stderr());
    } finally {
      Publisher.kill(publisher);
    }
    JsonNode ended =
        node.awaitState(
            streamId, Duration.ofSeconds(15), s -> s.get("status").asText().equals("idle"));
    assertEquals("publisher disconnected", ended.get("lastSession").get("endReason").asText());
    // The publisher did not come back within the reconnect grace: the playlist ends.
    node.awaitFile(
        node.mediaPlaylist(streamId), Duration.ofSeconds(10), t -> t.contains("#EXT-X-ENDLIST"));

    String master = node.httpUrl("/live/" + streamId + "/index.m3u8");
    // ffprobe through the node's HTTP server, the way a player reads it.
    Processes.Result probe =
        Ffprobe.run(
            master,
            "-show_entries",
            "stream=codec_name,width,height:format=duration",
            "-of",
            "json");
    assertEquals(0, probe.exitCode(), probe.stderr());
    JsonNode probed = JSON.readTree(probe.stdout());
    List<String> codecs = new ArrayList<>();
    probed.get("streams").forEach(s -> codecs.add(s.get("codec_name").asText()));
    assertTrue(codecs.containsAll(List.of("h264", "aac")), "codecs: " + codecs);
    java.util.Set<String> sizes = new java.util.TreeSet<>();
    probed
        .get("streams")
        .forEach(
            s -> {
              if (s.get("codec_name").asText().equals("h264")) {
                sizes.add(s.get("width").asInt() + "x" + s.get("height").asInt());
              }
            });
    // the source, and the default ladder's one rung below 720p
    assertEquals(java.util.Set.of("1280x720", "854x480"), sizes);
    double duration = probed.get("format").get("duration").asDouble();
    assertEquals(8.0, duration, 1.0, "duration of the HLS output");

    Processes.Result decode = Ffmpeg.decode(master);
    assertEquals(0, decode.exitCode());
    assertEquals("", decode.stderr().strip(), "decoding the HLS output printed errors");

    assertMonotonicTimestamps(node.httpUrl("/live/" + streamId + "/source/index.m3u8"));
  }

  @Test
  void playlistsAndSegmentsAreServedWithTheRightHeaders(TestNode node) throws Exception {
    JsonNode created = node.createStream("headers");
    String streamId = created.get("streamId").asText();
    Process publisher = Publisher.start(clip, node.rtmpUrl(created.get("streamKey").asText()), 1);
    try {
      // the master playlist appears once the first segment is done
      node.awaitFile(
          node.dataDir.resolve("hls").resolve(streamId).resolve("index.m3u8"),
          Duration.ofSeconds(15),
          t -> t.contains("#EXT-X-STREAM-INF"));
      // the default master lists the low-latency playlists, classic.m3u8 the TS ones
      for (String name : List.of("index.m3u8", "classic.m3u8")) {
        HttpResponse<String> m = node.get("/live/" + streamId + "/" + name, false);
        assertEquals(200, m.statusCode());
        assertEquals(
            "application/vnd.apple.mpegurl", m.headers().firstValue("Content-Type").orElse(""));
        assertEquals("*", m.headers().firstValue("Access-Control-Allow-Origin").orElse(""));
        // each viewer's own (a session id on its media playlist URLs): no cache keeps it
        assertEquals("no-store, private", m.headers().firstValue("Cache-Control").orElse(""));
        assertTrue(m.body().contains("#EXT-X-STREAM-INF:"), m.body());
        assertTrue(m.body().contains("RESOLUTION=1280x720"), m.body());
        assertTrue(
            m.body().matches("(?s).*CODECS=\"avc1\\.64[0-9a-f]{4},mp4a\\.40\\.2\".*"), m.body());
        String media = name.equals("index.m3u8") ? "source/ll.m3u8?" : "source/index.m3u8?";
        assertTrue(m.body().contains(media), m.body());
      }

      HttpResponse<String> media = node.get("/live/" + streamId + "/source/index.m3u8", false);
      assertEquals(200, media.statusCode());
      assertTrue(media.body().contains("#EXT-X-TARGETDURATION:2"), media.body());
      assertTrue(media.body().contains("#EXT-X-PROGRAM-DATE-TIME:"), media.body());
      String segment =
          media.body().lines().filter(l -> l.endsWith(".ts")).findFirst().orElseThrow();
      HttpResponse<String> ts = node.get("/live/" + streamId + "/source/" + segment, false);
      assertEquals(200, ts.statusCode());
      assertEquals("video/mp2t", ts.headers().firstValue("Content-Type").orElse(""));
      assertTrue(ts.headers().firstValue("Cache-Control").orElse("").contains("immutable"));

      assertEquals(
          404, node.get("/live/" + streamId + "/source/../../admin-token", false).statusCode());
      assertEquals(404, node.get("/live/" + streamId + "/source/.hidden.ts", false).statusCode());
      assertEquals(404, node.get("/live/nosuchstream1/index.m3u8", false).statusCode());
      assertEquals(404, node.get("/live/nosuchstream1/classic.m3u8", false).statusCode());
    } finally {
      Publisher.kill(publisher);
    }
  }

  @Test
  void operatorApiNeedsTheTokenAndAnswersErrorsAsJson(TestNode node) throws Exception {
    HttpResponse<String> anonymous = node.get("/api/v1/streams", false);
    assertEquals(401, anonymous.statusCode());
    assertEquals("unauthorized", node.json(anonymous).get("error").asText());

    HttpResponse<String> missing = node.get("/api/v1/streams/nosuchstream9", true);
    assertEquals(404, missing.statusCode());
    assertEquals("not_found", node.json(missing).get("error").asText());

    HttpResponse<String> bad =
        node.send("POST", "/api/v1/streams", "{\"creatorId\":\"x\",\"creatorType\":\"ROBOT\"}");
    assertEquals(400, bad.statusCode());
    assertEquals("bad_request", node.json(bad).get("error").asText());

    JsonNode created = node.createStream("listing");
    // the list is the directory projection's: it follows the journal within a refresh interval
    List<String> ids = new ArrayList<>();
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (!ids.contains(created.get("streamId").asText()) && System.nanoTime() < deadline) {
      Thread.sleep(100); // poll interval of a probe
      HttpResponse<String> list = node.get("/api/v1/streams", true);
      assertEquals(200, list.statusCode());
      ids.clear();
      node.json(list).get("streams").forEach(s -> ids.add(s.get("streamId").asText()));
    }
    assertTrue(ids.contains(created.get("streamId").asText()), ids.toString());
    HttpResponse<String> live = node.get("/api/v1/streams?status=live", true);
    node.json(live).get("streams").forEach(s -> assertEquals("live", s.get("status").asText()));

    HttpResponse<String> events =
        node.get("/api/v1/streams/" + created.get("streamId").asText() + "/events", true);
    assertEquals(200, events.statusCode());
    JsonNode first = node.json(events).get(0);
    assertEquals("StreamCreated", first.get("type").asText());
    assertEquals(1, first.get("sequenceNr").asInt());
    assertFalse(events.body().contains("keyHash"));
    assertFalse(events.body().contains(created.get("streamKey").asText()));

    HttpResponse<String> metrics = node.get("/metrics", false);
    assertEquals(200, metrics.statusCode());
    assertTrue(metrics.body().contains("jvm_memory_used_bytes"), "JVM metrics exported");
    assertEquals(200, node.get("/health/ready", false).statusCode());
    assertEquals(200, node.get("/health/alive", false).statusCode());
  }

  /** Reads every packet of the playlist with ffprobe: DTS must rise within each stream. */
  static void assertMonotonicTimestamps(String playlistUrl) throws Exception {
    Processes.Result packets =
        Ffprobe.run(playlistUrl, "-show_entries", "packet=stream_index,dts_time", "-of", "csv=p=0");
    assertEquals(0, packets.exitCode(), packets.stderr());
    Map<String, Double> last = new HashMap<>();
    int count = 0;
    for (String line : packets.stdout().split("\n")) {
      String[] f = line.strip().split(",");
      if (f.length < 2 || f[1].equals("N/A")) {
        continue;
      }
      double dts = Double.parseDouble(f[1]);
      Double before = last.put(f[0], dts);
      assertTrue(
          before == null || dts > before,
          "stream " + f[0] + " dts went from " + before + " to " + dts);
      count++;
    }
    assertTrue(count > 100, "packets read: " + count);
  }
}

package com.nrsgirls.streaming.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.nrsgirls.streaming.pipeline.recording.VodPlaylist;
import com.nrsgirls.streaming.testkit.Ffmpeg;
import com.nrsgirls.streaming.testkit.Ffprobe;
import com.nrsgirls.streaming.testkit.Processes;
import com.nrsgirls.streaming.testkit.S3Server;
import com.nrsgirls.streaming.testkit.TestClips;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Recording end to end against a real S3-compatible server (S3Proxy, started here on 127.0.0.1):
 * real ffmpeg publishes, the node remuxes the source into fMP4 parts and uploads them as the
 * session goes; ffprobe and ffmpeg read back what the bucket holds and what the node serves.
 */
class RecordingEndToEndTest {
  private static final String BUCKET = "nrs-recordings";
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  @TempDir Path dir;

  static String s3Config(S3Server s3) {
    return "nrs.streaming.store.type = s3\n"
        + "nrs.streaming.store.s3 { bucket = \""
        + BUCKET
        + "\", prefix = \"nrs\", endpoint = \""
        + s3.endpoint()
        + "\", access-key = \""
        + S3Server.ACCESS_KEY
        + "\", secret-key = \""
        + S3Server.SECRET_KEY
        + "\", call-timeout = 5s }\n"
        + "nrs.streaming.pipeline.recording { part-duration = 4s, retry-min = 200ms, retry-max = 2s }\n";
  }

  /** The stream's recordings from the API, once {@code ok} holds for the newest. */
  static JsonNode awaitRecording(
      TestNode node, String streamId, Duration timeout, Predicate<JsonNode> ok) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    JsonNode last = null;
    while (System.nanoTime() < deadline) {
      HttpResponse<String> r = node.get("/api/v1/streams/" + streamId + "/recordings", true);
      assertEquals(200, r.statusCode(), r.body());
      JsonNode list = JSON.readTree(r.body());
      if (list.size() > 0) {
        last = list.get(0);
        if (ok.test(last)) {
          return last;
        }
      }
      Thread.sleep(100); // poll interval of a probe
    }
    throw new AssertionError("the recording never reached the expected state: " + last);
  }

  static Path download(String url, Path to) throws Exception {
    HttpResponse<Path> r =
        HTTP.send(
            HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofFile(to));
    assertEquals(200, r.statusCode(), url);
    return to;
  }

  static void assertPlays(Path file, double seconds) throws Exception {
    assertPlays(file, seconds, 0.5);
  }

  static void assertPlays(Path file, double seconds, double tolerance) throws Exception {
    Processes.Result streams =
        Ffprobe.run(
            file.toString(),
            "-show_entries",
            "stream=codec_name,width,height:format=duration",
            "-of",
            "default=nw=1");
    assertEquals(0, streams.exitCode(), streams.stderr());
    assertTrue(streams.stdout().contains("codec_name=h264"), streams.stdout());
    assertTrue(streams.stdout().contains("codec_name=aac"), streams.stdout());
    assertTrue(streams.stdout().contains("width=640"), streams.stdout());
    double duration =
        Double.parseDouble(
            streams
                .stdout()
                .lines()
                .filter(l -> l.startsWith("duration="))
                .findFirst()
                .orElseThrow()
                .substring(9));
    assertEquals(seconds, duration, tolerance, "duration of " + file);
    Processes.Result decoded = Ffmpeg.decode(file.toString());
    assertEquals("", decoded.stderr().strip(), "decodes without errors");
  }

  static void publish(TestNode node, Path clip, String key, int seconds) throws Exception {
    Process p = Publisher.start(clip, node.rtmpUrl(key), 1);
    try {
      Processes.Result r = Publisher.await(p, seconds + 20);
      assertEquals(0, r.exitCode(), r.stderr());
    } finally {
      Publisher.kill(p);
    }
  }

  /** The keys in the bucket under the recording's prefix. */
  static List<String> objects(S3Server s3, String streamId, String recordingId) throws Exception {
    Path d = s3.bucketDir(BUCKET).resolve("nrs/recordings").resolve(streamId).resolve(recordingId);
    try (Stream<Path> files = Files.list(d)) {
      return files.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  @Test
  void aSessionIsRecordedToTheBucketAndPlaysBack() throws Exception {
    int seconds = 20;
    Path clip = TestClips.flv(seconds, 640, 360);
    try (S3Server s3 = S3Server.start(dir.resolve("s3"), BUCKET);
        TestNode node =
            TestNode.start(
                dir.resolve("node"),
                s3Config(s3) + "nrs.streaming.pipeline.hls.to-object-store = on\n")) {
      JsonNode created = node.createStream("recorded");
      String streamId = created.get("streamId").asText();
      publish(node, clip, created.get("streamKey").asText(), seconds);

      JsonNode recording =
          awaitRecording(
              node,
              streamId,
              Duration.ofSeconds(30),
              r -> r.get("status").asText().equals("completed"));
      String recordingId = recording.get("recordingId").asText();
      assertEquals(seconds, recording.get("durationSeconds").asDouble(), 0.5, recording.toString());
      assertTrue(recording.get("parts").asInt() >= 4, recording.toString());
      String url = recording.get("url").asText();
      assertEquals(
          node.httpUrl("/recordings/" + streamId + "/" + recordingId + "/index.m3u8"), url);

      List<String> objects = objects(s3, streamId, recordingId);
      assertTrue(objects.contains("index.m3u8"), objects.toString());
      assertTrue(objects.contains("init-1.mp4"), objects.toString());
      assertEquals(
          recording.get("parts").asInt(),
          objects.stream().filter(n -> n.startsWith("part-")).count(),
          objects.toString());
      String playlist =
          Files.readString(
              s3.bucketDir(BUCKET)
                  .resolve("nrs/recordings")
                  .resolve(streamId)
                  .resolve(recordingId)
                  .resolve("index.m3u8"));
      assertTrue(playlist.contains("#EXT-X-ENDLIST"), playlist);
      assertEquals(
          seconds, VodPlaylist.durationMillis(VodPlaylist.parse(playlist)) / 1000.0, 0.5, playlist);

      // the whole recording as one file, and the VOD playlist the node serves
      assertPlays(
          download(url.replace("index.m3u8", "recording.mp4"), dir.resolve("rec.mp4")), seconds);
      Processes.Result vod = Ffmpeg.decode(url);
      assertEquals(0, vod.exitCode(), vod.stderr());
      assertEquals("", vod.stderr().strip(), "the VOD playlist plays without a decode error");
      // HLS went to the bucket too: its playlists and segments play from there
      Path hls = s3.bucketDir(BUCKET).resolve("nrs/hls").resolve(streamId);
      assertTrue(Files.readString(hls.resolve("index.m3u8")).contains("source/index.m3u8"));
      String live =
          NodeProcess.awaitFile(
              hls.resolve("source/index.m3u8"),
              Duration.ofSeconds(10),
              t -> t.contains("#EXT-X-ENDLIST"));
      Processes.Result fromBucket =
          Processes.run(
              List.of(
                  "ffmpeg",
                  "-v",
                  "error",
                  "-i",
                  hls.resolve("source/index.m3u8").toString(),
                  "-f",
                  "null",
                  "-"),
              Duration.ofSeconds(60));
      assertEquals(0, fromBucket.exitCode(), fromBucket.stderr());
      assertEquals("", fromBucket.stderr().strip(), "the bucket's HLS plays: " + live);
      // nothing is left in the spool
      Path spool = dir.resolve("node/recordings-spool").resolve(streamId).resolve(recordingId);
      assertTrue(!Files.exists(spool), "spool emptied");
    }
  }

  @Test
  void theStoreGoneForTenSecondsLosesNothingAndAReconnectContinuesTheRecording() throws Exception {
    int seconds = 12;
    Path clip = TestClips.flv(seconds, 640, 360);
    try (S3Server s3 = S3Server.start(dir.resolve("s3"), BUCKET);
        TestNode node =
            TestNode.start(
                dir.resolve("node"),
                s3Config(s3) + "nrs.streaming.pipeline.reconnect-grace = 15s\n")) {
      JsonNode created = node.createStream("outage");
      String streamId = created.get("streamId").asText();
      String key = created.get("streamKey").asText();
      Process p = Publisher.start(clip, node.rtmpUrl(key), 1);
      try {
        awaitRecording(node, streamId, Duration.ofSeconds(20), r -> r.get("parts").asInt() >= 1);
        s3.kill();
        Thread.sleep(10_000); // the outage itself: the store is down this long
        s3.restart();
        Processes.Result r = Publisher.await(p, seconds + 20);
        assertEquals(0, r.exitCode(), r.stderr());
      } finally {
        Publisher.kill(p);
      }
      // the publisher comes back within the grace: the same recording goes on
      publish(node, clip, key, seconds);
      node.send("POST", "/api/v1/streams/" + streamId + "/stop", null);
      JsonNode recording =
          awaitRecording(
              node,
              streamId,
              Duration.ofSeconds(60),
              r -> r.get("status").asText().equals("completed"));
      HttpResponse<String> all = node.get("/api/v1/streams/" + streamId + "/recordings", true);
      assertEquals(1, JSON.readTree(all.body()).size(), "one recording: " + all.body());
      assertEquals(
          2 * seconds, recording.get("durationSeconds").asDouble(), 1.0, recording.toString());
      String recordingId = recording.get("recordingId").asText();
      assertEquals(
          recording.get("parts").asInt(),
          objects(s3, streamId, recordingId).stream().filter(n -> n.startsWith("part-")).count());
      assertPlays(
          download(
              recording.get("url").asText().replace("index.m3u8", "recording.mp4"),
              dir.resolve("rec.mp4")),
          2 * seconds);
      List<String> events = node.eventTypes(streamId);
      assertEquals(
          1, events.stream().filter(e -> e.equals("RecordingStarted")).count(), events.toString());
      assertEquals(
          recording.get("parts").asInt(),
          events.stream().filter(e -> e.equals("RecordingPartStored")).count(),
          events.toString());
      assertTrue(events.contains("RecordingCompleted"), events.toString());
    }
  }

  @Test
  void aKilledNodeMarksItsRecordingInterruptedAndWhatWasStoredPlays() throws Exception {
    Path clip = TestClips.flv(30, 640, 360);
    try (S3Server s3 = S3Server.start(dir.resolve("s3"), BUCKET)) {
      Map<String, String> env =
          new java.util.HashMap<>(NodeProcess.environment(dir.resolve("data")));
      env.put("NRS_STORE", "s3");
      env.put("NRS_S3_BUCKET", BUCKET);
      env.put("NRS_S3_PREFIX", "nrs");
      env.put("NRS_S3_ENDPOINT", s3.endpoint());
      env.put("NRS_S3_ACCESS_KEY", S3Server.ACCESS_KEY);
      env.put("NRS_S3_SECRET_KEY", S3Server.SECRET_KEY);
      List<String> props = List.of("-Dnrs.streaming.pipeline.recording.part-duration=2s");
      String token;
      String streamId;
      int storedBeforeKill;
      try (NodeProcess node =
          NodeProcess.start(env, dir.resolve("node1.log"), props)
              .awaitReady(Duration.ofSeconds(60))) {
        token = Files.readString(dir.resolve("data/admin-token")).strip();
        JsonNode created =
            JSON.readTree(
                node.send(
                        "POST",
                        "/api/v1/streams",
                        token,
                        "{\"creatorId\":\"dj-9\",\"creatorType\":\"DJ\",\"title\":\"crash\"}")
                    .body());
        streamId = created.get("streamId").asText();
        Process publisher =
            Publisher.start(clip, node.rtmpUrl(created.get("streamKey").asText()), 1);
        try {
          storedBeforeKill = awaitParts(node, token, streamId, 3);
          node.kill(); // SIGKILL mid-recording
        } finally {
          Publisher.kill(publisher);
        }
      }
      try (NodeProcess again =
          NodeProcess.start(env, dir.resolve("node2.log"), props)
              .awaitReady(Duration.ofSeconds(60))) {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        JsonNode recording = null;
        while (System.nanoTime() < deadline) {
          JsonNode list =
              JSON.readTree(
                  again
                      .send("GET", "/api/v1/streams/" + streamId + "/recordings", token, null)
                      .body());
          recording = list.get(0);
          if (recording.get("status").asText().equals("interrupted")) {
            break;
          }
          Thread.sleep(100); // poll interval of a probe
        }
        assertEquals("interrupted", recording.get("status").asText(), recording.toString());
        assertTrue(recording.get("parts").asInt() >= storedBeforeKill, recording.toString());
        String recordingId = recording.get("recordingId").asText();
        Path stored =
            s3.bucketDir(BUCKET).resolve("nrs/recordings").resolve(streamId).resolve(recordingId);
        String playlist = Files.readString(stored.resolve("index.m3u8"));
        assertTrue(playlist.contains("#EXT-X-ENDLIST"), playlist);
        List<VodPlaylist.Entry> entries = VodPlaylist.parse(playlist);
        assertEquals(recording.get("parts").asInt(), entries.size(), playlist);
        for (VodPlaylist.Entry e : entries) {
          assertTrue(Files.exists(stored.resolve(VodPlaylist.partName(e.part()))), e.toString());
        }
        Processes.Result vod = Ffmpeg.decode(stored.resolve("index.m3u8").toString());
        assertEquals("", vod.stderr().strip(), "what was stored plays without a decode error");
        assertPlays(
            download(
                recording.get("url").asText().replace("index.m3u8", "recording.mp4"),
                dir.resolve("interrupted.mp4")),
            VodPlaylist.durationMillis(entries) / 1000.0);
      }
    }
  }

  /** Waits until the recording has {@code parts} parts stored; returns how many it has. */
  private static int awaitParts(NodeProcess node, String token, String streamId, int parts)
      throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(40).toNanos();
    String last = null;
    while (System.nanoTime() < deadline) {
      last = node.send("GET", "/api/v1/streams/" + streamId + "/recordings", token, null).body();
      JsonNode list = JSON.readTree(last);
      if (list.size() > 0 && list.get(0).get("parts").asInt() >= parts) {
        return list.get(0).get("parts").asInt();
      }
      Thread.sleep(100); // poll interval of a probe
    }
    throw new AssertionError("never " + parts + " parts: " + last);
  }

  @Test
  void obsDefaultKeyframesOnTheLocalStoreAndRecordingSwitchedOffAndOnWhileLive() throws Exception {
    // OBS's "auto" keyframe interval: 250 frames, 8.3 s; parts are cut at keyframes only
    int seconds = 30;
    Path clip = TestClips.flv(TestClips.Encoding.OBS_AUTO_KEYFRAMES, seconds, 640, 360);
    try (TestNode node =
        TestNode.start(
            dir.resolve("node"), "nrs.streaming.pipeline.recording.part-duration = 4s\n")) {
      JsonNode created = node.createStream("obs");
      String streamId = created.get("streamId").asText();
      String outputs = "/api/v1/streams/" + streamId + "/outputs";
      Process p = Publisher.start(clip, node.rtmpUrl(created.get("streamKey").asText()), 1);
      try {
        JsonNode first =
            awaitRecording(
                node, streamId, Duration.ofSeconds(20), r -> r.get("parts").asInt() >= 1);
        HttpResponse<String> off = node.send("PUT", outputs, "{\"record\":false}");
        assertEquals(200, off.statusCode(), off.body());
        awaitRecording(
            node,
            streamId,
            Duration.ofSeconds(20),
            r -> r.get("status").asText().equals("completed"));
        HttpResponse<String> on = node.send("PUT", outputs, "{\"record\":true}");
        assertEquals(200, on.statusCode(), on.body());
        JsonNode second =
            awaitRecording(
                node,
                streamId,
                Duration.ofSeconds(10),
                r -> !r.get("recordingId").asText().equals(first.get("recordingId").asText()));
        assertEquals("recording", second.get("status").asText(), second.toString());
        Processes.Result r = Publisher.await(p, seconds + 20);
        assertEquals(0, r.exitCode(), r.stderr());
      } finally {
        Publisher.kill(p);
      }
      awaitRecording(
          node,
          streamId,
          Duration.ofSeconds(20),
          r -> r.get("status").asText().equals("completed"));
      JsonNode list =
          JSON.readTree(node.get("/api/v1/streams/" + streamId + "/recordings", true).body());
      assertEquals(2, list.size(), list.toString());
      double total = 0;
      for (JsonNode rec : list) {
        assertEquals("completed", rec.get("status").asText(), rec.toString());
        double d = rec.get("durationSeconds").asDouble();
        // every part starts at a keyframe: 8.3 s apart
        assertTrue(d > 8, rec.toString());
        Path local =
            dir.resolve("node/store/recordings")
                .resolve(streamId)
                .resolve(rec.get("recordingId").asText())
                .resolve("index.m3u8");
        assertEquals(
            d,
            VodPlaylist.durationMillis(VodPlaylist.parse(Files.readString(local))) / 1000.0,
            0.01);
        assertPlays(
            download(
                rec.get("url").asText().replace("index.m3u8", "recording.mp4"),
                dir.resolve(rec.get("recordingId").asText() + ".mp4")),
            d);
        total += d;
      }
      assertTrue(total <= seconds + 0.5, "the two recordings hold at most the stream: " + list);
    }
  }
}

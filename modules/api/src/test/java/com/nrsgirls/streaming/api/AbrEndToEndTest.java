package com.nrsgirls.streaming.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.nrsgirls.streaming.testkit.Ffmpeg;
import com.nrsgirls.streaming.testkit.Ffprobe;
import com.nrsgirls.streaming.testkit.Processes;
import com.nrsgirls.streaming.testkit.TestClips;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The ABR ladder end to end: a real ffmpeg publishes, the node transcodes with bytedeco's libx264,
 * and what a player reads (the master playlist and every rendition) is checked with the ffmpeg CLI.
 */
@ExtendWith(TestNode.PerClass.class)
class AbrEndToEndTest {
  private static final Pattern STREAM_INF = Pattern.compile("#EXT-X-STREAM-INF:(.*)\\n(\\S+)");
  private static final Pattern EXTINF = Pattern.compile("#EXTINF:([0-9.]+),");
  private static final Pattern MEDIA_SEQUENCE = Pattern.compile("#EXT-X-MEDIA-SEQUENCE:(\\d+)");

  @Test
  void a1080pPublishGetsTheRungsBelowItCutWhereTheSourceIsCut(TestNode node) throws Exception {
    int seconds = 12;
    String streamId = publish(node, TestClips.flv(seconds, 1920, 1080));
    Map<String, String> variants = master(node, streamId);
    assertEquals(
        List.of("source/index.m3u8", "720p/index.m3u8", "480p/index.m3u8"),
        List.copyOf(variants.keySet()),
        "1080p is skipped: it is the source's own height");
    assertTrue(
        variants.get("720p/index.m3u8").contains("RESOLUTION=1280x720"), variants.toString());
    assertTrue(variants.get("480p/index.m3u8").contains("RESOLUTION=854x480"), variants.toString());
    for (String attributes : variants.values()) {
      for (String name : List.of("BANDWIDTH=", "AVERAGE-BANDWIDTH=", "FRAME-RATE=30.000")) {
        assertTrue(attributes.contains(name), name + " in " + attributes);
      }
      assertTrue(attributes.matches(".*CODECS=\"avc1\\.[0-9a-f]{6},mp4a\\.40\\.2\".*"), attributes);
    }

    Rendition source = rendition(node, streamId, "source");
    Map<String, Integer> targets = Map.of("720p", 2_500_000, "480p", 1_000_000);
    for (Map.Entry<String, Integer> rung : targets.entrySet()) {
      Rendition r = rendition(node, streamId, rung.getKey());
      assertEquals(source.mediaSequence, r.mediaSequence, rung.getKey() + " numbered as source");
      assertEquals(source.durations.size(), r.durations.size(), rung.getKey() + " segment count");
      for (int i = 0; i < source.durations.size(); i++) {
        assertTrue(
            Math.abs(source.durations.get(i) - r.durations.get(i)) <= 0.034,
            rung.getKey() + " segment " + i + " " + r.durations + " vs " + source.durations);
      }
      long bits = 0;
      for (String size :
          probe(r.url, "-select_streams", "v", "-show_entries", "packet=size").lines().toList()) {
        if (!size.isBlank()) {
          bits += Long.parseLong(size.strip().split(",")[0]) * 8;
        }
      }
      double rate = bits / r.seconds();
      assertTrue(
          Math.abs(rate - rung.getValue()) <= rung.getValue() * 0.2,
          rung.getKey() + " video at " + Math.round(rate) + " bit/s, target " + rung.getValue());
    }
    for (String name : List.of("source", "720p", "480p")) {
      Rendition r = rendition(node, streamId, name);
      Processes.Result decoded = Ffmpeg.decode(r.url);
      assertEquals(0, decoded.exitCode(), name + ": " + decoded.stderr());
      assertEquals("", decoded.stderr().strip(), name + " decodes without errors");
    }
    assertEquals(
        "1280,720",
        probe(
                rendition(node, streamId, "720p").url,
                "-select_streams",
                "v",
                "-show_entries",
                "stream=width,height")
            .lines()
            .findFirst()
            .orElse("")
            .replaceAll(",$", ""));
  }

  @Test
  void a720pPublishHasNoUpscaledRung(TestNode node) throws Exception {
    String streamId = publish(node, TestClips.flv(6, 1280, 720));
    assertEquals(
        List.of("source/index.m3u8", "480p/index.m3u8"),
        List.copyOf(master(node, streamId).keySet()));
  }

  @Test
  void abrSwitchedOffForOneStreamLeavesItsSourceLiveWithoutDisturbingThePublisher(TestNode node)
      throws Exception {
    JsonNode created = node.createStream("abr off while live");
    String streamId = created.get("streamId").asText();
    String outputs = "/api/v1/streams/" + streamId + "/outputs";
    HttpResponse<String> bad =
        node.send("PUT", outputs, "{\"ladder\":[{\"name\":\"../x\",\"height\":360}]}");
    assertEquals(400, bad.statusCode(), bad.body());
    assertTrue(bad.body().contains("ladder[0]: name must be"), bad.body());
    assertTrue(!bad.body().contains("../x"), "never echoes what was sent: " + bad.body());

    Process publisher =
        Publisher.start(
            TestClips.flv(10, 1280, 720), node.rtmpUrl(created.get("streamKey").asText()), 2);
    try {
      node.awaitState(
          streamId,
          Duration.ofSeconds(20),
          s -> s.path("renditions").toString().equals("[\"source\",\"480p\"]"));
      node.awaitState(
          streamId,
          Duration.ofSeconds(10),
          s -> {
            for (JsonNode o : s.path("health").path("outputs")) {
              if (o.path("name").asText().equals("abr")
                  && o.path("state").asText().equals("live")) {
                return true;
              }
            }
            return false;
          });
      String metrics = node.get("/metrics", false).body();
      assertTrue(metrics.contains("nrs_outputs{output=\"abr\",state=\"live\"} 1.0"), metrics);
      Path rung = node.mediaPlaylist(streamId).getParent().resolveSibling("480p");
      HttpResponse<String> off = node.send("PUT", outputs, "{\"abr\":false}");
      assertEquals(200, off.statusCode(), off.body());
      assertEquals(false, node.json(off).get("outputs").get("abr").asBoolean(true));
      node.awaitFile(
          rung.resolve("index.m3u8"), Duration.ofSeconds(10), t -> t.contains("ENDLIST"));
      node.awaitState(
          streamId,
          Duration.ofSeconds(10),
          s -> s.path("renditions").toString().equals("[\"source\"]"));
      assertEquals(List.of("source/index.m3u8"), List.copyOf(master(node, streamId).keySet()));
      node.awaitState(
          streamId,
          Duration.ofSeconds(5),
          s -> !s.path("health").path("outputs").toString().contains("abr"));
      // the source goes on: more segments after the change, in the same session
      int before = segments(java.nio.file.Files.readString(node.mediaPlaylist(streamId)));
      node.awaitFile(
          node.mediaPlaylist(streamId), Duration.ofSeconds(10), t -> segments(t) > before);
      assertEquals("live", node.state(streamId).get("status").asText());
      Processes.Result r = Publisher.await(publisher, 40);
      assertEquals(0, r.exitCode(), r.stderr());
    } finally {
      Publisher.kill(publisher);
    }
    String source =
        node.awaitFile(
            node.mediaPlaylist(streamId), Duration.ofSeconds(15), t -> t.contains("ENDLIST"));
    assertTrue(!source.contains("#EXT-X-DISCONTINUITY"), "one session throughout: " + source);
    assertEquals(
        List.of(
            "StreamCreated", "PublishStarted", "MediaDetected", "OutputsChanged", "PublishEnded"),
        node.eventTypes(streamId).stream()
            .filter(t -> !t.equals("OutputsEnded") && !t.startsWith("Recording"))
            .toList());
  }

  private static int segments(String playlist) {
    Matcher m = MEDIA_SEQUENCE.matcher(playlist);
    long first = m.find() ? Long.parseLong(m.group(1)) : 0;
    Matcher extinf = EXTINF.matcher(playlist);
    int n = 0;
    while (extinf.find()) {
      n++;
    }
    return (int) (first + n);
  }

  /** Publishes the clip in real time, then waits until every playlist of the stream has ended. */
  private static String publish(TestNode node, Path clip) throws Exception {
    JsonNode created = node.createStream("abr");
    String streamId = created.get("streamId").asText();
    Process publisher = Publisher.start(clip, node.rtmpUrl(created.get("streamKey").asText()), 1);
    try {
      Processes.Result r = Publisher.await(publisher, 60);
      assertEquals(0, r.exitCode(), r.stderr());
    } finally {
      Publisher.kill(publisher);
    }
    node.awaitFile(
        node.mediaPlaylist(streamId), Duration.ofSeconds(15), t -> t.contains("ENDLIST"));
    return streamId;
  }

  /**
   * The classic (TS) master playlist's variants: URI to attributes, in its order; the default
   * master lists the same variants' low-latency playlists.
   */
  private static Map<String, String> master(TestNode node, String streamId) throws Exception {
    Map<String, String> classic = variants(node, streamId, "classic.m3u8", "index.m3u8");
    Map<String, String> lowLatency = new LinkedHashMap<>();
    variants(node, streamId, "index.m3u8", "ll.m3u8")
        .forEach((uri, attributes) -> lowLatency.put(uri.replace("/ll.", "/index."), attributes));
    assertEquals(classic, lowLatency, "the default master: the same variants in low latency");
    return classic;
  }

  private static Map<String, String> variants(
      TestNode node, String streamId, String master, String media) throws Exception {
    HttpResponse<String> m = node.get("/live/" + streamId + "/" + master, false);
    assertEquals(200, m.statusCode());
    Map<String, String> variants = new LinkedHashMap<>();
    Matcher v = STREAM_INF.matcher(m.body());
    while (v.find()) {
      // each viewer's own session id on the URL (?vs=), the same for every variant
      assertTrue(
          v.group(2).matches("[a-z0-9]+/" + Pattern.quote(media) + "\\?vs=[a-z0-9]{16}"), m.body());
      variants.put(v.group(2).substring(0, v.group(2).indexOf('?')), v.group(1));
    }
    return variants;
  }

  private record Rendition(String url, long mediaSequence, List<Double> durations) {
    double seconds() {
      return durations.stream().mapToDouble(Double::doubleValue).sum();
    }
  }

  private static Rendition rendition(TestNode node, String streamId, String name) throws Exception {
    Path file = node.mediaPlaylist(streamId).getParent().resolveSibling(name).resolve("index.m3u8");
    String text = node.awaitFile(file, Duration.ofSeconds(15), t -> t.contains("ENDLIST"));
    Matcher sequence = MEDIA_SEQUENCE.matcher(text);
    assertTrue(sequence.find(), text);
    List<Double> durations = new ArrayList<>();
    Matcher extinf = EXTINF.matcher(text);
    while (extinf.find()) {
      durations.add(Double.parseDouble(extinf.group(1)));
    }
    return new Rendition(
        node.httpUrl("/live/" + streamId + "/" + name + "/index.m3u8"),
        Long.parseLong(sequence.group(1)),
        durations);
  }

  private static String probe(String url, String... options) throws Exception {
    List<String> all = new ArrayList<>(List.of(options));
    all.addAll(List.of("-of", "csv=p=0"));
    Processes.Result r = Ffprobe.run(url, all.toArray(String[]::new));
    assertEquals(0, r.exitCode(), r.stderr());
    return r.stdout();
  }
}

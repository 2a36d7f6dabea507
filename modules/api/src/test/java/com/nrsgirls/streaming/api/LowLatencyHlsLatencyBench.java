package com.nrsgirls.streaming.api;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.nrsgirls.streaming.testkit.Chromium;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * HLS latency on this machine (run by {@code bench/ll-hls-latency}, not in the normal build): glass
 * to glass from a Chromium publisher, which draws the wall clock into its canvas (32 bits of {@code
 * Date.now()} as blocks) and publishes it over WHIP (H.264 by OpenH264, a keyframe every 2 s as the
 * node asks for one), to hls.js 1.4.12 at its defaults (low-latency mode on) in another Chromium,
 * which reads the clock back from every frame it shows at the time it is to be displayed. Same
 * machine, same clock. First the default master (low-latency with LL-HLS on: {@code index.m3u8},
 * 200 ms parts), then the classic one ({@code classic.m3u8}, 2 s TS segments): startup, p50, p95,
 * min and max over 60 s after a 10 s warm-up, stalls, and hls.js's own latency estimate. ABR off:
 * the source rendition.
 *
 * <p>Two browsers and the node share the 2 cores: the figures include that. Written to {@code
 * target/ll-hls-latency.txt}.
 */
@Tag("bench")
class LowLatencyHlsLatencyBench {
  @TempDir Path dataDir;

  @Test
  void measure() throws Exception {
    List<String> report = new ArrayList<>();
    try (TestNode node =
        TestNode.start(
            dataDir,
            "nrs.streaming.pipeline.hls.low-latency.enabled = on\n"
                + "nrs.streaming.pipeline.abr.enabled = off\n")) {
      JsonNode created = node.createStream("latency");
      String streamId = created.get("streamId").asText();
      String key = created.get("streamKey").asText();
      try (Chromium publisher = Chromium.start()) {
        WhepEndToEndTest.client(publisher, node);
        JsonNode published =
            publisher.evaluate("nrs.publishClock('/whip', '" + key + "')", Duration.ofSeconds(20));
        assertEquals(201, published.get("status").asInt(), published.toString());
        node.awaitState(
            streamId, Duration.ofSeconds(20), s -> s.get("status").asText().equals("live"));
        for (String master : List.of("index.m3u8", "classic.m3u8")) {
          try (Chromium viewer = Chromium.start()) {
            report.add(measure(node, viewer, "/live/" + streamId + "/" + master));
          }
        }
        publisher.evaluate("nrs.stop()", Duration.ofSeconds(10));
      }
    }
    String text = String.join("\n", report) + "\n";
    System.out.print(text);
    Files.writeString(Path.of("target", "ll-hls-latency.txt"), text);
  }

  private static String measure(TestNode node, Chromium viewer, String path) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (node.get(path, false).statusCode() != 200 && System.nanoTime() < deadline) {
      Thread.sleep(100); // poll interval of a probe
    }
    WhepEndToEndTest.client(viewer, node); // nrs.measureClock reads the clock from the <video>
    viewer.loadHlsPlayer();
    viewer.evaluate("nrsHls.play('" + node.httpUrl(path) + "')", Duration.ofSeconds(10));
    JsonNode stats = viewer.evaluate("nrsHls.stats()", Duration.ofSeconds(5));
    while (stats.path("startupMillis").isNull() && System.nanoTime() < deadline) {
      Thread.sleep(100); // poll interval of a probe
      stats = viewer.evaluate("nrsHls.stats()", Duration.ofSeconds(5));
    }
    viewer.evaluate("nrs.measureClock(10)", Duration.ofSeconds(30)); // warm-up
    JsonNode measured = viewer.evaluate("nrs.measureClock(60)", Duration.ofSeconds(90));
    List<Double> latencies = new ArrayList<>();
    measured.get("latencies").forEach(l -> latencies.add(l.asDouble()));
    latencies.sort(Double::compare);
    stats = viewer.evaluate("nrsHls.stats()", Duration.ofSeconds(5));
    return String.format(
        "WHIP (Chromium, canvas 640x360 30 fps) -> %s in hls.js %s (defaults, low-latency mode"
            + " %s): glass to glass over 60 s: p50 %.0f ms, p95 %.0f ms, min %.0f ms, max %.0f ms"
            + " (%d frames, %d unreadable); startup %d ms; stalls %d, waits %d; hls.latency"
            + " %.2f s; parts loaded %d, segments %d; frames decoded %d, dropped %d",
        path.substring(path.lastIndexOf('/') + 1),
        Chromium.HLS_JS_VERSION,
        stats.get("lowLatencyMode").asBoolean() ? "on" : "off",
        percentile(latencies, 50),
        percentile(latencies, 95),
        latencies.isEmpty() ? Double.NaN : latencies.get(0),
        latencies.isEmpty() ? Double.NaN : latencies.get(latencies.size() - 1),
        latencies.size(),
        measured.get("unreadable").asInt(),
        stats.path("startupMillis").asLong(),
        stats.get("stalls").asInt(),
        stats.get("waits").asInt(),
        stats.get("latency").asDouble(),
        stats.get("parts").asInt(),
        stats.get("segments").asInt(),
        stats.get("decodedFrames").asInt(),
        stats.get("droppedFrames").asInt());
  }

  private static double percentile(List<Double> sorted, int p) {
    if (sorted.isEmpty()) {
      return Double.NaN;
    }
    int i = (int) Math.ceil(p / 100.0 * sorted.size()) - 1;
    return sorted.get(Math.max(0, Math.min(sorted.size() - 1, i)));
  }
}

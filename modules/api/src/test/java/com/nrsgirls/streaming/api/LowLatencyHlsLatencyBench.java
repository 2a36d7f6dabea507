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
 * Date.now()} as blocks) and publishes it over WHIP (H.264 by OpenH264, a keyframe as often as the
 * node asks for one), to hls.js 1.4.12 at its defaults (low-latency mode on) in another Chromium,
 * which reads the clock back from every frame it shows at the time it is to be displayed. Same
 * machine, same clock. Four rows, each from a node of its own:
 *
 * <ul>
 *   <li>the node's defaults (2 s segments, 200 ms parts, a keyframe every 2 s): the default master
 *       {@code index.m3u8} (low-latency), then the classic one ({@code classic.m3u8}, TS);
 *   <li>MediaMTX's defaults in our config: 1 s segments (a keyframe every second), seven of them,
 *       200 ms parts;
 *   <li>a publisher at OBS's default keyframe interval (8.3 s) on the node's defaults.
 * </ul>
 *
 * <p>Startup, p50, p95, min and max over {@code -Dseconds} (120) after a 10 s warm-up, stalls, and
 * hls.js's own latency estimate. ABR off: the source rendition. Two browsers and the node share the
 * 2 cores: the figures include that. Written to {@code target/ll-hls-latency.txt}.
 */
@Tag("bench")
class LowLatencyHlsLatencyBench {
  private static final int SECONDS = Integer.getInteger("seconds", 120);

  @TempDir Path dataDir;

  private record Setup(String label, String config, List<String> masters) {}

  @Test
  void measure() throws Exception {
    List<Setup> setups =
        List.of(
            new Setup("defaults", "", List.of("index.m3u8", "classic.m3u8")),
            new Setup(
                "MediaMTX-style (1 s segments, 7 of them, 200 ms parts)",
                "nrs.streaming.pipeline.hls.target-duration = 1s\n"
                    + "nrs.streaming.pipeline.hls.playlist-size = 7\n"
                    + "nrs.streaming.webrtc.keyframe-interval = 1s\n",
                List.of("index.m3u8")),
            new Setup(
                "defaults, OBS's default keyframe interval (8.3 s)",
                "nrs.streaming.webrtc.keyframe-interval = 8333ms\n",
                List.of("index.m3u8")));
    List<String> report = new ArrayList<>();
    int n = 0;
    for (Setup setup : setups) {
      try (TestNode node =
          TestNode.start(
              dataDir.resolve("node-" + n++),
              setup.config() + "nrs.streaming.pipeline.abr.enabled = off\n")) {
        JsonNode created = node.createStream("latency");
        String streamId = created.get("streamId").asText();
        String key = created.get("streamKey").asText();
        try (Chromium publisher = Chromium.start()) {
          WhepEndToEndTest.client(publisher, node);
          JsonNode published =
              publisher.evaluate(
                  "nrs.publishClock('/whip', '" + key + "')", Duration.ofSeconds(20));
          assertEquals(201, published.get("status").asInt(), published.toString());
          node.awaitState(
              streamId, Duration.ofSeconds(20), s -> s.get("status").asText().equals("live"));
          for (String master : setup.masters()) {
            try (Chromium viewer = Chromium.start()) {
              report.add(
                  setup.label() + ": " + measure(node, viewer, "/live/" + streamId + "/" + master));
            }
          }
          publisher.evaluate("nrs.stop()", Duration.ofSeconds(10));
        }
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
    JsonNode measured =
        viewer.evaluate("nrs.measureClock(" + SECONDS + ")", Duration.ofSeconds(SECONDS + 30L));
    List<Double> latencies = new ArrayList<>();
    measured.get("latencies").forEach(l -> latencies.add(l.asDouble()));
    latencies.sort(Double::compare);
    stats = viewer.evaluate("nrsHls.stats()", Duration.ofSeconds(5));
    return String.format(
        "WHIP (Chromium, canvas 640x360 30 fps) -> %s in hls.js %s (defaults, low-latency mode"
            + " %s): glass to glass over %d s: p50 %.0f ms, p95 %.0f ms, min %.0f ms, max %.0f ms"
            + " (%d frames, %d unreadable); startup %d ms; stalls %d, waits %d; hls.latency"
            + " %.2f s; parts loaded %d, segments %d; frames decoded %d, dropped %d",
        path.substring(path.lastIndexOf('/') + 1),
        Chromium.HLS_JS_VERSION,
        stats.get("lowLatencyMode").asBoolean() ? "on" : "off",
        SECONDS,
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

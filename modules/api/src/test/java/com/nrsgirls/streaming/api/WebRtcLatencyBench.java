package com.nrsgirls.streaming.api;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.nrsgirls.streaming.testkit.Chromium;
import com.nrsgirls.streaming.testkit.TestClips;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * WebRTC latency on this machine (run by {@code bench/webrtc-latency}, not in the normal build):
 *
 * <ul>
 *   <li>Glass to glass over WHIP and WHEP: a Chromium publisher draws the wall clock into its
 *       canvas (32 bits of {@code Date.now()} as blocks) and publishes it over WHIP (H.264 by
 *       OpenH264, Opus); another Chromium plays it over WHEP and reads the clock back from every
 *       frame it shows, at the time it is to be displayed. Same machine, same clock. p50, p95, min
 *       and max over 60 s after a 10 s warm-up.
 *   <li>Startup over WHEP of an RTMP publish (ffmpeg, no B-frames, a keyframe every 2 s): from the
 *       WHEP request to the first frame shown, for the stream's first viewer (its WebRTC output
 *       starts with it, so it waits for the next keyframe) and for a second one (who gets the
 *       cached GOP).
 * </ul>
 *
 * <p>Two browsers, the encoder and the node share the 2 cores: the figures include that. Written to
 * {@code target/webrtc-latency.txt}.
 */
@Tag("bench")
class WebRtcLatencyBench {
  @TempDir Path dataDir;

  @Test
  void measure() throws Exception {
    List<String> report = new ArrayList<>();
    try (TestNode node = TestNode.start(dataDir)) {
      JsonNode created = node.createStream("latency");
      String streamId = created.get("streamId").asText();
      String key = created.get("streamKey").asText();
      try (Chromium publisher = Chromium.start();
          Chromium viewer = Chromium.start()) {
        WhepEndToEndTest.client(publisher, node);
        JsonNode published =
            publisher.evaluate("nrs.publishClock('/whip', '" + key + "')", Duration.ofSeconds(20));
        assertEquals(201, published.get("status").asInt(), published.toString());
        node.awaitState(
            streamId, Duration.ofSeconds(20), s -> s.get("status").asText().equals("live"));
        JsonNode played = WhepEndToEndTest.play(viewer, node, streamId);
        double startup = viewer.evaluate("nrs.firstFrame()", Duration.ofSeconds(30)).asDouble();
        viewer.evaluate("nrs.measureClock(10)", Duration.ofSeconds(30)); // warm-up
        JsonNode measured = viewer.evaluate("nrs.measureClock(60)", Duration.ofSeconds(90));
        List<Double> latencies = new ArrayList<>();
        measured.get("latencies").forEach(l -> latencies.add(l.asDouble()));
        latencies.sort(Double::compare);
        JsonNode stats = viewer.evaluate("nrs.stats()", Duration.ofSeconds(5));
        report.add(
            String.format(
                "WHIP (Chromium, canvas 640x360 30 fps, OpenH264) -> WHEP (Chromium): glass to"
                    + " glass over 60 s: p50 %.0f ms, p95 %.0f ms, min %.0f ms, max %.0f ms (%d"
                    + " frames, %d unreadable); first frame %.0f ms after the WHEP request;"
                    + " viewer: %d frames decoded, %d dropped, %d freezes, jitter buffer %.0f ms"
                    + " on average",
                percentile(latencies, 50),
                percentile(latencies, 95),
                latencies.get(0),
                latencies.get(latencies.size() - 1),
                latencies.size(),
                measured.get("unreadable").asInt(),
                startup,
                stats.path("inbound-rtp-video").path("framesDecoded").asInt(),
                stats.path("inbound-rtp-video").path("framesDropped").asInt(),
                stats.path("inbound-rtp-video").path("freezeCount").asInt(),
                1000
                    * stats.path("inbound-rtp-video").path("jitterBufferDelay").asDouble()
                    / Math.max(
                        1,
                        stats.path("inbound-rtp-video").path("jitterBufferEmittedCount").asInt())));
        publisher.evaluate("nrs.stop()", Duration.ofSeconds(10));
      }

      JsonNode rtmpStream = node.createStream("rtmp latency");
      String rtmpId = rtmpStream.get("streamId").asText();
      Process rtmp =
          Publisher.start(
              TestClips.flv(TestClips.Encoding.NO_B_FRAMES, 10, 640, 360),
              node.rtmpUrl(rtmpStream.get("streamKey").asText()),
              6);
      try (Chromium first = Chromium.start();
          Chromium second = Chromium.start()) {
        node.awaitState(
            rtmpId, Duration.ofSeconds(20), s -> s.get("status").asText().equals("live"));
        List<String> startups = new ArrayList<>();
        for (Chromium viewer : List.of(first, second)) {
          WhepEndToEndTest.client(viewer, node);
          viewer.evaluate("nrs.play('/whep/" + rtmpId + "')", Duration.ofSeconds(20));
          startups.add(
              String.format(
                  "%.0f ms",
                  viewer.evaluate("nrs.firstFrame()", Duration.ofSeconds(30)).asDouble()));
        }
        report.add(
            "RTMP (ffmpeg, 640x360 30 fps, keyframe every 2 s, no B-frames) -> WHEP (Chromium):"
                + " first frame after the WHEP request: the stream's first viewer "
                + startups.get(0)
                + ", a second viewer "
                + startups.get(1));
      } finally {
        Publisher.kill(rtmp);
      }
    }
    String text = String.join("\n", report) + "\n";
    System.out.print(text);
    Files.writeString(Path.of("target", "webrtc-latency.txt"), text);
  }

  private static double percentile(List<Double> sorted, int p) {
    int i = (int) Math.ceil(p / 100.0 * sorted.size()) - 1;
    return sorted.get(Math.max(0, Math.min(sorted.size() - 1, i)));
  }
}

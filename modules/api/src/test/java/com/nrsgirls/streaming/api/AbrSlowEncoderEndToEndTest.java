package com.nrsgirls.streaming.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.nrsgirls.streaming.testkit.Ffmpeg;
import com.nrsgirls.streaming.testkit.Processes;
import com.nrsgirls.streaming.testkit.TestClips;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A ladder far too slow for its source (libx264 {@code slower} on a 1080p publish, on two cores):
 * the publisher streams in real time, the source rendition is whole and in time, and the ladder
 * drops to keyframes and says so.
 */
class AbrSlowEncoderEndToEndTest {
  private static final Pattern EXTINF = Pattern.compile("#EXTINF:([0-9.]+),");

  @Test
  void aLadderThatFallsBehindDropsAndCountsWithoutSlowingIngestOrTheSource(@TempDir Path dir)
      throws Exception {
    int seconds = 10; // five 2 s segments: all in the 6-segment window at the end
    Path clip = TestClips.flv(seconds, 1920, 1080);
    // a short queue (about half a second, not the default's 2 s) and one thread per codec: the
    // ladder overflows early in the clip however fast or busy this machine is
    String config =
        "nrs.streaming.pipeline.abr { preset = \"slower\", queue-packets = 40,"
            + " encoder-threads = 1, decoder-threads = 1 }\n";
    try (TestNode node = TestNode.start(dir, config)) {
      JsonNode created = node.createStream("slow ladder");
      String streamId = created.get("streamId").asText();
      AtomicLong abrDrops = new AtomicLong();
      AtomicReference<JsonNode> lastLive = new AtomicReference<>();
      long started = System.nanoTime();
      Process publisher = Publisher.start(clip, node.rtmpUrl(created.get("streamKey").asText()), 1);
      try {
        try {
          node.awaitState(
              streamId,
              Duration.ofSeconds(seconds + 5),
              s -> {
                if (s.hasNonNull("health")) {
                  lastLive.set(s);
                }
                long drops = s.path("health").path("branchDrops").path("abr").asLong();
                abrDrops.set(drops);
                return drops > 0;
              });
        } catch (AssertionError e) {
          throw new AssertionError("the ladder never dropped; last live state: " + lastLive, e);
        }
        JsonNode state = node.state(streamId);
        JsonNode abr = null;
        for (JsonNode o : state.path("health").path("outputs")) {
          if (o.get("name").asText().equals("abr")) {
            abr = o;
          }
        }
        assertTrue(abr != null && abr.get("dropped").asLong() > 0, state.toString());
        Processes.Result r = Publisher.await(publisher, seconds + 20);
        assertEquals(0, r.exitCode(), r.stderr());
      } finally {
        Publisher.kill(publisher);
      }
      double publishSeconds = (System.nanoTime() - started) / 1e9;
      assertTrue(
          publishSeconds < seconds + 4,
          "the publisher streamed in real time: " + publishSeconds + " s for " + seconds + " s");
      String source =
          node.awaitFile(
              node.mediaPlaylist(streamId), Duration.ofSeconds(15), t -> t.contains("ENDLIST"));
      double listed = 0;
      Matcher m = EXTINF.matcher(source);
      while (m.find()) {
        listed += Double.parseDouble(m.group(1));
      }
      assertEquals(seconds, listed, 0.1, "the source rendition is whole: " + source);
      Processes.Result decoded =
          Ffmpeg.decode(node.httpUrl("/live/" + streamId + "/source/index.m3u8"));
      assertEquals(0, decoded.exitCode(), decoded.stderr());
      assertEquals("", decoded.stderr().strip(), "the source decodes without errors");
      String metrics = node.get("/metrics", false).body();
      assertTrue(metrics.contains("nrs_abr_frames_encoded_total"), "metrics count the pictures");
      Matcher dropped =
          Pattern.compile("nrs_output_packets_dropped_total\\{output=\"abr\"} ([0-9.E]+)")
              .matcher(metrics);
      assertTrue(dropped.find(), "metrics count the ladder's drops: " + metrics);
      assertTrue(Double.parseDouble(dropped.group(1)) >= abrDrops.get(), metrics);
    }
  }
}

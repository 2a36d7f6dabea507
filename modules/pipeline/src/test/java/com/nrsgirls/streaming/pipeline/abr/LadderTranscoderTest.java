package com.nrsgirls.streaming.pipeline.abr;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nrsgirls.streaming.core.media.MediaPacket;
import com.nrsgirls.streaming.core.stream.LadderRung;
import com.nrsgirls.streaming.pipeline.hls.HlsSegmenter;
import com.nrsgirls.streaming.pipeline.hls.HlsSettings;
import com.nrsgirls.streaming.pipeline.hls.LocalSegmentStore;
import com.nrsgirls.streaming.pipeline.hls.MediaPlaylist;
import com.nrsgirls.streaming.pipeline.hls.SegmentClock;
import com.nrsgirls.streaming.pipeline.testing.TestClips;
import com.nrsgirls.streaming.testkit.Ffmpeg;
import com.nrsgirls.streaming.testkit.Ffprobe;
import com.nrsgirls.streaming.testkit.Processes;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real clip (libx264 with B-frames, AAC, 1280x720, a keyframe every 2 s) through the ladder with
 * libx264 from bytedeco's FFmpeg, each rung segmented as HLS and checked with the ffmpeg CLI.
 */
class LadderTranscoderTest {
  private static final int SECONDS = 12;
  private static final LadderRung LOW = new LadderRung("360p", 360, 600, 64);

  private static List<MediaPacket> source;
  private static ExecutorService encoders;

  @TempDir Path root;

  @BeforeAll
  static void clip() {
    source = TestClips.h264Aac(SECONDS, 1280, 720);
    encoders = Executors.newFixedThreadPool(2);
  }

  @AfterAll
  static void stopEncoders() {
    encoders.shutdownNow();
  }

  @Test
  void everyRungDecodesAtItsSizeAndBitRateWithKeyframesWhereTheSourceHasThem() throws Exception {
    List<LadderRung> ladder = new ArrayList<>(Ladder.DEFAULT);
    ladder.add(LOW);
    List<RungSize> plan = Ladder.plan(ladder, 1280, 720);
    assertEquals(List.of("480p", "360p"), plan.stream().map(RungSize::name).toList());

    Clock clock = Clock.fixed(Instant.parse("2026-11-30T12:00:00Z"), ZoneOffset.UTC);
    LocalSegmentStore store = new LocalSegmentStore(root);
    Map<String, HlsSegmenter> segmenters = new LinkedHashMap<>();
    Map<String, List<MediaPacket>> produced = new LinkedHashMap<>();
    SegmentClock segmentClock = new SegmentClock(HlsSettings.DEFAULT);
    segmenters.put("source", follower(store, "source", clock, segmentClock));
    for (RungSize r : plan) {
      segmenters.put(r.name(), follower(store, r.name(), clock, segmentClock));
      produced.put(r.name(), new ArrayList<>());
    }
    TreeSet<Long> sourceKeyframes = new TreeSet<>();
    try (LadderTranscoder transcoder =
        LadderTranscoder.create(
            plan,
            LadderTranscoder.EncoderSettings.DEFAULT,
            encoders,
            (rung, packet) -> {
              produced.get(rung.name()).add(packet);
              try {
                segmenters.get(rung.name()).accept(packet);
              } catch (Exception e) {
                throw new AssertionError(e);
              }
            })) {
      for (MediaPacket packet : source) {
        MediaPacket p = segmentClock.mark(packet);
        if (p.isVideo() && p.isKeyframe() && !p.isConfig()) {
          sourceKeyframes.add(p.pts());
        }
        segmenters.get("source").accept(p);
        transcoder.accept(p);
      }
      transcoder.finish();
      assertEquals(SECONDS * 30, transcoder.framesDecoded());
      // the clock cuts every 2 s GOP (2 s target), and the rungs make each cut an IDR
      assertEquals(SECONDS / 2, transcoder.keyframesForced());
      assertEquals(
          Map.of("480p", (long) SECONDS * 30, "360p", (long) SECONDS * 30),
          transcoder.framesEncoded());
    }
    for (HlsSegmenter s : segmenters.values()) {
      s.finish();
    }

    List<Long> sourceDurations = durations(segmenters.get("source").playlist());
    for (RungSize r : plan) {
      List<MediaPacket> packets = produced.get(r.name());
      TreeSet<Long> keyframes = new TreeSet<>();
      long videoBytes = 0;
      long audioBytes = 0;
      for (MediaPacket p : packets) {
        if (p.isConfig()) {
          continue;
        }
        if (p.isVideo()) {
          videoBytes += p.length();
          if (p.isKeyframe()) {
            keyframes.add(p.pts());
          }
        } else {
          audioBytes += p.length();
        }
      }
      assertEquals(sourceKeyframes, keyframes, r.name() + ": IDRs where the source has them");
      assertEquals(
          SECONDS / 2,
          packets.stream().filter(MediaPacket::startsSegment).count(),
          r.name() + ": each IDR starts the clock's segment");
      long videoRate = videoBytes * 8 / SECONDS;
      long target = r.videoBitrate();
      assertTrue(
          Math.abs(videoRate - target) <= target / 5,
          r.name() + " video at " + videoRate + " bit/s, target " + target);
      long audioRate = audioBytes * 8 / SECONDS;
      assertTrue(
          Math.abs(audioRate - r.audioBitrate()) <= r.audioBitrate() / 5,
          r.name() + " audio at " + audioRate + " bit/s");

      Path playlist = root.resolve("s").resolve(r.name()).resolve("index.m3u8");
      Processes.Result decode = Ffmpeg.decode(playlist.toString());
      assertEquals(0, decode.exitCode(), decode.stderr());
      assertEquals("", decode.stderr().strip(), r.name() + " decodes without errors");
      Processes.Result probe =
          Ffprobe.run(
              playlist.toString(),
              "-select_streams",
              "v",
              "-show_entries",
              "stream=width,height",
              "-of",
              "csv=p=0");
      assertEquals(
          r.width() + "," + r.height(), probe.stdout().lines().findFirst().orElse(""), r.name());
      // cut where the source was cut: same count, each within one frame
      MediaPlaylist rungPlaylist = segmenters.get(r.name()).playlist();
      assertEquals(100, rungPlaylist.mediaSequence(), "numbered from the clock's base");
      List<Long> rungDurations = durations(rungPlaylist);
      assertEquals(sourceDurations.size(), rungDurations.size(), r.name() + " segment count");
      for (int i = 0; i < sourceDurations.size(); i++) {
        assertTrue(
            Math.abs(sourceDurations.get(i) - rungDurations.get(i)) <= 34,
            r.name() + " segment " + i + ": " + rungDurations + " vs " + sourceDurations);
      }
    }
  }

  @Test
  void closingTwiceAndClosingUnusedAreHarmless() throws Exception {
    LadderTranscoder unused =
        LadderTranscoder.create(
            Ladder.plan(Ladder.DEFAULT, 1920, 1080),
            LadderTranscoder.EncoderSettings.DEFAULT,
            encoders,
            (rung, packet) -> {});
    unused.close();
    unused.close();
  }

  private static HlsSegmenter follower(
      LocalSegmentStore store, String rendition, Clock clock, SegmentClock segmentClock)
      throws Exception {
    return HlsSegmenter.open(
        store,
        "s",
        rendition,
        HlsSettings.DEFAULT,
        clock,
        HlsSegmenter.Listener.NONE,
        segmentClock,
        100,
        null);
  }

  private static List<Long> durations(MediaPlaylist playlist) {
    return playlist.segments().stream().map(MediaPlaylist.Segment::durationMillis).toList();
  }
}

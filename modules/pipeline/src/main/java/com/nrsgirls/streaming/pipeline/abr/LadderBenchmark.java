package com.nrsgirls.streaming.pipeline.abr;

import com.nrsgirls.streaming.core.media.AacConfig;
import com.nrsgirls.streaming.core.media.AvcDecoderConfig;
import com.nrsgirls.streaming.core.media.MediaPacket;
import com.nrsgirls.streaming.core.stream.LadderRung;
import com.nrsgirls.streaming.pipeline.ts.TsMuxer;
import com.nrsgirls.streaming.rtmp.flv.FlvFileReader;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Bench scenario 3's NRS side (run by {@code bench/run}, not by the node): the first seconds of an
 * FLV clip through a {@link LadderTranscoder} as fast as it goes, each rung muxed to MPEG-TS and
 * thrown away, as the ffmpeg CLI anchor writes {@code -f mpegts /dev/null}. Prints one JSON line:
 * frames decoded, wall time and fps of the transcoding loop, the process's CPU time over it, and
 * resident memory before the transcoder opened and at its peak (its native memory, and heap).
 *
 * <pre>
 * java -cp nrs-node.jar com.nrsgirls.streaming.pipeline.abr.LadderBenchmark CLIP SECONDS \
 *     PRESET TUNE NAME:HEIGHT:VIDEO_KBPS:AUDIO_KBPS[,...] [MINUTES]
 * </pre>
 *
 * <p>With MINUTES, it is a soak instead: the clip's first SECONDS looped into one endless stream
 * (timestamps running on) through one transcoder for that many minutes of wall time, as fast as it
 * goes, printing a JSON line a minute with the pictures so far, resident memory and the heap after
 * a full GC, so that growth in native or heap memory shows.
 */
public final class LadderBenchmark {
  private LadderBenchmark() {}

  public static void main(String[] args) throws Exception {
    if (args.length != 5 && args.length != 6) {
      System.err.println(
          "usage: LadderBenchmark CLIP SECONDS PRESET TUNE NAME:HEIGHT:VIDEO_KBPS:AUDIO_KBPS[,...]");
      System.exit(2);
    }
    Path clip = Path.of(args[0]);
    long untilMillis = Long.parseLong(args[1]) * 1000;
    List<LadderRung> rungs = new ArrayList<>();
    for (String spec : args[4].split(",")) {
      String[] f = spec.split(":");
      rungs.add(
          new LadderRung(
              f[0], Integer.parseInt(f[1]), Integer.parseInt(f[2]), Integer.parseInt(f[3])));
    }
    List<MediaPacket> packets = new ArrayList<>();
    long first = Long.MIN_VALUE;
    AvcDecoderConfig source = null;
    for (MediaPacket p : FlvFileReader.read(clip)) {
      if (p.isConfig() && p.isVideo()) {
        source = AvcDecoderConfig.parse(p.array(), p.offset(), p.length());
      }
      if (!p.isConfig() && first == Long.MIN_VALUE) {
        first = p.dts();
      }
      if (p.isConfig() || p.dts() - first < untilMillis) {
        packets.add(p);
      }
    }
    if (source == null) {
      throw new IllegalArgumentException(clip + " has no H.264 sequence header");
    }
    List<RungSize> plan = Ladder.plan(rungs, source.width(), source.height());
    LadderTranscoder.EncoderSettings settings =
        new LadderTranscoder.EncoderSettings(args[2], args[3].equals("-") ? "" : args[3], 0, 0, 30);

    Map<String, TsMuxer> muxers = new HashMap<>();
    long[] bytes = {0};
    for (RungSize r : plan) {
      muxers.put(r.name(), new TsMuxer());
    }
    if (args.length == 6) {
      soak(packets, plan, settings, untilMillis, Integer.parseInt(args[5]));
      return;
    }
    long rssBefore = rssKb();
    long peakRss = rssBefore;
    var os =
        (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    long cpu0 = os.getProcessCpuTime();
    long t0 = System.nanoTime();
    long frames;
    ExecutorService encoders = Executors.newFixedThreadPool(plan.size());
    try (LadderTranscoder transcoder =
        LadderTranscoder.create(
            plan, settings, encoders, (rung, p) -> mux(muxers.get(rung.name()), p, bytes))) {
      int n = 0;
      long segment = 0;
      for (MediaPacket p : packets) {
        // keyframes where the source has them, as the ffmpeg anchor's -force_key_frames source
        transcoder.accept(
            p.isVideo() && p.isKeyframe() && !p.isConfig() ? p.startingSegment(segment++) : p);
        if (++n % 500 == 0) {
          peakRss = Math.max(peakRss, rssKb());
        }
      }
      transcoder.finish();
      peakRss = Math.max(peakRss, rssKb());
      frames = transcoder.framesDecoded();
    }
    encoders.shutdown();
    double wall = (System.nanoTime() - t0) / 1e9;
    double cpu = (os.getProcessCpuTime() - cpu0) / 1e9;
    Runtime rt = Runtime.getRuntime();
    System.out.println(
        String.format(
            Locale.ROOT,
            "{\"frames\": %d, \"wall_s\": %.3f, \"fps\": %.2f, \"cpu_s\": %.2f, \"rungs\": \"%s\","
                + " \"ts_bytes\": %d, \"rss_before_kb\": %d, \"rss_peak_kb\": %d,"
                + " \"heap_used_kb\": %d}",
            frames,
            wall,
            frames / wall,
            cpu,
            plan.stream().map(r -> r.name() + "=" + r.width() + "x" + r.height()).toList(),
            bytes[0],
            rssBefore,
            peakRss,
            (rt.totalMemory() - rt.freeMemory()) / 1024));
  }

  private static void soak(
      List<MediaPacket> packets,
      List<RungSize> plan,
      LadderTranscoder.EncoderSettings settings,
      long loopMillis,
      int minutes)
      throws Exception {
    Map<String, TsMuxer> muxers = new HashMap<>();
    for (RungSize r : plan) {
      muxers.put(r.name(), new TsMuxer());
    }
    long[] bytes = {0};
    ExecutorService encoders = Executors.newFixedThreadPool(plan.size());
    long start = System.nanoTime();
    long end = start + minutes * 60_000_000_000L;
    long nextReport = start;
    int minute = 0;
    long segment = 0;
    try (LadderTranscoder transcoder =
        LadderTranscoder.create(
            plan, settings, encoders, (rung, p) -> mux(muxers.get(rung.name()), p, bytes))) {
      for (long loop = 0; System.nanoTime() < end; loop++) {
        long shift = loop * loopMillis;
        for (MediaPacket p : packets) {
          if (p.isConfig() && loop > 0) {
            continue;
          }
          MediaPacket q = p.shifted(shift);
          boolean key = q.isVideo() && q.isKeyframe() && !q.isConfig();
          transcoder.accept(key ? q.startingSegment(segment++) : q);
          if (System.nanoTime() >= nextReport) {
            System.gc();
            Runtime rt = Runtime.getRuntime();
            System.out.println(
                String.format(
                    Locale.ROOT,
                    "{\"minute\": %d, \"frames\": %d, \"stream_seconds\": %.0f, \"rss_kb\": %d,"
                        + " \"heap_after_gc_kb\": %d}",
                    minute++,
                    transcoder.framesDecoded(),
                    (q.dts() - packets.get(0).dts()) / 1000.0,
                    rssKb(),
                    (rt.totalMemory() - rt.freeMemory()) / 1024));
            System.out.flush();
            nextReport += 60_000_000_000L;
          }
        }
      }
    }
    encoders.shutdown();
  }

  /** Muxes one rung into a single endless segment, restarted when its track set changes. */
  private static void mux(TsMuxer muxer, MediaPacket p, long[] bytes) {
    try {
      if (p.isConfig()) {
        if (p.isVideo()) {
          muxer.setVideoConfig(AvcDecoderConfig.parse(p.array(), p.offset(), p.length()));
        } else {
          muxer.setAudioConfig(AacConfig.parse(p.array(), p.offset(), p.length()));
        }
        if (muxer.inSegment()) {
          muxer.endSegment();
        }
        muxer.startSegment((data, offset, length) -> bytes[0] += length);
      } else if (p.isVideo()) {
        muxer.writeVideo(p, p.dts() + 1000, p.pts() + 1000);
      } else if (muxer.audioConfig() != null) {
        muxer.writeAudio(p, p.pts() + 1000);
      }
    } catch (Exception e) {
      throw new IllegalStateException("muxing " + p, e);
    }
  }

  private static long rssKb() throws java.io.IOException {
    for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("[^0-9]", ""));
      }
    }
    return 0;
  }
}

package com.nrsgirls.streaming.pipeline.hls;

import com.nrsgirls.streaming.core.media.MediaPacket;
import com.nrsgirls.streaming.rtmp.flv.FlvFileReader;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The CPU one rendition's HLS output costs per media minute, with low-latency HLS off and on: the
 * bench clip's packets (bench/work/clip1080-*.flv, 1080p30 4.5 Mbit/s) fed as fast as they go
 * through a segmenter on a queued local store, as a node runs it. Process CPU time (all threads:
 * the segmenter's and the store's) per minute of media, the best of several rounds.
 */
@Tag("bench")
class LowLatencyCpuBench {
  @TempDir Path root;

  @Test
  void cpuPerMediaMinuteWithLowLatencyOffAndOn() throws Exception {
    Path clip;
    try (var files = Files.list(Path.of(System.getProperty("clip.dir", "../../bench/work")))) {
      clip =
          files
              .filter(p -> p.getFileName().toString().matches("clip1080(-.*)?\\.flv"))
              .findFirst()
              .orElseThrow(() -> new IllegalStateException("no bench clip: run bench/run first"));
    }
    List<MediaPacket> packets = FlvFileReader.read(clip);
    long clipMillis = packets.get(packets.size() - 1).dts() - packets.get(0).dts() + 33;
    int repeats = Integer.getInteger("repeats", 4);
    ExecutorService io = Executors.newFixedThreadPool(2);
    StringBuilder report = new StringBuilder();
    try {
      for (int round = 0; round < 4; round++) {
        for (boolean lowLatency : new boolean[] {false, true}) {
          double cpu = run(packets, clipMillis, repeats, lowLatency, io, round);
          double minutes = repeats * clipMillis / 60_000.0;
          String line =
              String.format(
                  "round %d low-latency %-3s: %.3f CPU-s per media minute%n",
                  round, lowLatency ? "on" : "off", cpu / minutes);
          report.append(line);
          System.out.print(line);
        }
      }
    } finally {
      io.shutdown();
      io.awaitTermination(10, TimeUnit.SECONDS);
    }
    Files.writeString(Path.of("target/ll-cpu.txt"), report.toString());
  }

  private double run(
      List<MediaPacket> packets,
      long clipMillis,
      int repeats,
      boolean lowLatency,
      ExecutorService io,
      int round)
      throws Exception {
    Path dir = Files.createDirectories(root.resolve("r" + round + (lowLatency ? "on" : "off")));
    QueuedSegmentStore store =
        new QueuedSegmentStore(new LocalSegmentStore(dir), io, 1L << 30, e -> {});
    LowLatencyPlaylists playlists = new LowLatencyPlaylists();
    var os =
        (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    System.gc();
    long start = os.getProcessCpuTime();
    HlsSegmenter segmenter =
        HlsSegmenter.open(store, "bench", "source", HlsSettings.DEFAULT, Clock.systemUTC());
    if (lowLatency) {
      segmenter.tap(
          new LowLatencyRendition(
              store,
              "bench",
              "source",
              HlsSettings.DEFAULT,
              new LowLatencySettings(true, Duration.ofMillis(200), 3),
              playlists,
              Clock.systemUTC(),
              published -> store.drained().thenRun(published)));
    }
    long fed = 0;
    for (int r = 0; r < repeats; r++) {
      for (MediaPacket p : packets) {
        if (p.isConfig()) {
          if (r == 0) {
            segmenter.accept(p); // the configurations once; the repeats continue the timeline
          }
          continue;
        }
        segmenter.accept(r == 0 ? p : p.shifted(r * clipMillis));
        if (++fed % 200 == 0) {
          store.drained().toCompletableFuture().get(60, TimeUnit.SECONDS); // as a node keeps up
        }
      }
    }
    segmenter.finish();
    store.drained().toCompletableFuture().get(60, TimeUnit.SECONDS);
    return (os.getProcessCpuTime() - start) / 1e9;
  }
}

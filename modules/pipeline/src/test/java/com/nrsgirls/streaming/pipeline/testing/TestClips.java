package com.nrsgirls.streaming.pipeline.testing;

import com.nrsgirls.streaming.core.media.MediaPacket;
import com.nrsgirls.streaming.ingest.flv.FlvFileReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Real encoder output for tests: clips made once per JVM by the ffmpeg CLI (testsrc2 + sine,
 * libx264 with B-frames, AAC) and read back as media packets.
 */
public final class TestClips {
  private static final ConcurrentHashMap<String, List<MediaPacket>> CACHE =
      new ConcurrentHashMap<>();

  private TestClips() {}

  /** A clip of {@code seconds} at {@code width}x{@code height}, 30 fps, a keyframe every 2 s. */
  public static List<MediaPacket> h264Aac(int seconds, int width, int height) {
    return CACHE.computeIfAbsent(
        seconds + "/" + width + "x" + height, k -> generate(seconds, width, height));
  }

  private static List<MediaPacket> generate(int seconds, int width, int height) {
    try {
      Path dir = Files.createTempDirectory("nrs-clip");
      Path flv = dir.resolve("clip.flv");
      Process p =
          new ProcessBuilder(
                  "ffmpeg",
                  "-v",
                  "error",
                  "-y",
                  "-f",
                  "lavfi",
                  "-i",
                  "testsrc2=size=" + width + "x" + height + ":rate=30",
                  "-f",
                  "lavfi",
                  "-i",
                  "sine=frequency=440:sample_rate=48000",
                  "-t",
                  String.valueOf(seconds),
                  "-c:v",
                  "libx264",
                  "-preset",
                  "veryfast",
                  "-bf",
                  "2",
                  "-g",
                  "60",
                  "-c:a",
                  "aac",
                  "-b:a",
                  "128k",
                  "-f",
                  "flv",
                  flv.toString())
              .redirectErrorStream(true)
              .start();
      String output = new String(p.getInputStream().readAllBytes());
      if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
        throw new IllegalStateException("ffmpeg failed: " + output);
      }
      List<MediaPacket> packets = FlvFileReader.read(flv);
      Files.delete(flv);
      Files.delete(dir);
      return packets;
    } catch (Exception e) {
      throw new IllegalStateException("cannot generate a test clip with ffmpeg", e);
    }
  }
}

package com.nrsgirls.streaming.ingest;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** A real ffmpeg process started by a test; always {@link #close()} it in a finally block. */
final class Ffmpeg implements AutoCloseable {
  private final Process process;
  private final Path log;

  private Ffmpeg(Process process, Path log) {
    this.process = process;
    this.log = log;
  }

  /**
   * Encodes {@code seconds} of test pattern and 440 Hz tone in real time (H.264 with B-frames, AAC)
   * and publishes it as FLV to {@code rtmpUrl}, and also writes the same packets to {@code copy} if
   * it is not null.
   */
  static Ffmpeg publish(String rtmpUrl, double seconds, Path copy) throws IOException {
    List<String> command =
        new ArrayList<>(
            List.of(
                "ffmpeg",
                "-hide_banner",
                "-nostdin",
                "-loglevel",
                "warning",
                "-re",
                "-f",
                "lavfi",
                "-i",
                "testsrc2=size=640x360:rate=30",
                "-f",
                "lavfi",
                "-i",
                "sine=frequency=440:sample_rate=48000",
                "-map",
                "0:v",
                "-map",
                "1:a",
                "-c:v",
                "libx264",
                "-preset",
                "veryfast",
                "-threads",
                "2",
                "-bf",
                "2",
                "-g",
                "60",
                "-c:a",
                "aac",
                "-t",
                Double.toString(seconds)));
    if (copy == null) {
      command.addAll(List.of("-f", "flv", rtmpUrl));
    } else {
      // without a global header the tee muxer would leave the SPS/PPS in band, unlike plain FLV
      command.addAll(
          List.of(
              "-flags:v", "+global_header", "-f", "tee", "[f=flv]" + rtmpUrl + "|[f=flv]" + copy));
    }
    Path log = Files.createTempFile("ffmpeg-", ".log");
    Process process =
        new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    return new Ffmpeg(process, log);
  }

  /** The exit code, or null if it is still running after {@code seconds}. */
  Integer waitFor(long seconds) throws InterruptedException {
    return process.waitFor(seconds, TimeUnit.SECONDS) ? process.exitValue() : null;
  }

  String output() {
    try {
      return Files.readString(log);
    } catch (IOException e) {
      return "(no log: " + e + ")";
    }
  }

  @Override
  public void close() throws IOException {
    process.destroyForcibly();
    try {
      process.waitFor(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    Files.deleteIfExists(log);
  }
}

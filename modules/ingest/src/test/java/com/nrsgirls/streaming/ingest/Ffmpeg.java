package com.nrsgirls.streaming.ingest;

import static com.nrsgirls.streaming.testkit.Ffmpeg.h264WithBFrames;
import static com.nrsgirls.streaming.testkit.Ffmpeg.testSignal;

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
   * Encodes {@code seconds} of the testkit's test signal in real time (its H.264 with B-frames,
   * AAC) and publishes it as FLV to {@code rtmpUrl}, and also writes the same packets to {@code
   * copy} if it is not null.
   */
  static Ffmpeg publish(String rtmpUrl, double seconds, Path copy) throws IOException {
    List<String> command =
        new ArrayList<>(
            List.of("ffmpeg", "-hide_banner", "-nostdin", "-loglevel", "warning", "-re"));
    command.addAll(testSignal(640, 360));
    command.addAll(List.of("-map", "0:v", "-map", "1:a"));
    command.addAll(h264WithBFrames());
    command.addAll(List.of("-threads", "2", "-c:a", "aac", "-t", Double.toString(seconds)));
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

package com.nrsgirls.streaming.testkit;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.javacpp.Loader;

/**
 * FFmpeg's WHIP muxer as a test publisher: bytedeco's ffmpeg CLI (its build has the muxer and
 * OpenSSL for DTLS; Debian's ffmpeg 5.1 has neither), publishing the test signal as H.264 (no
 * B-frames, as WHIP needs) and Opus.
 */
public final class FfmpegWhip {
  private static Path executable;

  private FfmpegWhip() {}

  /** bytedeco's ffmpeg, extracted from its jar on first use. */
  public static synchronized Path executable() {
    if (executable == null) {
      executable = Path.of(Loader.load(org.bytedeco.ffmpeg.ffmpeg.class));
    }
    return executable;
  }

  /** Starts publishing {@code seconds} of the test signal to {@code url} with a Bearer token. */
  public static Process start(String url, String token, int seconds, Path log) throws IOException {
    Path ffmpeg = executable();
    List<String> command = new ArrayList<>();
    command.add(ffmpeg.toString());
    command.addAll(
        List.of(
            "-hide_banner",
            "-nostdin",
            "-re",
            "-f",
            "lavfi",
            "-i",
            "testsrc2=size=640x360:rate=30",
            "-f",
            "lavfi",
            "-i",
            "sine=frequency=440:sample_rate=48000",
            "-t",
            String.valueOf(seconds),
            "-pix_fmt",
            "yuv420p",
            "-c:v",
            "libx264",
            "-preset",
            "veryfast",
            "-tune",
            "zerolatency",
            "-bf",
            "0",
            "-g",
            "30",
            "-c:a",
            "libopus",
            "-ar",
            "48000",
            "-ac",
            "2",
            "-authorization",
            token,
            "-f",
            "whip",
            url));
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
    pb.redirectOutput(log.toFile());
    pb.environment().put("LD_LIBRARY_PATH", ffmpeg.getParent().toString());
    return pb.start();
  }
}

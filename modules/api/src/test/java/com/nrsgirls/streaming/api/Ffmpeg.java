package com.nrsgirls.streaming.api;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** The ffmpeg and ffprobe CLIs as real publishers and validators. */
final class Ffmpeg {
  private Ffmpeg() {}

  /** The result of a finished process. */
  record Result(int exitCode, String stdout, String stderr) {}

  /**
   * Makes a clip as an encoder would send it: testsrc2 + sine, libx264 with B-frames, AAC, a
   * keyframe every 2 s, in FLV so that publishing it is a pure {@code -c copy}.
   */
  static Path clip(Path dir, int seconds, int width, int height) throws Exception {
    Path out = dir.resolve("clip-" + seconds + "s-" + width + "x" + height + ".flv");
    Result r =
        run(
            List.of(
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
                "-keyint_min",
                "60",
                "-sc_threshold",
                "0",
                "-pix_fmt",
                "yuv420p",
                "-c:a",
                "aac",
                "-b:a",
                "128k",
                "-ac",
                "2",
                "-f",
                "flv",
                out.toString()),
            120);
    if (r.exitCode() != 0) {
      throw new IllegalStateException("ffmpeg could not make the clip: " + r.stderr());
    }
    return out;
  }

  /** Starts publishing a file in real time with {@code -c copy}, looping it {@code loops} times. */
  static Process publish(Path clip, String rtmpUrl, int loops) throws IOException {
    List<String> cmd = new ArrayList<>(List.of("ffmpeg", "-v", "error", "-re"));
    if (loops > 1) {
      cmd.addAll(List.of("-stream_loop", String.valueOf(loops - 1)));
    }
    cmd.addAll(List.of("-i", clip.toString(), "-c", "copy", "-f", "flv", rtmpUrl));
    return new ProcessBuilder(cmd).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
  }

  static Result run(List<String> command, int timeoutSeconds) throws Exception {
    Process p = new ProcessBuilder(command).start();
    var stdout = p.getInputStream();
    var stderr = p.getErrorStream();
    var out = new java.util.concurrent.CompletableFuture<String>();
    var err = new java.util.concurrent.CompletableFuture<String>();
    new Thread(() -> out.complete(readAll(stdout))).start();
    new Thread(() -> err.complete(readAll(stderr))).start();
    if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("timed out: " + String.join(" ", command));
    }
    return new Result(p.exitValue(), out.get(), err.get());
  }

  /** Waits for a publisher to end; returns its exit code and what it printed on stderr. */
  static Result await(Process p, int timeoutSeconds) throws Exception {
    if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("publisher did not finish in " + timeoutSeconds + " s");
    }
    return new Result(p.exitValue(), "", readAll(p.getErrorStream()));
  }

  static void kill(Process p) {
    if (p != null && p.isAlive()) {
      p.destroyForcibly();
    }
  }

  private static String readAll(java.io.InputStream in) {
    try {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "";
    }
  }

  static String read(Path file) throws IOException {
    return Files.readString(file);
  }
}

package com.nrsgirls.streaming.testkit;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Runs a command line to its end and keeps what it printed: how tests drive the ffmpeg, ffprobe and
 * GStreamer CLIs.
 */
public final class Processes {
  private Processes() {}

  /** How a finished process ended and what it printed. */
  public record Result(int exitCode, String stdout, String stderr) {}

  /**
   * Runs {@code command} until it exits. Its stdout and stderr are read while it runs, so a process
   * that prints a lot never blocks on a full pipe.
   *
   * @throws AssertionError if it is still running after {@code timeout}; it is killed first
   */
  public static Result run(List<String> command, Duration timeout)
      throws IOException, InterruptedException {
    Process process = new ProcessBuilder(command).start();
    CompletableFuture<String> stdout =
        readInBackground(process.getInputStream(), "stdout", command);
    CompletableFuture<String> stderr =
        readInBackground(process.getErrorStream(), "stderr", command);
    if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      process.destroyForcibly();
      process.waitFor(5, TimeUnit.SECONDS);
      throw new AssertionError(
          "still running after "
              + timeout.toMillis()
              + " ms, killed: "
              + String.join(" ", command)
              + "\n"
              + stderr.completeOnTimeout("", 1, TimeUnit.SECONDS).exceptionally(e -> "").join());
    }
    return new Result(process.exitValue(), stdout.join(), stderr.join());
  }

  private static CompletableFuture<String> readInBackground(
      InputStream in, String name, List<String> command) {
    CompletableFuture<String> text = new CompletableFuture<>();
    Thread reader =
        new Thread(
            () -> {
              try (in) {
                text.complete(new String(in.readAllBytes(), StandardCharsets.UTF_8));
              } catch (IOException e) {
                text.completeExceptionally(new UncheckedIOException(e));
              }
            },
            name + " of " + command.get(0));
    reader.setDaemon(true); // a grandchild holding the pipe open must not keep the JVM alive
    reader.start();
    return text;
  }
}

package com.nrsgirls.streaming.api;

import com.nrsgirls.streaming.testkit.Processes;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The ffmpeg CLI publishing a clip to the node over RTMP in real time with {@code -c copy}, as an
 * encoder would send it.
 */
final class Publisher {
  private Publisher() {}

  /** Starts publishing {@code clip} to {@code rtmpUrl}, looping it {@code loops} times. */
  static Process start(Path clip, String rtmpUrl, int loops) throws IOException {
    return start(clip, rtmpUrl, loops, 1);
  }

  /**
   * Starts publishing {@code clip} {@code speed} times faster than real time: the media's own
   * timestamps are unchanged, so what the node measures on them is too.
   */
  static Process start(Path clip, String rtmpUrl, int loops, int speed) throws IOException {
    List<String> cmd =
        new ArrayList<>(
            speed == 1
                ? List.of("ffmpeg", "-v", "error", "-re")
                : List.of("ffmpeg", "-v", "error", "-readrate", String.valueOf(speed)));
    if (loops > 1) {
      cmd.addAll(List.of("-stream_loop", String.valueOf(loops - 1)));
    }
    cmd.addAll(List.of("-i", clip.toString(), "-c", "copy", "-f", "flv", rtmpUrl));
    return new ProcessBuilder(cmd).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
  }

  /** Waits for a publisher to end; returns its exit code and what it printed on stderr. */
  static Processes.Result await(Process p, int timeoutSeconds) throws Exception {
    if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("publisher did not finish in " + timeoutSeconds + " s");
    }
    return new Processes.Result(
        p.exitValue(), "", new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
  }

  static void kill(Process p) {
    if (p != null && p.isAlive()) {
      p.destroyForcibly();
    }
  }
}

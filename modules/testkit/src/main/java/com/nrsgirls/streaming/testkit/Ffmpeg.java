package com.nrsgirls.streaming.testkit;

import java.io.IOException;
import java.time.Duration;
import java.util.List;

/**
 * The ffmpeg CLI as tests use it: the signal every test encoder sends, the H.264 settings it is
 * encoded with, and decoding to check that what the node wrote plays.
 */
public final class Ffmpeg {
  private static final Duration DECODE_TIMEOUT = Duration.ofSeconds(120);

  private Ffmpeg() {}

  /**
   * Input options for the test signal: ffmpeg's {@code testsrc2} pattern at 30 fps and a 440 Hz
   * tone (48 kHz, mono), two lavfi inputs, the video first.
   */
  public static List<String> testSignal(int width, int height) {
    return List.of(
        "-f",
        "lavfi",
        "-i",
        "testsrc2=size=" + width + "x" + height + ":rate=30",
        "-f",
        "lavfi",
        "-i",
        "sine=frequency=440:sample_rate=48000");
  }

  /**
   * Output options for H.264 as the tests' encoders make it: libx264 (veryfast) with two B-frames,
   * so that PTS and DTS differ, and a keyframe at least every 60 frames (2 s at 30 fps).
   */
  public static List<String> h264WithBFrames() {
    return List.of("-c:v", "libx264", "-preset", "veryfast", "-bf", "2", "-g", "60");
  }

  /**
   * Decodes every stream of {@code input} (a file or URL) and throws the pictures and sound away: a
   * clean input exits with 0 and prints nothing on stderr. The pictures keep the input's time base
   * ({@code -enc_time_base:v -1}): by default they are stamped in 1/frame-rate ticks, and a live
   * encoder's jitter (GStreamer's, say: frames 85 and 107 ms in) rounds two frames onto one tick,
   * which the null muxer reports as non-monotonic DTS although the input's timestamps rise.
   */
  public static Processes.Result decode(String input) throws IOException, InterruptedException {
    return Processes.run(
        List.of(
            "ffmpeg",
            "-v",
            "error",
            "-nostdin",
            "-i",
            input,
            "-enc_time_base:v",
            "-1",
            "-f",
            "null",
            "-"),
        DECODE_TIMEOUT);
  }
}

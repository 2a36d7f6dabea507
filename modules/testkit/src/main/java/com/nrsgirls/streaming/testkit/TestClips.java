package com.nrsgirls.streaming.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Real encoder output for tests: FLV clips of the {@linkplain Ffmpeg#testSignal test signal} made
 * by the ffmpeg CLI, with H.264 (B-frames) and AAC as an encoder sends them over RTMP, so that
 * publishing one is a pure {@code -c copy}. {@link #flv} makes each clip once per JVM, in a
 * temporary directory deleted when the JVM exits.
 */
public final class TestClips {
  private static final Duration ENCODE_TIMEOUT = Duration.ofMinutes(5);
  private static final ConcurrentHashMap<String, Path> MADE = new ConcurrentHashMap<>();
  private static Path directory;

  private TestClips() {}

  /** How a clip is encoded on top of the {@linkplain Ffmpeg#h264WithBFrames shared H.264}. */
  public enum Encoding {
    /** A keyframe exactly every 2 s (none at scene cuts), yuv420p; AAC at 128 kbit/s, stereo. */
    STANDARD(
        List.of("-keyint_min", "60", "-sc_threshold", "0", "-pix_fmt", "yuv420p"),
        List.of("-b:a", "128k", "-ac", "2")),
    /**
     * Video at a constant 4.5 Mbit/s, as a streaming encoder set to CBR sends it; AAC 160 kbit/s.
     */
    CBR_4500K(
        List.of("-b:v", "4500k", "-minrate", "4500k", "-maxrate", "4500k", "-bufsize", "9000k"),
        List.of("-b:a", "160k")),
    /**
     * x264's own keyframe interval, which OBS's default "0 = auto" keeps: 250 frames, 8.3 s at 30
     * fps; yuv420p, AAC at 128 kbit/s.
     */
    OBS_AUTO_KEYFRAMES(List.of("-g", "250", "-pix_fmt", "yuv420p"), List.of("-b:a", "128k")),
    /**
     * As {@link #STANDARD} but without B-frames, as encoders set up for low latency (x264's
     * zerolatency tune, OBS's WHIP output) send: what WebRTC players can decode.
     */
    NO_B_FRAMES(
        List.of("-bf", "0", "-keyint_min", "60", "-sc_threshold", "0", "-pix_fmt", "yuv420p"),
        List.of("-b:a", "128k", "-ac", "2"));

    private final List<String> videoOptions;
    private final List<String> audioOptions;

    Encoding(List<String> videoOptions, List<String> audioOptions) {
      this.videoOptions = videoOptions;
      this.audioOptions = audioOptions;
    }
  }

  /**
   * A {@link Encoding#STANDARD} clip of {@code seconds} at {@code width}x{@code height} and 30 fps,
   * made on the first call and the same file afterwards.
   */
  public static Path flv(int seconds, int width, int height) {
    return flv(Encoding.STANDARD, seconds, width, height);
  }

  /**
   * A clip of {@code encoding}, {@code seconds} at {@code width}x{@code height} and 30 fps, made on
   * the first call and the same file afterwards.
   */
  public static Path flv(Encoding encoding, int seconds, int width, int height) {
    return MADE.computeIfAbsent(
        encoding.name().toLowerCase(java.util.Locale.ROOT)
            + "-"
            + seconds
            + "s-"
            + width
            + "x"
            + height,
        name -> {
          try {
            Path clip = directory().resolve("clip-" + name + ".flv");
            clip.toFile().deleteOnExit();
            write(clip, encoding, seconds, width, height);
            return clip;
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while making a test clip", e);
          }
        });
  }

  /** Makes a clip at {@code out}, replacing any file there. */
  public static void write(Path out, Encoding encoding, int seconds, int width, int height)
      throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of("ffmpeg", "-v", "error", "-nostdin", "-y"));
    command.addAll(Ffmpeg.testSignal(width, height));
    command.addAll(List.of("-t", String.valueOf(seconds)));
    command.addAll(Ffmpeg.h264WithBFrames());
    command.addAll(encoding.videoOptions);
    command.addAll(List.of("-c:a", "aac"));
    command.addAll(encoding.audioOptions);
    command.addAll(List.of("-f", "flv", out.toString()));
    Processes.Result r = Processes.run(command, ENCODE_TIMEOUT);
    if (r.exitCode() != 0) {
      throw new IllegalStateException("ffmpeg could not make " + out + ": " + r.stderr());
    }
  }

  private static synchronized Path directory() throws IOException {
    if (directory == null) {
      directory = Files.createTempDirectory("nrs-test-clips");
      // deleted after the clips in it: deleteOnExit runs in the reverse order of registration
      directory.toFile().deleteOnExit();
    }
    return directory;
  }
}

package com.nrsgirls.streaming.webrtc.audio;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nrsgirls.streaming.testkit.Processes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * AAC as an RTMP encoder sends it (made by the ffmpeg CLI, at 48 and 44.1 kHz, mono and stereo)
 * through {@code aacToOpus}, and the Opus back through {@code opusToAac}: every second of input
 * comes out as a second of 20 ms Opus frames, stamped 960 samples apart from the input's time, and
 * as AAC frames 1024 samples apart.
 */
class AudioTranscoderTest {
  @TempDir Path dir;

  /** One raw AAC frame from an ADTS stream, and the AudioSpecificConfig its header says. */
  private record Frame(byte[] data, byte[] config, int rate) {}

  private static final int[] RATES = {
    96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350
  };

  private List<Frame> adts(int rate, int channels, int seconds) throws Exception {
    Path file = dir.resolve("sine-" + rate + "-" + channels + ".aac");
    Processes.Result r =
        Processes.run(
            List.of(
                "ffmpeg",
                "-v",
                "error",
                "-nostdin",
                "-y",
                "-f",
                "lavfi",
                "-i",
                "sine=frequency=440:sample_rate=" + rate,
                "-t",
                String.valueOf(seconds),
                "-ac",
                String.valueOf(channels),
                "-c:a",
                "aac",
                "-b:a",
                "128k",
                "-f",
                "adts",
                file.toString()),
            Duration.ofSeconds(60));
    assertEquals(0, r.exitCode(), r.stderr());
    byte[] b = Files.readAllBytes(file);
    List<Frame> frames = new ArrayList<>();
    int at = 0;
    while (at + 7 <= b.length) {
      assertEquals(0xff, b[at] & 0xff, "ADTS sync");
      boolean crc = (b[at + 1] & 1) == 0;
      int profile = ((b[at + 2] & 0xff) >> 6) + 1;
      int rateIndex = (b[at + 2] >> 2) & 0xf;
      int ch = ((b[at + 2] & 1) << 2) | ((b[at + 3] & 0xff) >> 6);
      int length = ((b[at + 3] & 3) << 11) | ((b[at + 4] & 0xff) << 3) | ((b[at + 5] & 0xff) >> 5);
      int header = crc ? 9 : 7;
      byte[] config = {
        (byte) ((profile << 3) | (rateIndex >> 1)), (byte) (((rateIndex & 1) << 7) | (ch << 3))
      };
      byte[] data = java.util.Arrays.copyOfRange(b, at + header, at + length);
      frames.add(new Frame(data, config, RATES[rateIndex]));
      at += length;
    }
    return frames;
  }

  @ParameterizedTest
  @ValueSource(strings = {"48000/2", "44100/2", "44100/1"})
  void aacBecomesOpusAndBackAgain(String format) throws Exception {
    int rate = Integer.parseInt(format.split("/")[0]);
    int channels = Integer.parseInt(format.split("/")[1]);
    List<Frame> aac = adts(rate, channels, 4);
    assertTrue(aac.size() > 100, "frames: " + aac.size());
    long startMillis = 5_000; // the input's timeline does not start at 0
    List<AudioTranscoder.Encoded> opus = new ArrayList<>();
    try (AudioTranscoder t = AudioTranscoder.aacToOpus(aac.get(0).config(), 96_000)) {
      assertEquals(0, t.config().length, "Opus needs no config");
      for (int i = 0; i < aac.size(); i++) {
        long millis = startMillis + (long) i * 1024 * 1000 / rate;
        Frame f = aac.get(i);
        t.accept(f.data(), 0, f.data().length, millis, opus);
      }
    }
    double seconds = aac.size() * 1024.0 / rate;
    assertTrue(
        Math.abs(opus.size() - seconds * 50) <= 3,
        opus.size() + " Opus frames for " + seconds + " s");
    for (int i = 1; i < opus.size(); i++) {
      assertEquals(960, opus.get(i).sample() - opus.get(i - 1).sample(), "frame " + i);
    }
    assertTrue(
        Math.abs(opus.get(0).millis() - startMillis) <= 25,
        "the first frame is stamped as its input: " + opus.get(0).millis());

    List<AudioTranscoder.Encoded> back = new ArrayList<>();
    try (AudioTranscoder t = AudioTranscoder.opusToAac(128_000)) {
      assertTrue(t.config().length >= 2, "AAC's AudioSpecificConfig");
      for (AudioTranscoder.Encoded e : opus) {
        t.accept(e.data(), 0, e.data().length, e.millis(), back);
      }
    }
    assertTrue(
        Math.abs(back.size() - opus.size() * 960 / 1024.0) <= 3,
        back.size() + " AAC frames from " + opus.size() + " Opus frames");
    for (int i = 1; i < back.size(); i++) {
      assertEquals(1024, back.get(i).sample() - back.get(i - 1).sample(), "AAC frame " + i);
    }
  }

  /** Input that jumps back (a publisher's clock reset, a replayed packet): no time repeats. */
  @org.junit.jupiter.api.Test
  void timeNeverGoesBack() throws Exception {
    List<Frame> aac = adts(48000, 2, 3);
    List<AudioTranscoder.Encoded> out = new ArrayList<>();
    try (AudioTranscoder t = AudioTranscoder.aacToOpus(aac.get(0).config(), 64_000)) {
      for (int i = 0; i < aac.size(); i++) {
        // after 2 s the input's clock goes back by 1.5 s and goes on from there
        long millis = i * 1024L * 1000 / 48000 - (i >= 94 ? 1500 : 0);
        Frame f = aac.get(i);
        t.accept(f.data(), 0, f.data().length, millis, out);
      }
    }
    assertTrue(out.size() > 50, "frames: " + out.size());
    for (int i = 1; i < out.size(); i++) {
      assertTrue(
          out.get(i).sample() > out.get(i - 1).sample(),
          "frame " + i + " after " + out.get(i - 1).sample() + ": " + out.get(i).sample());
    }
  }

  @ParameterizedTest
  @ValueSource(ints = {0, 1, 2, 7, 100})
  void junkIsSkippedNotFatal(int length) throws Exception {
    List<Frame> aac = adts(48000, 2, 1);
    List<AudioTranscoder.Encoded> out = new ArrayList<>();
    try (AudioTranscoder t = AudioTranscoder.aacToOpus(aac.get(0).config(), 64_000)) {
      java.util.Random random = new java.util.Random(length);
      for (int i = 0; i < aac.size(); i++) {
        byte[] junk = new byte[length];
        random.nextBytes(junk);
        t.accept(junk, 0, junk.length, i * 21L, out);
        Frame f = aac.get(i);
        t.accept(f.data(), 0, f.data().length, i * 21L + 10, out);
      }
    }
    assertTrue(out.size() > 20, "the real frames still come through: " + out.size());
  }
}

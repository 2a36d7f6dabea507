package com.nrsgirls.streaming.pipeline.mp4;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nrsgirls.streaming.core.media.AacConfig;
import com.nrsgirls.streaming.core.media.AvcDecoderConfig;
import com.nrsgirls.streaming.core.media.MediaPacket;
import com.nrsgirls.streaming.rtmp.flv.FlvFileReader;
import com.nrsgirls.streaming.testkit.Ffmpeg;
import com.nrsgirls.streaming.testkit.Ffprobe;
import com.nrsgirls.streaming.testkit.Processes;
import com.nrsgirls.streaming.testkit.TestClips;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Real encoder output through the muxer, read back by ffprobe and decoded by ffmpeg. */
class Fmp4MuxerTest {
  @TempDir Path dir;

  /** Muxes a clip into init + one fragment per GOP, as the recording does; returns the bytes. */
  static byte[] mux(List<MediaPacket> packets, long durationMillis) throws Exception {
    Fmp4Muxer muxer = new Fmp4Muxer();
    ByteArrayOutputStream fragments = new ByteArrayOutputStream();
    long first = -1;
    for (MediaPacket p : packets) {
      if (p.isConfig()) {
        byte[] raw = p.payloadCopy();
        if (p.isVideo()) {
          muxer.setVideoConfig(AvcDecoderConfig.parse(raw, 0, raw.length), raw);
        } else {
          muxer.setAudioConfig(AacConfig.parse(raw, 0, raw.length), raw);
        }
        continue;
      }
      if (first < 0) {
        if (!(p.isVideo() && p.isKeyframe())) {
          continue;
        }
        first = p.dts();
      }
      long dts = p.dts() - first;
      if (p.isVideo() && p.isKeyframe()) {
        if (muxer.inSegment()) {
          muxer.endSegment(dts);
        }
        muxer.startSegment(fragments::write);
      }
      if (p.isVideo()) {
        muxer.writeVideo(p, dts, dts + p.compositionOffset());
      } else if (dts >= 0) {
        muxer.writeAudio(p, dts);
      }
    }
    muxer.endSegment();
    ByteArrayOutputStream all = new ByteArrayOutputStream();
    all.write(muxer.initSegment(durationMillis));
    fragments.writeTo(all);
    return all.toByteArray();
  }

  @Test
  void aClipRemuxedPlaysWithItsCodecsDurationAndFrames() throws Exception {
    Path flv = TestClips.flv(6, 640, 360);
    List<MediaPacket> packets = FlvFileReader.read(flv);
    Path mp4 = dir.resolve("clip.mp4");
    Files.write(mp4, mux(packets, 0));

    Processes.Result streams =
        Ffprobe.run(
            mp4.toString(),
            "-show_entries",
            "stream=codec_name,width,height,sample_rate,channels",
            "-of",
            "csv=p=0");
    assertEquals(0, streams.exitCode(), streams.stderr());
    assertEquals("", streams.stderr());
    assertEquals(List.of("h264,640,360", "aac,48000,2"), streams.stdout().strip().lines().toList());

    // the same video frames, with the same presentation times (B-frames: composition offsets)
    String flvPts = videoPts(flv);
    String mp4Pts = videoPts(mp4);
    assertEquals(
        flvPts.lines().count(), mp4Pts.lines().count(), "video frames in the FLV and the MP4");
    List<Long> a = flvPts.lines().map(Long::parseLong).sorted().toList();
    List<Long> b = mp4Pts.lines().map(Long::parseLong).sorted().toList();
    long shift = a.get(0) - b.get(0);
    for (int i = 0; i < a.size(); i++) {
      assertEquals(a.get(i) - shift, b.get(i), 1, "pts of frame " + i);
    }

    double duration = duration(mp4);
    assertEquals(6.0, duration, 0.2, "duration");

    Processes.Result decode = Ffmpeg.decode(mp4.toString());
    assertEquals(0, decode.exitCode(), decode.stderr());
    assertEquals("", decode.stderr().strip());
  }

  @Test
  void misuseIsRefused() {
    Fmp4Muxer muxer = new Fmp4Muxer();
    assertThrows(IllegalStateException.class, () -> muxer.initSegment(0));
    assertThrows(IllegalStateException.class, () -> muxer.startSegment((d, o, l) -> {}));
    assertThrows(IllegalStateException.class, muxer::endSegment);
  }

  /** Video presentation times in milliseconds, as ffprobe reads them. */
  private static String videoPts(Path file) throws Exception {
    Processes.Result r =
        Ffprobe.run(
            file.toString(),
            "-select_streams",
            "v",
            "-show_entries",
            "packet=pts_time",
            "-of",
            "csv=p=0");
    assertEquals(0, r.exitCode(), r.stderr());
    StringBuilder ms = new StringBuilder();
    for (String line : r.stdout().strip().lines().toList()) {
      ms.append(Math.round(Double.parseDouble(line) * 1000)).append('\n');
    }
    return ms.toString();
  }

  static double duration(Path file) throws Exception {
    Processes.Result r =
        Ffprobe.run(file.toString(), "-show_entries", "format=duration", "-of", "csv=p=0");
    assertEquals(0, r.exitCode(), r.stderr());
    assertTrue(!r.stdout().isBlank(), "ffprobe gave no duration");
    return Double.parseDouble(r.stdout().strip());
  }
}

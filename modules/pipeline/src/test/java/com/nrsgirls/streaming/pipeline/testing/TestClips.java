package com.nrsgirls.streaming.pipeline.testing;

import com.nrsgirls.streaming.core.media.MediaFormatException;
import com.nrsgirls.streaming.core.media.MediaPacket;
import com.nrsgirls.streaming.rtmp.flv.FlvFileReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;

/**
 * Real encoder output for tests as media packets: the testkit's clips (testsrc2 + sine, libx264
 * with B-frames, AAC, a keyframe every 2 s) read back with {@link FlvFileReader}.
 */
public final class TestClips {
  private TestClips() {}

  /** A clip of {@code seconds} at {@code width}x{@code height}, 30 fps, a keyframe every 2 s. */
  public static List<MediaPacket> h264Aac(int seconds, int width, int height) {
    try {
      return FlvFileReader.read(
          com.nrsgirls.streaming.testkit.TestClips.flv(seconds, width, height));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (MediaFormatException e) {
      throw new IllegalStateException("ffmpeg wrote an FLV file we cannot read", e);
    }
  }
}

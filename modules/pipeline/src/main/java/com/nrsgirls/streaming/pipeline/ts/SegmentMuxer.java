package com.nrsgirls.streaming.pipeline.ts;

import com.nrsgirls.streaming.core.media.MediaFormatException;
import com.nrsgirls.streaming.core.media.MediaPacket;
import java.io.IOException;

/**
 * A muxer that cuts a stream into segments, each started on an output, fed access units, and ended:
 * {@link TsMuxer} (MPEG-TS, for classic HLS) and {@link
 * com.nrsgirls.streaming.pipeline.mp4.Fmp4Muxer} (fragmented MP4, for recordings and, later,
 * LL-HLS). Timestamps are milliseconds on the output's timeline.
 */
public interface SegmentMuxer {
  /** Starts a segment on {@code output}; the previous one must have been ended. */
  void startSegment(TsOutput output) throws IOException;

  /** Adds one H.264 access unit (AVCC, not a config packet) to the current segment. */
  void writeVideo(MediaPacket frame, long dtsMillis, long ptsMillis)
      throws IOException, MediaFormatException;

  /** Adds one raw AAC frame to the current segment. */
  void writeAudio(MediaPacket frame, long ptsMillis) throws IOException, MediaFormatException;

  /**
   * Ends the current segment, sending what it still holds to the output, which the muxer then lets
   * go of.
   *
   * @return the bytes the segment took
   */
  long endSegment() throws IOException;

  /** Whether a segment is started and not yet ended. */
  boolean inSegment();
}

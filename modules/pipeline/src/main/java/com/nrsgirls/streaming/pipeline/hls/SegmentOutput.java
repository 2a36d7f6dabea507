package com.nrsgirls.streaming.pipeline.hls;

import com.nrsgirls.streaming.pipeline.ts.TsOutput;
import java.io.IOException;

/**
 * A segment being written. Nothing of it is visible under its name until {@link #commit}, which
 * makes all of it visible at once; {@link #abort} (or {@link #close} before a commit) throws it
 * away.
 */
public interface SegmentOutput extends TsOutput, AutoCloseable {
  @Override
  void write(byte[] data, int offset, int length) throws IOException;

  /**
   * Passes what was written so far on to the file, for a segment made by {@link
   * SegmentStore#createGrowingSegment} whose readers read it while it grows; a queued output queues
   * it (its store's {@code drained()} says when it is there). Nothing for other outputs.
   */
  default void flush() throws IOException {}

  /** Makes the segment visible under its name. No writes after this. */
  void commit() throws IOException;

  /** Discards the segment. Does nothing after a commit or an earlier abort. */
  void abort();

  /** Aborts unless committed, so try-with-resources never leaves a half-written segment. */
  @Override
  default void close() {
    abort();
  }
}

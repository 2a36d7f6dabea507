package com.nrsgirls.streaming.pipeline.ts;

import java.io.IOException;

/** Where a {@link TsMuxer} sends its bytes: whole 188-byte packets, in chunks of many. */
@FunctionalInterface
public interface TsOutput {
  /** Writes {@code length} bytes of {@code data} from {@code offset}; must not keep the array. */
  void write(byte[] data, int offset, int length) throws IOException;
}

package com.nrsgirls.streaming.pipeline.ts;

import java.util.Arrays;

/**
 * The pieces a PES packet is made of (its header, start codes, NAL units or ADTS headers and AAC
 * frames), referenced where they are, so the only copy is the one into TS packets. Reused from PES
 * to PES; it grows to the largest piece count seen and stays there.
 */
final class PesPayload {
  private byte[][] arrays = new byte[32][];
  private int[] offsets = new int[32];
  private int[] lengths = new int[32];
  private int count;
  private int total;
  private int cursorPiece;
  private int cursorOffset;

  void clear() {
    Arrays.fill(arrays, 0, count, null); // do not keep frames alive longer than their PES
    count = 0;
    total = 0;
  }

  void add(byte[] array, int offset, int length) {
    if (count == arrays.length) {
      int size = count * 2;
      arrays = Arrays.copyOf(arrays, size);
      offsets = Arrays.copyOf(offsets, size);
      lengths = Arrays.copyOf(lengths, size);
    }
    arrays[count] = array;
    offsets[count] = offset;
    lengths[count] = length;
    count++;
    total += length;
  }

  /** Replaces piece {@code index}, e.g. a header whose content is known only at the end. */
  void set(int index, byte[] array, int offset, int length) {
    total += length - lengths[index];
    arrays[index] = array;
    offsets[index] = offset;
    lengths[index] = length;
  }

  int total() {
    return total;
  }

  int count() {
    return count;
  }

  void rewind() {
    cursorPiece = 0;
    cursorOffset = 0;
  }

  /** Copies the next {@code length} bytes from the cursor into {@code dst}. */
  void copyTo(byte[] dst, int dstOffset, int length) {
    while (length > 0) {
      int available = lengths[cursorPiece] - cursorOffset;
      if (available == 0) {
        cursorPiece++;
        cursorOffset = 0;
        continue;
      }
      int n = Math.min(available, length);
      System.arraycopy(arrays[cursorPiece], offsets[cursorPiece] + cursorOffset, dst, dstOffset, n);
      cursorOffset += n;
      dstOffset += n;
      length -= n;
    }
  }
}

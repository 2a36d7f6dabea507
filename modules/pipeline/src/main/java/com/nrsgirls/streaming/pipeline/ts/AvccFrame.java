package com.nrsgirls.streaming.pipeline.ts;

import com.nrsgirls.streaming.core.media.MediaFormatException;
import java.util.Arrays;

/**
 * The NAL units of one H.264 access unit in AVCC form (each NAL unit behind a 1, 2 or 4 byte
 * big-endian length, ISO/IEC 14496-15 §5.3.4.2), located in place. Reused from frame to frame.
 */
public final class AvccFrame {
  /** nal_unit_type values (ITU-T H.264 Table 7-1). */
  public static final int NAL_IDR = 5;

  public static final int NAL_SPS = 7;
  public static final int NAL_PPS = 8;
  public static final int NAL_AUD = 9;

  private int[] offsets = new int[16];
  private int[] lengths = new int[16];
  private int count;
  private boolean hasIdr;
  private boolean hasSps;

  /** Locates the NAL units of {@code [offset, offset + length)}. */
  public void parse(byte[] data, int offset, int length, int nalLengthSize)
      throws MediaFormatException {
    count = 0;
    hasIdr = false;
    hasSps = false;
    int p = offset;
    int end = offset + length;
    while (p < end) {
      if (nalLengthSize > end - p) {
        throw new MediaFormatException("NAL unit length prefix runs past the end of the frame");
      }
      long n = 0;
      for (int i = 0; i < nalLengthSize; i++) {
        n = (n << 8) | (data[p + i] & 0xFF);
      }
      p += nalLengthSize;
      if (n > end - p) {
        throw new MediaFormatException(
            "NAL unit of " + n + " bytes runs past the end of the frame (" + (end - p) + " left)");
      }
      if (n == 0) {
        continue; // some encoders pad with empty NAL units; they carry nothing
      }
      int type = data[p] & 0x1F;
      hasIdr |= type == NAL_IDR;
      hasSps |= type == NAL_SPS;
      if (count == offsets.length) {
        offsets = Arrays.copyOf(offsets, count * 2);
        lengths = Arrays.copyOf(lengths, count * 2);
      }
      offsets[count] = p;
      lengths[count] = (int) n;
      count++;
      p += (int) n;
    }
    if (count == 0) {
      throw new MediaFormatException("H.264 frame without NAL units");
    }
  }

  public int count() {
    return count;
  }

  public int offset(int index) {
    return offsets[index];
  }

  public int length(int index) {
    return lengths[index];
  }

  public boolean hasIdr() {
    return hasIdr;
  }

  public boolean hasSps() {
    return hasSps;
  }
}

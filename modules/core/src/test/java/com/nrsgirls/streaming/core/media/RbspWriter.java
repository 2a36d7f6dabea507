package com.nrsgirls.streaming.core.media;

import java.io.ByteArrayOutputStream;

/**
 * Writes H.264 RBSP fields (ITU-T H.264 §7.2, Exp-Golomb §9.1) and wraps them into a NAL unit with
 * emulation prevention bytes, for parameter sets no x264 setting produces (scaling matrices in the
 * SPS, pic_order_cnt_type 1, monochrome, out-of-range values).
 */
final class RbspWriter {
  private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
  private int current;
  private int bitCount;

  RbspWriter bits(long value, int n) {
    for (int i = n - 1; i >= 0; i--) {
      current = (current << 1) | (int) ((value >>> i) & 1);
      if (++bitCount == 8) {
        bytes.write(current);
        current = 0;
        bitCount = 0;
      }
    }
    return this;
  }

  RbspWriter flag(boolean value) {
    return bits(value ? 1 : 0, 1);
  }

  /** ue(v) of a code number up to 2^32 - 2. */
  RbspWriter ue(long codeNum) {
    long v = codeNum + 1;
    int length = 64 - Long.numberOfLeadingZeros(v);
    bits(0, length - 1);
    return bits(v, length);
  }

  RbspWriter se(long value) {
    return ue(value > 0 ? 2 * value - 1 : -2 * value);
  }

  /** Appends rbsp_trailing_bits and returns the NAL unit: header byte, then the escaped RBSP. */
  byte[] nal(int header) {
    bits(1, 1);
    while (bitCount != 0) {
      bits(0, 1);
    }
    byte[] rbsp = bytes.toByteArray();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(header);
    int zeros = 0;
    for (byte b : rbsp) {
      if (zeros >= 2 && (b & 0xFF) <= 3) {
        out.write(3);
        zeros = 0;
      }
      out.write(b);
      zeros = b == 0 ? zeros + 1 : 0;
    }
    return out.toByteArray();
  }
}

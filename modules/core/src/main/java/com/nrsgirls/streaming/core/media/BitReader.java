package com.nrsgirls.streaming.core.media;

/**
 * Reads big-endian bit fields and H.264 Exp-Golomb codes (ITU-T H.264 §9.1) from a byte range.
 * Running past the end throws {@link MediaFormatException} instead of reading garbage.
 */
final class BitReader {
  private final byte[] data;
  private final int end;
  private long bitPos;

  BitReader(byte[] data, int offset, int length) {
    this.data = data;
    this.end = offset + length;
    this.bitPos = (long) offset * 8;
  }

  int readBit() throws MediaFormatException {
    int byteIndex = (int) (bitPos >>> 3);
    if (byteIndex >= end) {
      throw new MediaFormatException("bitstream ends early");
    }
    int bit = (data[byteIndex] >> (7 - (int) (bitPos & 7))) & 1;
    bitPos++;
    return bit;
  }

  /** Reads {@code n} bits, n at most 32, as an unsigned value. */
  long readBits(int n) throws MediaFormatException {
    long value = 0;
    for (int i = 0; i < n; i++) {
      value = (value << 1) | readBit();
    }
    return value;
  }

  int readBitsInt(int n) throws MediaFormatException {
    return (int) readBits(n);
  }

  boolean readFlag() throws MediaFormatException {
    return readBit() == 1;
  }

  void skipBits(int n) throws MediaFormatException {
    readBits(n);
  }

  /** ue(v): unsigned Exp-Golomb. Values past 2^31 - 2 are refused as malformed. */
  int readUe() throws MediaFormatException {
    int leadingZeros = 0;
    while (readBit() == 0) {
      leadingZeros++;
      if (leadingZeros > 31) {
        throw new MediaFormatException("Exp-Golomb code longer than 32 bits");
      }
    }
    long value = (1L << leadingZeros) - 1 + readBits(leadingZeros);
    if (value > Integer.MAX_VALUE - 1) {
      throw new MediaFormatException("Exp-Golomb value out of range");
    }
    return (int) value;
  }

  /** se(v): signed Exp-Golomb. */
  int readSe() throws MediaFormatException {
    int codeNum = readUe();
    return (codeNum & 1) == 1 ? (codeNum + 1) / 2 : -(codeNum / 2);
  }
}

package com.nrsgirls.streaming.pipeline.ts;

/**
 * The CRC-32 that PSI sections end with (ISO/IEC 13818-1 Annex A): polynomial 0x04C11DB7, initial
 * value 0xFFFFFFFF, no bit reflection, no final XOR. Running it over a whole section, CRC included,
 * gives zero.
 */
final class Crc32Mpeg2 {
  private static final int[] TABLE = new int[256];

  static {
    for (int i = 0; i < 256; i++) {
      int crc = i << 24;
      for (int bit = 0; bit < 8; bit++) {
        crc = (crc & 0x80000000) != 0 ? (crc << 1) ^ 0x04C11DB7 : crc << 1;
      }
      TABLE[i] = crc;
    }
  }

  private Crc32Mpeg2() {}

  static int compute(byte[] data, int offset, int length) {
    int crc = 0xFFFFFFFF;
    for (int i = offset; i < offset + length; i++) {
      crc = (crc << 8) ^ TABLE[((crc >>> 24) ^ data[i]) & 0xFF];
    }
    return crc;
  }

  /** Computes the CRC of {@code [offset, offset + length)} and writes it big-endian right after. */
  static void append(byte[] data, int offset, int length) {
    int crc = compute(data, offset, length);
    int p = offset + length;
    data[p] = (byte) (crc >>> 24);
    data[p + 1] = (byte) (crc >>> 16);
    data[p + 2] = (byte) (crc >>> 8);
    data[p + 3] = (byte) crc;
  }
}

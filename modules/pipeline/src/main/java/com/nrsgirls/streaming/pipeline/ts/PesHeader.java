package com.nrsgirls.streaming.pipeline.ts;

/**
 * The header of a PES packet with a PTS and optionally a DTS (ISO/IEC 13818-1 §2.4.3.6, §2.4.3.7,
 * Table 2-21).
 */
final class PesHeader {
  /** stream_id of the first video stream (Table 2-22, 1110 xxxx). */
  static final int STREAM_ID_VIDEO = 0xE0;

  /** stream_id of the first audio stream (Table 2-22, 110x xxxx). */
  static final int STREAM_ID_AUDIO = 0xC0;

  /** The longest header this class writes: 9 fixed bytes, PTS and DTS. */
  static final int MAX_LENGTH = 19;

  /** PTS, DTS and PCR base are 33-bit counts of a 90 kHz clock (§2.4.2.2, §2.4.3.7). */
  static final long TIMESTAMP_MASK = (1L << 33) - 1;

  /** The largest PES_packet_length, so the most bytes after it in a bounded PES packet. */
  static final int MAX_PACKET_LENGTH = 0xFFFF;

  private PesHeader() {}

  /** Header bytes for a PES with ({@code withDts}) or without a DTS. */
  static int length(boolean withDts) {
    return withDts ? 19 : 14;
  }

  /**
   * Writes the header at {@code offset}.
   *
   * @param payloadLength bytes of elementary stream data that follow the header, or -1 for an
   *     unbounded packet (PES_packet_length 0, allowed for video in a transport stream)
   * @param pts90k presentation time in 90 kHz ticks; only its low 33 bits are written
   * @param dts90k decode time in 90 kHz ticks, written only when {@code withDts}
   * @return the number of header bytes written
   */
  static int write(
      byte[] b,
      int offset,
      int streamId,
      int payloadLength,
      long pts90k,
      long dts90k,
      boolean withDts,
      boolean dataAlignment) {
    int headerDataLength = withDts ? 10 : 5;
    int packetLength = 0;
    if (payloadLength >= 0) {
      packetLength = 3 + headerDataLength + payloadLength;
      if (packetLength > MAX_PACKET_LENGTH) {
        throw new IllegalArgumentException("PES payload of " + payloadLength + " bytes too long");
      }
    }
    b[offset] = 0;
    b[offset + 1] = 0;
    b[offset + 2] = 1; // packet_start_code_prefix
    b[offset + 3] = (byte) streamId;
    b[offset + 4] = (byte) (packetLength >> 8);
    b[offset + 5] = (byte) packetLength;
    // '10', not scrambled, no priority, data_alignment_indicator, no copyright, copy
    b[offset + 6] = (byte) (0x80 | (dataAlignment ? 0x04 : 0));
    b[offset + 7] = (byte) (withDts ? 0xC0 : 0x80); // PTS_DTS_flags '11' or '10', no other fields
    b[offset + 8] = (byte) headerDataLength;
    writeTimestamp(b, offset + 9, withDts ? 0x3 : 0x2, pts90k);
    if (withDts) {
      writeTimestamp(b, offset + 14, 0x1, dts90k);
    }
    return 9 + headerDataLength;
  }

  /** Five bytes: a 4-bit prefix, then the 33-bit time in 3 + 15 + 15 bits, each with a marker. */
  static void writeTimestamp(byte[] b, int offset, int prefix, long ticks) {
    long t = ticks & TIMESTAMP_MASK;
    b[offset] = (byte) ((prefix << 4) | ((t >> 29) & 0x0E) | 1);
    b[offset + 1] = (byte) (t >> 22);
    b[offset + 2] = (byte) (((t >> 14) & 0xFE) | 1);
    b[offset + 3] = (byte) (t >> 7);
    b[offset + 4] = (byte) (((t << 1) & 0xFE) | 1);
  }
}

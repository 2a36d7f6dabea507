package com.nrsgirls.streaming.pipeline.ts;

/**
 * A TS program map section without descriptors (ISO/IEC 13818-1 §2.4.4.8, Table 2-33): the PCR PID
 * and one entry (stream_type, elementary_PID) per elementary stream.
 */
final class PmtSection {
  /** table_id of a TS program map section (Table 2-31). */
  static final int TABLE_ID = 0x02;

  /** stream_type of H.264 video (Table 2-34, ITU-T H.264 | ISO/IEC 14496-10). */
  static final int STREAM_TYPE_H264 = 0x1B;

  /** stream_type of AAC audio with ADTS transport syntax (Table 2-34, ISO/IEC 13818-7). */
  static final int STREAM_TYPE_AAC_ADTS = 0x0F;

  private PmtSection() {}

  /** Bytes a section with {@code streams} elementary streams takes, CRC included. */
  static int length(int streams) {
    return 12 + 5 * streams + 4;
  }

  /**
   * Writes the section (from table_id to CRC_32) at {@code offset}.
   *
   * @param version version_number, 0 to 31; must change whenever the content changes
   * @return the number of bytes written
   */
  static int write(
      byte[] b,
      int offset,
      int programNumber,
      int version,
      int pcrPid,
      int[] streamTypes,
      int[] pids,
      int streams) {
    int total = length(streams);
    int sectionLength = total - 3;
    int p = offset;
    b[p++] = TABLE_ID;
    b[p++] = (byte) (0xB0 | (sectionLength >> 8));
    b[p++] = (byte) sectionLength;
    b[p++] = (byte) (programNumber >> 8);
    b[p++] = (byte) programNumber;
    b[p++] = (byte) (0xC1 | ((version & 0x1F) << 1)); // reserved '11', version, current_next 1
    b[p++] = 0; // section_number
    b[p++] = 0; // last_section_number
    b[p++] = (byte) (0xE0 | (pcrPid >> 8)); // reserved '111', 13-bit PCR_PID
    b[p++] = (byte) pcrPid;
    b[p++] = (byte) 0xF0; // reserved '1111', program_info_length 0
    b[p++] = 0;
    for (int i = 0; i < streams; i++) {
      b[p++] = (byte) streamTypes[i];
      b[p++] = (byte) (0xE0 | (pids[i] >> 8));
      b[p++] = (byte) pids[i];
      b[p++] = (byte) 0xF0; // reserved '1111', ES_info_length 0
      b[p++] = 0;
    }
    Crc32Mpeg2.append(b, offset, p - offset);
    return total;
  }
}

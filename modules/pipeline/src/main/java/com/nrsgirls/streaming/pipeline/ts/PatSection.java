package com.nrsgirls.streaming.pipeline.ts;

/** A program association section with one program (ISO/IEC 13818-1 §2.4.4.3, Table 2-30). */
final class PatSection {
  /** table_id of a program association section (Table 2-31). */
  static final int TABLE_ID = 0x00;

  /** Bytes the section takes: 8 header bytes, one 4-byte program entry, the CRC. */
  static final int LENGTH = 16;

  private PatSection() {}

  /**
   * Writes the section (from table_id to CRC_32) at {@code offset}.
   *
   * @return the number of bytes written, {@link #LENGTH}
   */
  static int write(byte[] b, int offset, int transportStreamId, int programNumber, int pmtPid) {
    int sectionLength = LENGTH - 3; // counts the bytes after section_length, CRC included
    int p = offset;
    b[p++] = TABLE_ID;
    // section_syntax_indicator = 1, '0', reserved '11', 12-bit section_length
    b[p++] = (byte) (0xB0 | (sectionLength >> 8));
    b[p++] = (byte) sectionLength;
    b[p++] = (byte) (transportStreamId >> 8);
    b[p++] = (byte) transportStreamId;
    b[p++] = (byte) 0xC1; // reserved '11', version_number 0, current_next_indicator 1
    b[p++] = 0; // section_number
    b[p++] = 0; // last_section_number
    b[p++] = (byte) (programNumber >> 8);
    b[p++] = (byte) programNumber;
    b[p++] = (byte) (0xE0 | (pmtPid >> 8)); // reserved '111', 13-bit program_map_PID
    b[p++] = (byte) pmtPid;
    Crc32Mpeg2.append(b, offset, p - offset);
    return LENGTH;
  }
}

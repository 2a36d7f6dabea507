package com.nrsgirls.streaming.pipeline.ts;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.HexFormat;
import org.junit.jupiter.api.Test;

class PsiSectionTest {
  private static final HexFormat HEX = HexFormat.of();

  @Test
  void patMatchesTheBytesFfmpegWritesForTheSameProgram() {
    byte[] b = new byte[PatSection.LENGTH];
    int length = PatSection.write(b, 0, 1, 1, 0x1000);
    assertEquals(16, length);
    // libavformat mpegtsenc: transport_stream_id 1, program 1, PMT PID 0x1000
    assertArrayEquals(HEX.parseHex("00b00d0001c100000001f0002ab104b2"), b);
  }

  @Test
  void pmtMatchesTheBytesFfmpegWritesForH264AndAac() {
    byte[] b = new byte[PmtSection.length(2)];
    int length =
        PmtSection.write(b, 0, 1, 0, 0x100, new int[] {0x1B, 0x0F}, new int[] {0x100, 0x101}, 2);
    assertEquals(b.length, length);
    assertArrayEquals(HEX.parseHex("02b0170001c10000e100f0001be100f0000fe101f0002f44b99b"), b);
  }

  @Test
  void pmtVersionAndPcrPidAreEncodedAndCrcChecksToZero() {
    byte[] b = new byte[PmtSection.length(1)];
    PmtSection.write(b, 0, 1, 5, 0x101, new int[] {0x0F}, new int[] {0x101}, 1);
    assertEquals(0xC1 | (5 << 1), b[5] & 0xFF, "version_number 5, current_next 1");
    assertEquals(0x101, ((b[8] & 0x1F) << 8) | (b[9] & 0xFF), "PCR_PID");
    assertEquals(b.length - 3, ((b[1] & 0x0F) << 8) | (b[2] & 0xFF), "section_length");
    assertEquals(0, Crc32Mpeg2.compute(b, 0, b.length), "CRC over a section with its CRC is 0");
  }

  @Test
  void crcOfTheStandardCheckString() {
    byte[] check = "123456789".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    assertEquals(0x0376E6E7, Crc32Mpeg2.compute(check, 0, check.length)); // CRC-32/MPEG-2 check
  }
}

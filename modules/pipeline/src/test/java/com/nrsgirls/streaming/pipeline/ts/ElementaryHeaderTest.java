package com.nrsgirls.streaming.pipeline.ts;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.nrsgirls.streaming.core.media.AacConfig;
import com.nrsgirls.streaming.core.media.MediaFormatException;
import java.util.Arrays;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

/** PES headers and ADTS headers, byte for byte. */
class ElementaryHeaderTest {
  private static final HexFormat HEX = HexFormat.of();

  @Test
  void ptsOnlyHeaderEncodesTheKnownFfmpegStartTime() {
    byte[] b = new byte[PesHeader.MAX_LENGTH];
    int n = PesHeader.write(b, 0, PesHeader.STREAM_ID_AUDIO, 100, 126_000, 0, false, true);
    assertEquals(14, n);
    // 0x000001 C0, length 3+5+100, '10' + data_alignment, PTS only, 5 header bytes, PTS 1.4 s
    assertArrayEquals(HEX.parseHex("000001c0006c848005210007d861"), head(b, n));
  }

  @Test
  void ptsAndDtsHeaderForUnboundedVideo() {
    byte[] b = new byte[PesHeader.MAX_LENGTH];
    long pts = 0x1_2345_6789L;
    long dts = 0x0_0000_0001L;
    int n = PesHeader.write(b, 0, PesHeader.STREAM_ID_VIDEO, -1, pts, dts, true, false);
    assertEquals(19, n);
    assertArrayEquals(HEX.parseHex("000001e0000080c00a"), head(b, 9));
    assertEquals(0x3, (b[9] & 0xF0) >> 4, "'0011' before a PTS followed by a DTS");
    assertEquals(0x1, (b[14] & 0xF0) >> 4, "'0001' before the DTS");
    assertEquals(pts, TsReader.timestamp(b, 9));
    assertEquals(dts, TsReader.timestamp(b, 14));
  }

  @Test
  void timestampsKeepTheirLow33Bits() {
    byte[] b = new byte[5];
    long wrapped = (1L << 33) + 1234;
    PesHeader.writeTimestamp(b, 0, 0x2, wrapped);
    assertEquals(1234, TsReader.timestamp(b, 0));
    PesHeader.writeTimestamp(b, 0, 0x2, (1L << 33) - 1);
    assertEquals((1L << 33) - 1, TsReader.timestamp(b, 0));
  }

  @Test
  void boundedPesLongerThan65535BytesIsRefused() {
    byte[] b = new byte[PesHeader.MAX_LENGTH];
    assertThrows(
        IllegalArgumentException.class,
        () -> PesHeader.write(b, 0, PesHeader.STREAM_ID_AUDIO, 65535, 0, 0, false, true));
  }

  @Test
  void adtsHeaderForLcStereo48k() throws Exception {
    AacConfig lc = AacConfig.parse(TestMedia.AAC_CONFIG, 0, 2);
    byte[] b = new byte[7];
    AdtsHeader.write(b, 0, lc, 100);
    // sync, MPEG-4, no CRC; LC (profile 1), index 3, 2 channels; frame length 107; fullness 0x7FF
    assertArrayEquals(HEX.parseHex("fff14c800d7ffc"), b);
  }

  @Test
  void adtsHeaderOfHeAacCarriesTheCoreObjectTypeAndRate() throws Exception {
    // HE-AAC: object type 5, 24 kHz core (index 6), mono, extension rate 48 kHz, core type 2
    byte[] asc = {0x2B, 0x09, (byte) 0x88, 0x00};
    AacConfig he = AacConfig.parse(asc, 0, asc.length);
    assertEquals(5, he.signalledObjectType());
    byte[] b = new byte[7];
    AdtsHeader.write(b, 0, he, 8184 - 7 + 7);
    assertEquals(1, (b[2] & 0xFF) >> 6, "profile = core object type 2 minus 1");
    assertEquals(he.samplingFrequencyIndex(), (b[2] >> 2) & 0xF);
    int frameLength = ((b[3] & 0x3) << 11) | ((b[4] & 0xFF) << 3) | ((b[5] & 0xFF) >> 5);
    assertEquals(8191, frameLength);
  }

  @Test
  void aacFrameTooLongForAdtsIsAMediaFormatError() throws Exception {
    AacConfig lc = AacConfig.parse(TestMedia.AAC_CONFIG, 0, 2);
    assertThrows(MediaFormatException.class, () -> AdtsHeader.write(new byte[7], 0, lc, 8185));
  }

  private static byte[] head(byte[] b, int n) {
    return Arrays.copyOf(b, n);
  }
}

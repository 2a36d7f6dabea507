package com.nrsgirls.streaming.core.media;

import static com.nrsgirls.streaming.core.media.X264ParameterSets.*;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayOutputStream;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** AVCDecoderConfigurationRecords from ffmpeg's FLV muxer, and broken ones built around them. */
class AvcDecoderConfigTest {
  private static final HexFormat HEX = HexFormat.of();

  @Test
  void parsesHigh720pRecord() throws Exception {
    byte[] record = AVC_CONFIG_HIGH_1280X720;
    AvcDecoderConfig config = AvcDecoderConfig.parse(record, 0, record.length);
    assertEquals(100, config.profile());
    assertEquals(0, config.compatibility());
    assertEquals(31, config.level());
    assertEquals(4, config.nalLengthSize());
    assertEquals(1, config.sps().size());
    assertArrayEquals(SPS_HIGH_1280X720, config.sps().get(0));
    assertEquals(1, config.pps().size());
    assertArrayEquals(PPS_HIGH, config.pps().get(0));
    assertEquals(new H264Sps(100, 0, 31, 1280, 720), config.firstSps());
    assertEquals(1280, config.width());
    assertEquals(720, config.height());
    assertEquals("avc1.64001f", config.codecsString());
  }

  @Test
  void parsesBaselineRecordWithoutHighTrailer() throws Exception {
    byte[] record = AVC_CONFIG_BASELINE_320X240;
    AvcDecoderConfig config = AvcDecoderConfig.parse(record, 0, record.length);
    assertEquals("avc1.42c00d", config.codecsString());
    assertArrayEquals(SPS_BASELINE_320X240, config.sps().get(0));
    assertArrayEquals(PPS_BASELINE, config.pps().get(0));
    assertEquals(320, config.width());
    assertEquals(240, config.height());
  }

  @Test
  void parses1080pRecordWithItsCroppedHeight() throws Exception {
    byte[] record = AVC_CONFIG_HIGH_1920X1080;
    AvcDecoderConfig config = AvcDecoderConfig.parse(record, 0, record.length);
    assertEquals("avc1.640028", config.codecsString());
    assertEquals(1920, config.width());
    assertEquals(1080, config.height());
  }

  @Test
  void parsesARecordInsideALargerBuffer() throws Exception {
    byte[] record = AVC_CONFIG_HIGH_1920X1080;
    byte[] flvTagBody = new byte[5 + record.length + 3];
    flvTagBody[0] = 0x17; // keyframe, AVC
    System.arraycopy(record, 0, flvTagBody, 5, record.length);
    flvTagBody[flvTagBody.length - 1] = 0x55; // bytes after the record are not read
    AvcDecoderConfig config = AvcDecoderConfig.parse(flvTagBody, 5, record.length);
    assertEquals(1080, config.height());
    assertArrayEquals(PPS_HIGH, config.pps().get(0));
  }

  @Test
  void nalLengthSizeComesFromTheLowTwoBits() throws Exception {
    assertEquals(1, parseWithLengthByte(0xFC).nalLengthSize());
    assertEquals(2, parseWithLengthByte(0xFD).nalLengthSize());
    assertEquals(4, parseWithLengthByte(0xFF).nalLengthSize());
    assertEquals(4, parseWithLengthByte(0x03).nalLengthSize(), "reserved bits are ignored");
    assertRejected(withByte(AVC_CONFIG_HIGH_1280X720, 4, 0xFE), "NAL length size 3");
  }

  @Test
  void keepsEveryParameterSetAndParsesTheFirstSps() throws Exception {
    byte[] record =
        record(0x64, 0x00, 0x28, List.of(SPS_HIGH_1920X1080, SPS_HIGH_1280X720), List.of(PPS_HIGH));
    AvcDecoderConfig config = AvcDecoderConfig.parse(record, 0, record.length);
    assertEquals(2, config.sps().size());
    assertArrayEquals(SPS_HIGH_1280X720, config.sps().get(1));
    assertEquals(1920, config.width(), "the first SPS decides the size");
    assertThrows(UnsupportedOperationException.class, () -> config.sps().add(new byte[0]));
    assertThrows(UnsupportedOperationException.class, () -> config.pps().clear());
  }

  @Test
  void codecsStringUsesTheRecordsProfileBytes() throws Exception {
    // The record's bytes, not the SPS's, go into CODECS; they are the same in every real record.
    byte[] record = record(0x4D, 0x40, 0x1E, List.of(SPS_MAIN_640X360), List.of(PPS_HIGH));
    assertEquals("avc1.4d401e", AvcDecoderConfig.parse(record, 0, record.length).codecsString());
  }

  @Test
  void rejectsOtherVersions() {
    assertRejected(withByte(AVC_CONFIG_HIGH_1280X720, 0, 0), "version 0");
    assertRejected(withByte(AVC_CONFIG_HIGH_1280X720, 0, 2), "version 2");
  }

  @Test
  void rejectsRecordsWithoutSpsOrPps() {
    assertRejected(record(0x64, 0, 0x1F, List.of(), List.of(PPS_HIGH)), "no SPS");
    assertRejected(record(0x64, 0, 0x1F, List.of(SPS_HIGH_1280X720), List.of()), "no PPS");
    assertRejected(HEX.parseHex("0164001fffe000"), "seven bytes, both counts 0");
    assertRejected(HEX.parseHex("0164001fffe1"), "six bytes");
  }

  @Test
  void rejectsEveryCutBeforeTheEndOfThePps() throws Exception {
    byte[] record = AVC_CONFIG_HIGH_1280X720;
    int endOfPps = record.length - HIGH_TRAILER_LENGTH;
    for (int length = 0; length < endOfPps; length++) {
      int cut = length;
      assertThrows(
          MediaFormatException.class,
          () -> AvcDecoderConfig.parse(record, 0, cut),
          () -> "cut at " + cut);
    }
    assertEquals(720, AvcDecoderConfig.parse(record, 0, endOfPps).height());
  }

  @Test
  void rejectsParameterSetLengthsThatRunPastTheRecord() {
    byte[] spsTooLong = withByte(AVC_CONFIG_HIGH_1280X720, 7, 0xF0);
    assertRejected(spsTooLong, "SPS length 0x00f0");
    int ppsLengthAt = 8 + SPS_HIGH_1280X720.length + 1;
    assertRejected(withByte(AVC_CONFIG_HIGH_1280X720, ppsLengthAt + 1, 0x40), "PPS length 0x40");
    assertRejected(withByte(AVC_CONFIG_HIGH_1280X720, 5, 0xE2), "two SPS announced, one there");
  }

  @Test
  void rejectsEmptyParameterSets() {
    assertRejected(record(0x64, 0, 0x1F, List.of(new byte[0]), List.of(PPS_HIGH)), "empty SPS");
    assertRejected(
        record(0x64, 0, 0x1F, List.of(SPS_HIGH_1280X720), List.of(new byte[0])), "empty PPS");
  }

  @Test
  void rejectsAFirstSpsThatIsNotAnSps() {
    assertRejected(record(0x64, 0, 0x1F, List.of(PPS_HIGH), List.of(PPS_HIGH)), "PPS as SPS");
    byte[] brokenSps = SPS_HIGH_1280X720.clone();
    brokenSps[1] = 100;
    brokenSps[4] = (byte) 0x80; // sps id 0, then chroma_format_idc with 15 leading zeros
    brokenSps[5] = 0;
    brokenSps[6] = (byte) 0x80;
    assertRejected(record(0x64, 0, 0x1F, List.of(brokenSps), List.of(PPS_HIGH)), "bad SPS");
  }

  @Test
  void mutatedRealRecordsGiveAConfigOrMediaFormatException() {
    List<byte[]> records =
        List.of(AVC_CONFIG_HIGH_1280X720, AVC_CONFIG_BASELINE_320X240, AVC_CONFIG_HIGH_1920X1080);
    Random random = new Random(42L);
    int parsed = 0;
    int rejected = 0;
    for (int i = 0; i < 3000; i++) {
      byte[] record = RandomEdits.apply(records.get(random.nextInt(records.size())), random);
      try {
        AvcDecoderConfig config = AvcDecoderConfig.parse(record, 0, record.length);
        assertTrue(config.nalLengthSize() != 3 && !config.sps().isEmpty());
        parsed++;
      } catch (MediaFormatException e) {
        rejected++;
      } catch (RuntimeException e) {
        fail("record " + HEX.formatHex(record) + " threw " + e, e);
      }
    }
    assertTrue(parsed > 100 && rejected > 100, "parsed " + parsed + ", rejected " + rejected);
  }

  // ---- helpers -----------------------------------------------------------------------------

  private static AvcDecoderConfig parseWithLengthByte(int value) throws MediaFormatException {
    byte[] record = withByte(AVC_CONFIG_HIGH_1280X720, 4, value);
    return AvcDecoderConfig.parse(record, 0, record.length);
  }

  private static byte[] withByte(byte[] original, int index, int value) {
    byte[] copy = original.clone();
    copy[index] = (byte) value;
    return copy;
  }

  /** An AVCDecoderConfigurationRecord (ISO/IEC 14496-15 §5.2.4.1) with 4-byte NAL lengths. */
  private static byte[] record(
      int profile, int compatibility, int level, List<byte[]> sps, List<byte[]> pps) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(1);
    out.write(profile);
    out.write(compatibility);
    out.write(level);
    out.write(0xFF);
    out.write(0xE0 | sps.size());
    sps.forEach(nal -> writeParameterSet(out, nal));
    out.write(pps.size());
    pps.forEach(nal -> writeParameterSet(out, nal));
    return out.toByteArray();
  }

  private static void writeParameterSet(ByteArrayOutputStream out, byte[] nal) {
    out.write(nal.length >>> 8);
    out.write(nal.length);
    out.write(nal, 0, nal.length);
  }

  private static void assertRejected(byte[] record, String what) {
    assertThrows(
        MediaFormatException.class,
        () -> AvcDecoderConfig.parse(record, 0, record.length),
        () -> what);
  }

  @Test
  void writtenRecordsParseBackWithTheirParameterSets() throws Exception {
    byte[] record =
        AvcDecoderConfig.write(
            java.util.List.of(SPS_HIGH_1280X720),
            java.util.List.of(PPS_HIGH, new byte[] {0x68, 1}));
    AvcDecoderConfig c = AvcDecoderConfig.parse(record, 0, record.length);
    assertEquals(4, c.nalLengthSize());
    assertEquals(SPS_HIGH_1280X720[1] & 0xFF, c.profile());
    assertEquals(SPS_HIGH_1280X720[3] & 0xFF, c.level());
    assertEquals(1280, c.width());
    assertEquals(720, c.height());
    assertArrayEquals(SPS_HIGH_1280X720, c.sps().get(0));
    assertEquals(2, c.pps().size());
    assertArrayEquals(PPS_HIGH, c.pps().get(0));
    assertThrows(
        MediaFormatException.class,
        () -> AvcDecoderConfig.write(java.util.List.of(), java.util.List.of(PPS_HIGH)));
    assertThrows(
        MediaFormatException.class,
        () ->
            AvcDecoderConfig.write(
                java.util.List.of(new byte[] {0x67}), java.util.List.of(PPS_HIGH)));
  }
}

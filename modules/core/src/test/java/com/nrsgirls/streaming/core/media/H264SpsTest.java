package com.nrsgirls.streaming.core.media;

import static com.nrsgirls.streaming.core.media.X264ParameterSets.*;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * SPS parsing: real x264 parameter sets, hand-written ones for the branches x264 never takes, and
 * malformed input, which must end in {@link MediaFormatException} and nothing else.
 */
class H264SpsTest {
  private static final HexFormat HEX = HexFormat.of();

  private static final List<byte[]> REAL_SPS =
      List.of(
          SPS_BASELINE_320X240,
          SPS_MAIN_640X360,
          SPS_HIGH_1280X720,
          SPS_HIGH_1920X1080,
          SPS_HIGH_1920X1080_INTERLACED,
          SPS_HIGH_854X480,
          SPS_HIGH422_1280X720,
          SPS_HIGH444_1280X720);

  static Stream<Arguments> realSps() {
    return Stream.of(
        Arguments.of("baseline", SPS_BASELINE_320X240, new H264Sps(66, 0xC0, 13, 320, 240)),
        Arguments.of("main", SPS_MAIN_640X360, new H264Sps(77, 0x40, 30, 640, 360)),
        Arguments.of("high 720p", SPS_HIGH_1280X720, new H264Sps(100, 0, 31, 1280, 720)),
        Arguments.of("high 1080p", SPS_HIGH_1920X1080, new H264Sps(100, 0, 40, 1920, 1080)),
        Arguments.of(
            "high 1080i", SPS_HIGH_1920X1080_INTERLACED, new H264Sps(100, 0, 40, 1920, 1080)),
        Arguments.of("high 854x480", SPS_HIGH_854X480, new H264Sps(100, 0, 31, 854, 480)),
        Arguments.of("high 4:2:2", SPS_HIGH422_1280X720, new H264Sps(122, 0, 31, 1280, 720)),
        Arguments.of("high 4:4:4", SPS_HIGH444_1280X720, new H264Sps(244, 0, 31, 1280, 720)));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("realSps")
  void parsesRealX264Sps(String name, byte[] nal, H264Sps expected) throws Exception {
    assertEquals(expected, H264Sps.parse(nal, 0, nal.length));
  }

  @Test
  void parsesAnSpsInsideALargerBuffer() throws Exception {
    byte[] buffer = new byte[SPS_HIGH_1920X1080.length + 9];
    Arrays.fill(buffer, (byte) 0xFF);
    System.arraycopy(SPS_HIGH_1920X1080, 0, buffer, 5, SPS_HIGH_1920X1080.length);
    assertEquals(
        new H264Sps(100, 0, 40, 1920, 1080), H264Sps.parse(buffer, 5, SPS_HIGH_1920X1080.length));
  }

  // ---- emulation prevention ----------------------------------------------------------------

  @Test
  void unescapeDropsTheThreeAfterTwoZeros() {
    assertArrayEquals(HEX.parseHex("000001"), unescape("00000301"));
    assertArrayEquals(HEX.parseHex("00000000"), unescape("000003000003"));
    assertArrayEquals(HEX.parseHex("0000"), unescape("000003"), "a trailing 0x03 as well");
  }

  @Test
  void unescapeKeepsAThreeThatIsData() {
    // After an emulation prevention byte the zero count starts over: the next 0x03 is payload.
    assertArrayEquals(HEX.parseHex("000003"), unescape("00000303"));
    assertArrayEquals(HEX.parseHex("0003"), unescape("0003"));
    assertArrayEquals(HEX.parseHex("00010003"), unescape("00010003"));
    assertArrayEquals(HEX.parseHex("abcdef"), unescape("abcdef"));
  }

  @Test
  void unescapeReadsOnlyItsRange() {
    byte[] data = HEX.parseHex("0000030000030102");
    // The range starts at the first 0x03, so that one is data; the second follows two zeros.
    assertArrayEquals(HEX.parseHex("030000"), H264Sps.unescape(data, 2, 4));
    assertArrayEquals(new byte[0], H264Sps.unescape(data, 3, 0));
  }

  @Test
  void unescapeOfARealSpsDropsItsTwoEmulationPreventionBytes() {
    byte[] rbsp = H264Sps.unescape(SPS_HIGH_1280X720, 1, SPS_HIGH_1280X720.length - 1);
    assertEquals(SPS_HIGH_1280X720.length - 1 - 2, rbsp.length);
    assertArrayEquals(
        HEX.parseHex("64001facd9405005bb011000000010000003c0f1831960"),
        rbsp,
        "00 00 03 00 -> 00 00 00 and 00 00 03 03 -> 00 00 03");
  }

  private static byte[] unescape(String hex) {
    byte[] data = HEX.parseHex(hex);
    return H264Sps.unescape(data, 0, data.length);
  }

  // ---- branches x264 does not take ---------------------------------------------------------

  @Test
  void skipsSequenceScalingListsAndPicOrderCntType1() throws Exception {
    RbspWriter w = new RbspWriter();
    w.bits(100, 8).bits(0, 8).bits(40, 8).ue(0); // High, level 4.0, sps id 0
    w.ue(1).ue(0).ue(0).flag(false); // 4:2:0, 8 bits, no transform bypass
    w.flag(true); // seq_scaling_matrix_present_flag: 6 4x4 lists, then 2 8x8 lists
    scalingList(w, -1, 2, 3, -4, 5, 0, 0, 1, 1, 1, -2, 7, 0, 0, 0, 3); // explicit, all 16
    w.flag(false);
    scalingList(w, -8); // first delta ends at 0: use the default list
    w.flag(false).flag(false).flag(false);
    int[] earlyEnd = new int[20]; // 19 steps up to 27, then back to 0: the rest repeats 27
    Arrays.fill(earlyEnd, 1);
    earlyEnd[19] = -27;
    scalingList(w, earlyEnd);
    int[] wrapping = new int[64]; // -128 wraps modulo 256: 136, 8, 136, ... never 0, all 64 read
    Arrays.fill(wrapping, -128);
    scalingList(w, wrapping);
    w.ue(0); // log2_max_frame_num_minus4
    w.ue(1).flag(false); // pic_order_cnt_type 1, delta_pic_order_always_zero_flag
    // 29 leading zero bits each: the RBSP gets 0x0000 followed by a byte <= 3, which the NAL
    // must escape and the parser must unescape before it reads the picture size.
    w.se(-(1L << 28)).se(1L << 28);
    w.ue(3).se(2).se(-2).se(100_000); // offset_for_ref_frame cycle
    w.ue(4).flag(false); // max_num_ref_frames, gaps_in_frame_num_value_allowed_flag
    w.ue(119).ue(67).flag(true).flag(true); // 120x68 MBs, frame_mbs_only, direct_8x8
    w.flag(true).ue(0).ue(0).ue(0).ue(4); // crop 8 lines at the bottom
    w.flag(false); // no VUI
    byte[] nal = w.nal(0x67);

    assertTrue(
        H264Sps.unescape(nal, 0, nal.length).length < nal.length,
        "the written SPS contains an emulation prevention byte");
    assertEquals(new H264Sps(100, 0, 40, 1920, 1080), H264Sps.parse(nal, 0, nal.length));
  }

  @Test
  void acceptsTheLongestPicOrderCntCycle() throws Exception {
    RbspWriter w = new RbspWriter().bits(66, 8).bits(0, 8).bits(30, 8).ue(0);
    w.ue(0).ue(1).flag(true).se(0).se(0).ue(255);
    for (int i = 0; i < 255; i++) {
      w.se(i - 127);
    }
    w.ue(1).flag(false).ue(39).ue(29).flag(true).flag(true).flag(false).flag(false);
    byte[] nal = w.nal(0x67);
    assertEquals(new H264Sps(66, 0, 30, 640, 480), H264Sps.parse(nal, 0, nal.length));
  }

  static Stream<Arguments> croppingUnits() {
    // chroma_format_idc, separate_colour_plane, frame_mbs_only -> (CropUnitX, CropUnitY),
    // §7.4.2.1.1
    return Stream.of(
        Arguments.of("monochrome", 0, false, true, 1, 1),
        Arguments.of("4:2:0", 1, false, true, 2, 2),
        Arguments.of("4:2:0 fields", 1, false, false, 2, 4),
        Arguments.of("4:2:2", 2, false, true, 2, 1),
        Arguments.of("4:4:4", 3, false, true, 1, 1),
        Arguments.of("4:4:4 separate planes", 3, true, true, 1, 1),
        Arguments.of("4:4:4 separate planes, fields", 3, true, false, 1, 2));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("croppingUnits")
  void cropOffsetsCountInChromaAndFieldUnits(
      String name, int chroma, boolean separate, boolean frameMbsOnly, int unitX, int unitY)
      throws Exception {
    int codedHeight = frameMbsOnly ? 15 * 16 : 2 * 15 * 16;
    byte[] nal = sps(chroma, separate, frameMbsOnly, 20, 15, 1, 2, 3, 4);
    H264Sps sps = H264Sps.parse(nal, 0, nal.length);
    assertEquals(320 - 3 * unitX, sps.width());
    assertEquals(codedHeight - 7 * unitY, sps.height());
  }

  @Test
  void acceptsTheLargestPicture() throws Exception {
    byte[] nal = sps(1, false, true, 1024, 1024);
    assertEquals(16384, H264Sps.parse(nal, 0, nal.length).width());
    assertEquals(16384, H264Sps.parse(nal, 0, nal.length).height());
  }

  // ---- malformed input ---------------------------------------------------------------------

  @Test
  void rejectsHugeCropOffsetsInsteadOfOverflowing() {
    // 2 * (2^31 - 2) wraps a 32-bit sum to -4, which would widen the picture to 328 columns.
    long max = Integer.MAX_VALUE - 1;
    assertRejected(sps(1, false, true, 20, 15, max, max, 0, 0));
    assertRejected(sps(1, false, true, 20, 15, 0, 0, max, max));
  }

  @Test
  void rejectsPicturesThatAreEmptyOrTooLarge() {
    assertRejected(sps(1, false, true, 1025, 15));
    assertRejected(sps(1, false, true, 20, 1025));
    assertRejected(sps(1, false, true, 20, 15, 0, 0, 0, 120), "cropped to nothing");
    assertRejected(sps(1, false, true, 20, 15, 80, 80, 0, 0), "cropped past nothing");
    assertRejected(sps(1, false, true, Integer.MAX_VALUE - 1, 15));
    assertRejected(sps(1, false, false, 20, Integer.MAX_VALUE - 1));
  }

  @Test
  void rejectsOutOfRangeSyntaxElements() {
    assertRejected(sps(4, false, true, 20, 15), "chroma_format_idc 4");

    RbspWriter cycle = new RbspWriter().bits(66, 8).bits(0, 8).bits(30, 8).ue(0);
    cycle.ue(0).ue(1).flag(false).se(0).se(0).ue(256);
    assertRejected(cycle.nal(0x67), "num_ref_frames_in_pic_order_cnt_cycle 256");

    RbspWriter tooLong = new RbspWriter().bits(66, 8).bits(0, 8).bits(30, 8);
    tooLong.bits(0, 32).bits(1, 1).bits(0, 32);
    assertRejected(tooLong.nal(0x67), "Exp-Golomb code with 32 leading zeros");

    RbspWriter tooBig = new RbspWriter().bits(66, 8).bits(0, 8).bits(30, 8);
    tooBig.ue(Integer.MAX_VALUE).bits(0, 32);
    assertRejected(tooBig.nal(0x67), "Exp-Golomb value 2^31 - 1");
  }

  @Test
  void rejectsWhatIsNotAnSps() {
    assertRejected(PPS_HIGH, "a PPS");
    byte[] idr = SPS_HIGH_1280X720.clone();
    idr[0] = 0x65;
    assertRejected(idr, "an IDR slice header");
    assertRejected(new byte[0]);
    assertRejected(Arrays.copyOf(SPS_HIGH_1280X720, 3));
  }

  @Test
  void truncatedSpsIsRejectedOrReadsTheSameFields() throws Exception {
    for (byte[] real : REAL_SPS) {
      H264Sps full = H264Sps.parse(real, 0, real.length);
      int shortestAccepted = real.length;
      for (int length = real.length - 1; length >= 0; length--) {
        try {
          // The VUI after the cropping fields is never read, so a cut there still parses.
          assertEquals(full, H264Sps.parse(real, 0, length));
          shortestAccepted = length;
        } catch (MediaFormatException expected) {
          // the cut reached a field the parser needs
        }
      }
      assertTrue(shortestAccepted > 4, "the picture size lies past the first 4 bytes");
      assertTrue(shortestAccepted < real.length, "the VUI is not needed");
    }
  }

  @Test
  void mutatedRealSpsGivesASizeOrMediaFormatException() {
    Random random = new Random(20_261_125L);
    int parsed = 0;
    int rejected = 0;
    for (int i = 0; i < 4000; i++) {
      byte[] nal = RandomEdits.apply(REAL_SPS.get(random.nextInt(REAL_SPS.size())), random);
      try {
        H264Sps sps = H264Sps.parse(nal, 0, nal.length);
        assertTrue(sps.width() >= 1 && sps.width() <= 16384, () -> "width of " + hex(nal));
        assertTrue(sps.height() >= 1 && sps.height() <= 16384, () -> "height of " + hex(nal));
        parsed++;
      } catch (MediaFormatException e) {
        rejected++;
      } catch (RuntimeException e) {
        fail("SPS " + hex(nal) + " threw " + e, e);
      }
    }
    assertTrue(parsed > 100 && rejected > 100, "parsed " + parsed + ", rejected " + rejected);
  }

  // ---- helpers -----------------------------------------------------------------------------

  /**
   * A High 4:4:4 profile SPS (so chroma_format_idc is present) with POC type 0, no VUI, and the
   * given size; {@code crop} is left, right, top, bottom, or nothing for no cropping.
   */
  private static byte[] sps(
      int chromaFormat,
      boolean separatePlanes,
      boolean frameMbsOnly,
      long widthInMbs,
      long heightInMapUnits,
      long... crop) {
    RbspWriter w = new RbspWriter().bits(244, 8).bits(0, 8).bits(40, 8).ue(0);
    w.ue(chromaFormat);
    if (chromaFormat == 3) {
      w.flag(separatePlanes);
    }
    w.ue(0).ue(0).flag(false).flag(false); // 8 bits, no bypass, no scaling matrix
    w.ue(0).ue(0).ue(2); // log2_max_frame_num_minus4, POC type 0 and its lsb length
    w.ue(1).flag(false); // max_num_ref_frames, gaps
    w.ue(widthInMbs - 1).ue(heightInMapUnits - 1).flag(frameMbsOnly);
    if (!frameMbsOnly) {
      w.flag(false); // mb_adaptive_frame_field_flag
    }
    w.flag(true).flag(crop.length > 0);
    for (long c : crop) {
      w.ue(c);
    }
    return w.flag(false).nal(0x67);
  }

  private static void scalingList(RbspWriter w, int... deltas) {
    w.flag(true);
    for (int d : deltas) {
      w.se(d);
    }
  }

  private static void assertRejected(byte[] nal) {
    assertRejected(nal, hex(nal));
  }

  private static void assertRejected(byte[] nal, String what) {
    assertThrows(MediaFormatException.class, () -> H264Sps.parse(nal, 0, nal.length), () -> what);
  }

  private static String hex(byte[] b) {
    return HEX.formatHex(b);
  }
}

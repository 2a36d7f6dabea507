package com.nrsgirls.streaming.core.media;

import java.util.HexFormat;

/**
 * Parameter sets and codec configuration records taken once from real ffmpeg 5.1 / libx264 output,
 * so the parsers are tested against what encoders send rather than against our own writer.
 *
 * <p>SPS/PPS: {@code ffmpeg -f lavfi -i testsrc2=size=WxH:rate=30 -frames:v 1 -c:v libx264
 * -profile:v P -f h264 x.h264}, NAL units cut at their start codes. Records: the body of the first
 * FLV video tag (AVC sequence header) and audio tag (AAC sequence header) of {@code -f flv} output.
 * Sizes and profiles as {@code ffprobe} and {@code -bsf:v trace_headers} report them.
 */
final class X264ParameterSets {
  private static final HexFormat HEX = HexFormat.of();

  /** Constrained Baseline (66, constraint_set0+1), level 1.3, 320x240, no cropping. */
  static final byte[] SPS_BASELINE_320X240 =
      HEX.parseHex("6742c00dd90141fb0110000003001000000303c0f142a480");

  /** Main (77, constraint_set1), level 3.0, 640x360: 23 macroblock rows cropped by 8 lines. */
  static final byte[] SPS_MAIN_640X360 =
      HEX.parseHex("674d401eeca05017fcb80880000003008000001e078b16cb");

  /** High (100), level 3.1, 1280x720, no cropping. */
  static final byte[] SPS_HIGH_1280X720 =
      HEX.parseHex("6764001facd9405005bb0110000003001000000303c0f1831960");

  /** High, level 4.0, 1920x1080: coded 1088 lines, frame_crop_bottom_offset 4 (8 lines). */
  static final byte[] SPS_HIGH_1920X1080 =
      HEX.parseHex("67640028acd940780227e5c044000003000400000300f03c60c658");

  /**
   * High, level 4.0, 1920x1080 interlaced (frame_mbs_only_flag 0): 34 map units of field pairs,
   * 1088 lines, frame_crop_bottom_offset 2 in units of 4 lines.
   */
  static final byte[] SPS_HIGH_1920X1080_INTERLACED =
      HEX.parseHex("67640028acd94078044fde0220000003002000000783e2c5b2c0");

  /** High, level 3.1, 854x480: 54 macroblocks wide, frame_crop_right_offset 5 (10 columns). */
  static final byte[] SPS_HIGH_854X480 =
      HEX.parseHex("6764001facd940d83de6f0110000030001000003003c0f183196");

  /** High 4:2:2 (122), level 3.1, 1280x720. */
  static final byte[] SPS_HIGH422_1280X720 =
      HEX.parseHex("677a001fbcd9405005bb0110000003001000000303c0f1831960");

  /** High 4:4:4 Predictive (244), level 3.1, 1280x720, chroma_format_idc 3. */
  static final byte[] SPS_HIGH444_1280X720 =
      HEX.parseHex("67f4001f919b280a00b76022000003000200000300781e30632c");

  static final byte[] PPS_HIGH = HEX.parseHex("68ebe3cb22c0");

  static final byte[] PPS_BASELINE = HEX.parseHex("68cb83cb20");

  /**
   * AVCDecoderConfigurationRecord of a High 1280x720 FLV: 4-byte NAL lengths, one SPS, one PPS, and
   * the High-profile trailer (chroma format, bit depths, no SPS extensions) after the PPS.
   */
  static final byte[] AVC_CONFIG_HIGH_1280X720 =
      HEX.parseHex(
          "0164001fffe1001a6764001facd9405005bb0110000003001000000303c0f183196001000668ebe3cb22c0"
              + "fdf8f800");

  /** The 4-byte High-profile trailer at the end of {@link #AVC_CONFIG_HIGH_1280X720}. */
  static final int HIGH_TRAILER_LENGTH = 4;

  /** AVCDecoderConfigurationRecord of a Constrained Baseline 320x240 FLV (no trailer). */
  static final byte[] AVC_CONFIG_BASELINE_320X240 =
      HEX.parseHex(
          "0142c00dffe100186742c00dd90141fb0110000003001000000303c0f142a48001000568cb83cb20");

  /** AVCDecoderConfigurationRecord of a High 1920x1080 FLV. */
  static final byte[] AVC_CONFIG_HIGH_1920X1080 =
      HEX.parseHex(
          "01640028ffe1001b67640028acd940780227e5c044000003000400000300f03c60c65801000668ebe3cb22c0"
              + "fdf8f800");

  /**
   * ffmpeg's AudioSpecificConfig for AAC-LC 44.1 kHz mono: {@code 1208}, then the backward
   * compatible SBR sync extension (0x2b7, no SBR) that the parser must ignore.
   */
  static final byte[] AAC_LC_44100_MONO = HEX.parseHex("120856e500");

  /** ffmpeg's AudioSpecificConfig for AAC-LC 48 kHz stereo, with the same sync extension. */
  static final byte[] AAC_LC_48000_STEREO = HEX.parseHex("119056e500");

  private X264ParameterSets() {}
}

package com.nrsgirls.streaming.core.media;

import java.util.ArrayList;
import java.util.List;

/**
 * An H.264 AVCDecoderConfigurationRecord (ISO/IEC 14496-15 §5.2.4.1), the payload of an FLV/RTMP
 * video sequence header: the NAL length size the frames use, and the SPS and PPS a decoder needs
 * before the first IDR.
 *
 * @param nalLengthSize bytes of the length prefix before each NAL unit in a frame (1, 2 or 4)
 * @param sps sequence parameter set NAL units, header byte included
 * @param pps picture parameter set NAL units, header byte included
 * @param firstSps the first SPS, parsed
 */
public record AvcDecoderConfig(
    int profile,
    int compatibility,
    int level,
    int nalLengthSize,
    List<byte[]> sps,
    List<byte[]> pps,
    H264Sps firstSps) {

  public static AvcDecoderConfig parse(byte[] data, int offset, int length)
      throws MediaFormatException {
    if (length < 7) {
      throw new MediaFormatException("AVCDecoderConfigurationRecord too short: " + length);
    }
    int end = offset + length;
    int p = offset;
    int version = data[p++] & 0xFF;
    if (version != 1) {
      throw new MediaFormatException("AVCDecoderConfigurationRecord version " + version);
    }
    int profile = data[p++] & 0xFF;
    int compatibility = data[p++] & 0xFF;
    int level = data[p++] & 0xFF;
    int nalLengthSize = (data[p++] & 0x03) + 1;
    if (nalLengthSize == 3) {
      throw new MediaFormatException("NAL length size 3 is not allowed");
    }
    int spsCount = data[p++] & 0x1F;
    List<byte[]> sps = new ArrayList<>(spsCount);
    for (int i = 0; i < spsCount; i++) {
      p = readParameterSet(data, p, end, sps);
    }
    if (p >= end) {
      throw new MediaFormatException("AVCDecoderConfigurationRecord lacks the PPS count");
    }
    int ppsCount = data[p++] & 0xFF;
    List<byte[]> pps = new ArrayList<>(ppsCount);
    for (int i = 0; i < ppsCount; i++) {
      p = readParameterSet(data, p, end, pps);
    }
    if (sps.isEmpty() || pps.isEmpty()) {
      throw new MediaFormatException("AVCDecoderConfigurationRecord without SPS or PPS");
    }
    H264Sps first = H264Sps.parse(sps.get(0), 0, sps.get(0).length);
    return new AvcDecoderConfig(
        profile, compatibility, level, nalLengthSize, List.copyOf(sps), List.copyOf(pps), first);
  }

  /**
   * The record for {@code sps} and {@code pps} (NAL units with their header byte, as RTP carries
   * them), with 4-byte NAL lengths; profile, compatibility and level are the first SPS's. High
   * profiles' optional chroma and bit-depth fields are left out, as most muxers write it.
   *
   * @throws MediaFormatException when a list is empty or too long, or a unit is empty or over 64
   *     KiB
   */
  public static byte[] write(List<byte[]> sps, List<byte[]> pps) throws MediaFormatException {
    if (sps.isEmpty() || sps.size() > 31 || pps.isEmpty() || pps.size() > 255) {
      throw new MediaFormatException(
          "an AVCDecoderConfigurationRecord needs 1-31 SPS and 1-255 PPS, not "
              + sps.size()
              + " and "
              + pps.size());
    }
    byte[] first = sps.get(0);
    if (first.length < 4) {
      throw new MediaFormatException("an SPS of " + first.length + " bytes");
    }
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    out.write(1);
    out.write(first[1]);
    out.write(first[2]);
    out.write(first[3]);
    out.write(0xFC | 3); // 4-byte NAL lengths
    out.write(0xE0 | sps.size());
    writeParameterSets(out, sps);
    out.write(pps.size());
    writeParameterSets(out, pps);
    return out.toByteArray();
  }

  private static void writeParameterSets(java.io.ByteArrayOutputStream out, List<byte[]> sets)
      throws MediaFormatException {
    for (byte[] nal : sets) {
      if (nal.length == 0 || nal.length > 0xFFFF) {
        throw new MediaFormatException("a parameter set of " + nal.length + " bytes");
      }
      out.write(nal.length >>> 8);
      out.write(nal.length & 0xFF);
      out.write(nal, 0, nal.length);
    }
  }

  private static int readParameterSet(byte[] data, int p, int end, List<byte[]> into)
      throws MediaFormatException {
    if (p + 2 > end) {
      throw new MediaFormatException("parameter set length runs past the record");
    }
    int len = ((data[p] & 0xFF) << 8) | (data[p + 1] & 0xFF);
    p += 2;
    if (len == 0 || p + len > end) {
      throw new MediaFormatException("parameter set of " + len + " bytes runs past the record");
    }
    byte[] nal = new byte[len];
    System.arraycopy(data, p, nal, 0, len);
    into.add(nal);
    return p + len;
  }

  public int width() {
    return firstSps.width();
  }

  public int height() {
    return firstSps.height();
  }

  /** RFC 6381 codec string for HLS {@code CODECS}, e.g. {@code avc1.64002a}. */
  public String codecsString() {
    return String.format("avc1.%02x%02x%02x", profile, compatibility, level);
  }
}

package com.nrsgirls.streaming.pipeline.abr;

import com.nrsgirls.streaming.core.media.MediaFormatException;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;

/**
 * H.264 byte-stream (ITU-T H.264 Annex B, start-code delimited NAL units, as libx264 writes them)
 * to the length-prefixed form {@code MediaPacket}s carry (ISO/IEC 14496-15), and an encoder's
 * parameter sets to an AVCDecoderConfigurationRecord.
 */
final class AnnexB {
  private static final int NAL_SPS = 7;
  private static final int NAL_PPS = 8;

  private AnnexB() {}

  /** The NAL units of {@code data[0, length)} as {offset, length} pairs, start codes removed. */
  static List<int[]> nalUnits(byte[] data, int length) {
    List<int[]> units = new ArrayList<>();
    int start = -1;
    int i = 0;
    while (i + 2 < length) {
      if (data[i] == 0 && data[i + 1] == 0 && data[i + 2] == 1) {
        if (start >= 0) {
          int end = i;
          while (end > start && data[end - 1] == 0) {
            end--; // a four-byte start code's leading zero, or trailing zero bytes
          }
          units.add(new int[] {start, end - start});
        }
        i += 3;
        start = i;
      } else {
        i++;
      }
    }
    if (start >= 0 && start < length) {
      units.add(new int[] {start, length - start});
    }
    return units;
  }

  /** The access unit with a 4-byte big-endian length before each NAL unit. */
  static byte[] toLengthPrefixed(byte[] data, int length) {
    List<int[]> units = nalUnits(data, length);
    int size = 0;
    for (int[] u : units) {
      size += 4 + u[1];
    }
    byte[] out = new byte[size];
    int p = 0;
    for (int[] u : units) {
      out[p++] = (byte) (u[1] >>> 24);
      out[p++] = (byte) (u[1] >>> 16);
      out[p++] = (byte) (u[1] >>> 8);
      out[p++] = (byte) u[1];
      System.arraycopy(data, u[0], out, p, u[1]);
      p += u[1];
    }
    return out;
  }

  /**
   * An AVCDecoderConfigurationRecord (ISO/IEC 14496-15 §5.2.4.1) with 4-byte NAL lengths from the
   * SPS and PPS in {@code extradata} (Annex B).
   *
   * @throws MediaFormatException when there is no SPS or PPS
   */
  static byte[] decoderConfigurationRecord(byte[] extradata, int length)
      throws MediaFormatException {
    List<byte[]> sps = new ArrayList<>();
    List<byte[]> pps = new ArrayList<>();
    for (int[] u : nalUnits(extradata, length)) {
      if (u[1] == 0) {
        continue;
      }
      int type = extradata[u[0]] & 0x1F;
      byte[] nal = new byte[u[1]];
      System.arraycopy(extradata, u[0], nal, 0, u[1]);
      if (type == NAL_SPS) {
        sps.add(nal);
      } else if (type == NAL_PPS) {
        pps.add(nal);
      }
    }
    if (sps.isEmpty() || pps.isEmpty() || sps.get(0).length < 4) {
      throw new MediaFormatException("the encoder's parameter sets lack an SPS or a PPS");
    }
    byte[] first = sps.get(0);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(1); // configurationVersion
    out.write(first[1]); // AVCProfileIndication
    out.write(first[2]); // profile_compatibility
    out.write(first[3]); // AVCLevelIndication
    out.write(0xFC | 3); // reserved, lengthSizeMinusOne = 3
    out.write(0xE0 | sps.size());
    for (byte[] s : sps) {
      out.write(s.length >>> 8);
      out.write(s.length);
      out.writeBytes(s);
    }
    out.write(pps.size());
    for (byte[] p : pps) {
      out.write(p.length >>> 8);
      out.write(p.length);
      out.writeBytes(p);
    }
    return out.toByteArray();
  }
}

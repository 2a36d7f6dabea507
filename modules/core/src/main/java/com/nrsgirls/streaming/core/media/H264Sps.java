package com.nrsgirls.streaming.core.media;

/**
 * The fields of an H.264 sequence parameter set that the platform needs: profile and level for the
 * HLS {@code CODECS} attribute and the cropped picture size for {@code RESOLUTION} (ITU-T H.264
 * §7.3.2.1.1, §7.4.2.1.1).
 */
public record H264Sps(int profileIdc, int constraintFlags, int levelIdc, int width, int height) {

  /** Parses an SPS NAL unit, header byte included, emulation prevention bytes still in. */
  public static H264Sps parse(byte[] nal, int offset, int length) throws MediaFormatException {
    if (length < 4) {
      throw new MediaFormatException("SPS too short: " + length + " bytes");
    }
    int nalType = nal[offset] & 0x1F;
    if (nalType != 7) {
      throw new MediaFormatException("not an SPS NAL unit: type " + nalType);
    }
    byte[] rbsp = unescape(nal, offset + 1, length - 1);
    BitReader r = new BitReader(rbsp, 0, rbsp.length);
    int profileIdc = r.readBitsInt(8);
    int constraintFlags = r.readBitsInt(8);
    int levelIdc = r.readBitsInt(8);
    r.readUe(); // seq_parameter_set_id
    int chromaFormatIdc = 1;
    boolean separateColourPlane = false;
    if (hasChromaInfo(profileIdc)) {
      chromaFormatIdc = r.readUe();
      if (chromaFormatIdc > 3) {
        throw new MediaFormatException("chroma_format_idc out of range: " + chromaFormatIdc);
      }
      if (chromaFormatIdc == 3) {
        separateColourPlane = r.readFlag();
      }
      r.readUe(); // bit_depth_luma_minus8
      r.readUe(); // bit_depth_chroma_minus8
      r.readFlag(); // qpprime_y_zero_transform_bypass_flag
      if (r.readFlag()) { // seq_scaling_matrix_present_flag
        int lists = chromaFormatIdc != 3 ? 8 : 12;
        for (int i = 0; i < lists; i++) {
          if (r.readFlag()) {
            skipScalingList(r, i < 6 ? 16 : 64);
          }
        }
      }
    }
    r.readUe(); // log2_max_frame_num_minus4
    int picOrderCntType = r.readUe();
    if (picOrderCntType == 0) {
      r.readUe(); // log2_max_pic_order_cnt_lsb_minus4
    } else if (picOrderCntType == 1) {
      r.readFlag(); // delta_pic_order_always_zero_flag
      r.readSe(); // offset_for_non_ref_pic
      r.readSe(); // offset_for_top_to_bottom_field
      int cycle = r.readUe();
      if (cycle > 255) {
        throw new MediaFormatException("num_ref_frames_in_pic_order_cnt_cycle out of range");
      }
      for (int i = 0; i < cycle; i++) {
        r.readSe();
      }
    }
    r.readUe(); // max_num_ref_frames
    r.readFlag(); // gaps_in_frame_num_value_allowed_flag
    int widthInMbs = r.readUe() + 1;
    int heightInMapUnits = r.readUe() + 1;
    boolean frameMbsOnly = r.readFlag();
    if (!frameMbsOnly) {
      r.readFlag(); // mb_adaptive_frame_field_flag
    }
    r.readFlag(); // direct_8x8_inference_flag
    int cropLeft = 0;
    int cropRight = 0;
    int cropTop = 0;
    int cropBottom = 0;
    if (r.readFlag()) { // frame_cropping_flag
      cropLeft = r.readUe();
      cropRight = r.readUe();
      cropTop = r.readUe();
      cropBottom = r.readUe();
    }
    int chromaArrayType = separateColourPlane ? 0 : chromaFormatIdc;
    int frameHeightFactor = frameMbsOnly ? 1 : 2;
    int cropUnitX;
    int cropUnitY;
    if (chromaArrayType == 0) {
      cropUnitX = 1;
      cropUnitY = frameHeightFactor;
    } else {
      int subWidthC = chromaArrayType == 3 ? 1 : 2;
      int subHeightC = chromaArrayType == 1 ? 2 : 1;
      cropUnitX = subWidthC;
      cropUnitY = subHeightC * frameHeightFactor;
    }
    // Sums in long: two crop offsets near 2^31 would wrap an int sum negative and widen the
    // picture.
    long width = widthInMbs * 16L - cropUnitX * ((long) cropLeft + cropRight);
    long height =
        frameHeightFactor * heightInMapUnits * 16L - cropUnitY * ((long) cropTop + cropBottom);
    if (width <= 0 || height <= 0 || width > 16384 || height > 16384) {
      throw new MediaFormatException("SPS picture size out of range: " + width + "x" + height);
    }
    return new H264Sps(profileIdc, constraintFlags, levelIdc, (int) width, (int) height);
  }

  private static boolean hasChromaInfo(int profileIdc) {
    return switch (profileIdc) {
      case 100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135 -> true;
      default -> false;
    };
  }

  private static void skipScalingList(BitReader r, int size) throws MediaFormatException {
    int lastScale = 8;
    int nextScale = 8;
    for (int j = 0; j < size; j++) {
      if (nextScale != 0) {
        int delta = r.readSe();
        nextScale = (lastScale + delta + 256) % 256;
      }
      lastScale = nextScale == 0 ? lastScale : nextScale;
    }
  }

  /** Drops the emulation prevention byte of every 0x000003 sequence (H.264 §7.4.1). */
  static byte[] unescape(byte[] data, int offset, int length) {
    byte[] out = new byte[length];
    int n = 0;
    int zeros = 0;
    for (int i = offset; i < offset + length; i++) {
      byte b = data[i];
      if (zeros >= 2 && b == 3) {
        zeros = 0;
        continue;
      }
      out[n++] = b;
      zeros = b == 0 ? zeros + 1 : 0;
    }
    return n == length ? out : java.util.Arrays.copyOf(out, n);
  }
}

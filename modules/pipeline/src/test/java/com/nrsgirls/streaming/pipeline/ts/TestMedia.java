package com.nrsgirls.streaming.pipeline.ts;

import com.nrsgirls.streaming.core.media.Codec;
import com.nrsgirls.streaming.core.media.MediaPacket;
import java.io.ByteArrayOutputStream;
import java.util.HexFormat;

/** Real codec config records and synthetic frames for tests. */
public final class TestMedia {
  /** x264's AVCDecoderConfigurationRecord for 320x240, High profile, level 1.3, 4-byte lengths. */
  public static final byte[] AVC_CONFIG =
      HexFormat.of()
          .parseHex(
              "0164000dffe100196764000dacd94141fb0110000003001000000303c0f142996001000468ef8fcb"
                  + "fdf8f800");

  public static final byte[] SPS =
      HexFormat.of().parseHex("6764000dacd94141fb0110000003001000000303c0f1429960");
  public static final byte[] PPS = HexFormat.of().parseHex("68ef8fcb");

  /** AudioSpecificConfig: AAC LC, 48 kHz, stereo. */
  public static final byte[] AAC_CONFIG = {0x11, (byte) 0x90};

  private TestMedia() {}

  public static MediaPacket videoConfig(long dts) {
    return new MediaPacket(
        Codec.H264,
        dts,
        0,
        MediaPacket.FLAG_CONFIG | MediaPacket.FLAG_KEYFRAME,
        AVC_CONFIG,
        0,
        AVC_CONFIG.length);
  }

  public static MediaPacket audioConfig(long dts) {
    return new MediaPacket(
        Codec.AAC,
        dts,
        0,
        MediaPacket.FLAG_CONFIG | MediaPacket.FLAG_KEYFRAME,
        AAC_CONFIG,
        0,
        AAC_CONFIG.length);
  }

  /** AVCC bytes (4-byte lengths) of the given NAL units. */
  public static byte[] avcc(byte[]... nals) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] nal : nals) {
      out.write(nal.length >>> 24);
      out.write(nal.length >>> 16);
      out.write(nal.length >>> 8);
      out.write(nal.length);
      out.write(nal, 0, nal.length);
    }
    return out.toByteArray();
  }

  /** A NAL unit of {@code size} bytes with header byte {@code header}, filled with a pattern. */
  public static byte[] nal(int header, int size) {
    byte[] nal = new byte[size];
    nal[0] = (byte) header;
    for (int i = 1; i < size; i++) {
      nal[i] = (byte) (i % 251 + 1); // never 0, so no start code emulation
    }
    return nal;
  }

  public static MediaPacket videoFrame(long dts, int cts, boolean key, int size) {
    byte[] data = avcc(nal(key ? 0x65 : 0x41, size));
    return new MediaPacket(
        Codec.H264, dts, cts, key ? MediaPacket.FLAG_KEYFRAME : 0, data, 0, data.length);
  }

  public static MediaPacket audioFrame(long dts, int size) {
    byte[] data = nal(0x21, size);
    return new MediaPacket(Codec.AAC, dts, 0, MediaPacket.FLAG_KEYFRAME, data, 0, data.length);
  }
}

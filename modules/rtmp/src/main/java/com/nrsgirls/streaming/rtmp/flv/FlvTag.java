package com.nrsgirls.streaming.rtmp.flv;

import com.nrsgirls.streaming.core.media.Codec;
import com.nrsgirls.streaming.core.media.MediaFormatException;
import com.nrsgirls.streaming.core.media.MediaPacket;

/**
 * Turns the body of an FLV audio or video tag (which is also the payload of an RTMP audio or video
 * message) into a {@link MediaPacket} without copying the payload (Adobe FLV spec v10.1, E.4.2 and
 * E.4.3).
 */
public final class FlvTag {
  /** FLV tag type / RTMP message type of audio. */
  public static final int TYPE_AUDIO = 8;

  /** FLV tag type / RTMP message type of video. */
  public static final int TYPE_VIDEO = 9;

  /** FLV tag type / RTMP message type of script data (AMF0), such as onMetaData. */
  public static final int TYPE_SCRIPT = 18;

  // E.4.3.1 VIDEODATA
  private static final int VIDEO_FRAME_KEY = 1;
  private static final int VIDEO_FRAME_INFO = 5;
  private static final int VIDEO_CODEC_AVC = 7;
  private static final int VIDEO_EX_HEADER_BIT = 0x80;
  private static final int AVC_SEQUENCE_HEADER = 0;
  private static final int AVC_NALU = 1;
  private static final int AVC_END_OF_SEQUENCE = 2;

  // E.4.2.1 AUDIODATA
  private static final int SOUND_FORMAT_MP3 = 2;
  private static final int SOUND_FORMAT_EX_HEADER = 9;
  private static final int SOUND_FORMAT_AAC = 10;
  private static final int AAC_SEQUENCE_HEADER = 0;

  /** The longest tag header {@link #header} writes: an AVC video tag's. */
  public static final int MAX_HEADER = 5;

  private FlvTag() {}

  /**
   * Writes the FLV tag body header that goes before a packet's payload, which is all an RTMP audio
   * or video message adds to it: the reverse of {@link #video} and {@link #audio}. AAC is declared
   * as 44 kHz 16-bit stereo, as E.4.2.1 asks of every AAC tag (the real format is in the config).
   *
   * @param into at least {@link #MAX_HEADER} bytes
   * @return the header's length
   * @throws MediaFormatException for a codec FLV cannot carry without Enhanced RTMP
   */
  public static int header(MediaPacket packet, byte[] into) throws MediaFormatException {
    switch (packet.codec()) {
      case H264 -> {
        int frameType = packet.isKeyframe() ? VIDEO_FRAME_KEY : 2;
        into[0] = (byte) (frameType << 4 | VIDEO_CODEC_AVC);
        into[1] = (byte) (packet.isConfig() ? AVC_SEQUENCE_HEADER : AVC_NALU);
        int cts = packet.isConfig() ? 0 : packet.compositionOffset();
        into[2] = (byte) (cts >> 16);
        into[3] = (byte) (cts >> 8);
        into[4] = (byte) cts;
        return 5;
      }
      case AAC -> {
        into[0] = (byte) (SOUND_FORMAT_AAC << 4 | 3 << 2 | 1 << 1 | 1);
        into[1] = (byte) (packet.isConfig() ? AAC_SEQUENCE_HEADER : 1);
        return 2;
      }
      case MP3 -> {
        into[0] = (byte) (SOUND_FORMAT_MP3 << 4 | 3 << 2 | 1 << 1 | 1);
        return 1;
      }
      default ->
          throw new MediaFormatException(
              packet.codec() + " cannot be carried in an FLV tag without Enhanced RTMP");
    }
  }

  /**
   * Reads a video tag body. Returns null for tags that carry no frame or configuration (end of
   * sequence, video info / command frames, empty bodies and empty sequence headers).
   *
   * @param dts the tag's timestamp in milliseconds, already extended past 32 bits
   */
  public static MediaPacket video(long dts, byte[] body, int offset, int length)
      throws MediaFormatException {
    if (length == 0) {
      return null;
    }
    int first = body[offset] & 0xFF;
    if ((first & VIDEO_EX_HEADER_BIT) != 0) {
      throw new MediaFormatException(
          "Enhanced RTMP video (HEVC/AV1/VP9) is not supported yet; publish H.264");
    }
    int frameType = first >> 4;
    int codecId = first & 0x0F;
    if (frameType == VIDEO_FRAME_INFO) {
      return null;
    }
    if (codecId != VIDEO_CODEC_AVC) {
      throw new MediaFormatException(
          "video codec id " + codecId + " is not supported; publish H.264");
    }
    if (length < 5) {
      throw new MediaFormatException("AVC video tag of " + length + " bytes, need at least 5");
    }
    int packetType = body[offset + 1] & 0xFF;
    int cts =
        ((body[offset + 2] & 0xFF) << 16)
            | ((body[offset + 3] & 0xFF) << 8)
            | (body[offset + 4] & 0xFF);
    cts = (cts << 8) >> 8; // SI24
    int flags = frameType == VIDEO_FRAME_KEY ? MediaPacket.FLAG_KEYFRAME : 0;
    switch (packetType) {
      case AVC_SEQUENCE_HEADER -> {
        if (length == 5) {
          return null; // ffmpeg's FLV muxer writes an empty one when it has no extradata yet
        }
        flags |= MediaPacket.FLAG_CONFIG;
      }
      case AVC_NALU -> {
        if (length == 5) {
          return null;
        }
      }
      case AVC_END_OF_SEQUENCE -> {
        return null;
      }
      default -> throw new MediaFormatException("AVC packet type " + packetType + " is unknown");
    }
    return new MediaPacket(Codec.H264, dts, cts, flags, body, offset + 5, length - 5);
  }

  /**
   * Reads an audio tag body. Returns null for empty bodies.
   *
   * @param dts the tag's timestamp in milliseconds, already extended past 32 bits
   */
  public static MediaPacket audio(long dts, byte[] body, int offset, int length)
      throws MediaFormatException {
    if (length == 0) {
      return null;
    }
    int soundFormat = (body[offset] & 0xFF) >> 4;
    switch (soundFormat) {
      case SOUND_FORMAT_AAC -> {
        if (length < 2) {
          throw new MediaFormatException("AAC audio tag of 1 byte");
        }
        int packetType = body[offset + 1] & 0xFF;
        int flags = MediaPacket.FLAG_KEYFRAME;
        if (packetType == AAC_SEQUENCE_HEADER) {
          flags |= MediaPacket.FLAG_CONFIG;
        } else if (packetType != 1) {
          throw new MediaFormatException("AAC packet type " + packetType + " is unknown");
        }
        if (length == 2) {
          return null;
        }
        return new MediaPacket(Codec.AAC, dts, 0, flags, body, offset + 2, length - 2);
      }
      case SOUND_FORMAT_MP3 -> {
        if (length == 1) {
          return null;
        }
        return new MediaPacket(
            Codec.MP3, dts, 0, MediaPacket.FLAG_KEYFRAME, body, offset + 1, length - 1);
      }
      case SOUND_FORMAT_EX_HEADER ->
          throw new MediaFormatException(
              "Enhanced RTMP audio (Opus/FLAC/AC-3) is not supported yet; publish AAC");
      default ->
          throw new MediaFormatException(
              "audio sound format " + soundFormat + " is not supported; publish AAC");
    }
  }
}

package com.nrsgirls.streaming.core.media;

import java.nio.ByteBuffer;
import java.util.Objects;

/**
 * One access unit (a video frame or an audio frame) or one codec configuration record, as it flows
 * from ingest through a stream's media graph.
 *
 * <p>Times are in milliseconds, the resolution RTMP and FLV carry: {@code dts} is the decode time,
 * already extended past RTMP's 32-bit wrap, and {@code pts = dts + compositionOffset}. The payload
 * is a view into a byte array that the packet owns from then on: nobody writes to it after the
 * packet is made, so branches of the graph read it without copying.
 *
 * <p>Payload formats: H.264 access units are length-prefixed NAL units (AVCC, as in FLV/MP4) and
 * the H.264 config is an AVCDecoderConfigurationRecord; AAC frames are raw (no ADTS header) and the
 * AAC config is an AudioSpecificConfig.
 */
public final class MediaPacket {
  /** Video: an IDR / random access point. Audio: always set, every audio frame is one. */
  public static final int FLAG_KEYFRAME = 1;

  /** A codec configuration record (sequence header) instead of a frame. */
  public static final int FLAG_CONFIG = 2;

  /** {@link #segment()} of a packet that does not start a segment. */
  public static final long NO_SEGMENT = -1;

  private final Codec codec;
  private final long dts;
  private final int compositionOffset;
  private final int flags;
  private final byte[] data;
  private final int offset;
  private final int length;
  private final long segment;

  public MediaPacket(
      Codec codec,
      long dts,
      int compositionOffset,
      int flags,
      byte[] data,
      int offset,
      int length) {
    this(codec, dts, compositionOffset, flags, data, offset, length, NO_SEGMENT);
  }

  private MediaPacket(
      Codec codec,
      long dts,
      int compositionOffset,
      int flags,
      byte[] data,
      int offset,
      int length,
      long segment) {
    this.codec = Objects.requireNonNull(codec, "codec");
    Objects.checkFromIndexSize(offset, length, data.length);
    this.dts = dts;
    this.compositionOffset = compositionOffset;
    this.flags = flags;
    this.data = data;
    this.offset = offset;
    this.length = length;
    this.segment = segment;
  }

  public Codec codec() {
    return codec;
  }

  public Track track() {
    return codec.track();
  }

  public boolean isVideo() {
    return codec.track() == Track.VIDEO;
  }

  public boolean isAudio() {
    return codec.track() == Track.AUDIO;
  }

  public long dts() {
    return dts;
  }

  public long pts() {
    return dts + compositionOffset;
  }

  public int compositionOffset() {
    return compositionOffset;
  }

  public int flags() {
    return flags;
  }

  public boolean isKeyframe() {
    return (flags & FLAG_KEYFRAME) != 0;
  }

  public boolean isConfig() {
    return (flags & FLAG_CONFIG) != 0;
  }

  /** The array holding the payload; read only {@code [offset, offset + length)} and never write. */
  public byte[] array() {
    return data;
  }

  public int offset() {
    return offset;
  }

  public int length() {
    return length;
  }

  /** A read-only view of the payload. */
  public ByteBuffer payload() {
    return ByteBuffer.wrap(data, offset, length).slice().asReadOnlyBuffer();
  }

  /** A copy of the payload, for tests and for setup code off the hot path. */
  public byte[] payloadCopy() {
    byte[] copy = new byte[length];
    System.arraycopy(data, offset, copy, 0, length);
    return copy;
  }

  /**
   * The number of the HLS segment this packet starts, as the stream's segment clock decided it
   * (counted from 0 in each publish session), or {@link #NO_SEGMENT}. Every rendition starts its
   * segment with that number at the packet carrying it. Set inside a media graph only: it is not
   * serialized, and ingest never sets it.
   */
  public long segment() {
    return segment;
  }

  /** Whether this packet starts a segment; see {@link #segment()}. */
  public boolean startsSegment() {
    return segment != NO_SEGMENT;
  }

  /** The same packet starting segment {@code number}. Shares the payload. */
  public MediaPacket startingSegment(long number) {
    if (number < 0) {
      throw new IllegalArgumentException("segment number must not be negative: " + number);
    }
    return new MediaPacket(codec, dts, compositionOffset, flags, data, offset, length, number);
  }

  /** The same packet with its timestamps moved by {@code deltaMillis}. Shares the payload. */
  public MediaPacket shifted(long deltaMillis) {
    return new MediaPacket(
        codec, dts + deltaMillis, compositionOffset, flags, data, offset, length, segment);
  }

  @Override
  public String toString() {
    return "MediaPacket["
        + codec
        + " dts="
        + dts
        + " pts="
        + pts()
        + (isKeyframe() ? " key" : "")
        + (isConfig() ? " config" : "")
        + (startsSegment() ? " segment=" + segment : "")
        + " bytes="
        + length
        + "]";
  }
}

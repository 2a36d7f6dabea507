package com.nrsgirls.streaming.webrtc.rtp;

/**
 * One RTP packet (RFC 3550) read in place: the header fields, and where the payload lies once
 * CSRCs, the header extension and padding are skipped. Nothing is copied.
 */
public final class RtpPacket {
  public static final int HEADER = 12;

  private final byte[] data;
  private final int offset;
  private final int length;
  private final int payloadOffset;
  private final int payloadLength;

  private RtpPacket(byte[] data, int offset, int length, int payloadOffset, int payloadLength) {
    this.data = data;
    this.offset = offset;
    this.length = length;
    this.payloadOffset = payloadOffset;
    this.payloadLength = payloadLength;
  }

  /**
   * Whether a datagram on the shared port is RTP or RTCP (RFC 7983: the first byte is 128 to 191).
   */
  public static boolean isRtpOrRtcp(byte[] b, int off, int len) {
    int first = b[off] & 0xff;
    return len >= 2 && first >= 128 && first <= 191;
  }

  /**
   * Whether an RTP-or-RTCP datagram is RTCP (RFC 5761: payload types 64 to 95 with the marker bit
   * are RTCP packet types 192 to 223).
   */
  public static boolean isRtcp(byte[] b, int off, int len) {
    int pt = b[off + 1] & 0xff;
    return pt >= 192 && pt <= 223;
  }

  public static RtpPacket parse(byte[] b, int off, int len) throws RtpException {
    if (len < HEADER) {
      throw new RtpException("shorter than an RTP header: " + len + " bytes");
    }
    int first = b[off] & 0xff;
    if (first >>> 6 != 2) {
      throw new RtpException("RTP version " + (first >>> 6) + ", not 2");
    }
    int at = HEADER + 4 * (first & 0x0f);
    if (at > len) {
      throw new RtpException("the CSRC list runs past the packet");
    }
    if ((first & 0x10) != 0) {
      if (at + 4 > len) {
        throw new RtpException("the header extension is cut off");
      }
      int words = ((b[off + at + 2] & 0xff) << 8) | (b[off + at + 3] & 0xff);
      at += 4 + 4 * words;
      if (at > len) {
        throw new RtpException("the header extension runs past the packet");
      }
    }
    int end = len;
    if ((first & 0x20) != 0) {
      int padding = b[off + len - 1] & 0xff;
      if (padding == 0 || at + padding > len) {
        throw new RtpException("padding of " + padding + " bytes does not fit");
      }
      end -= padding;
    }
    return new RtpPacket(b, off, len, off + at, end - at);
  }

  public boolean marker() {
    return (data[offset + 1] & 0x80) != 0;
  }

  public int payloadType() {
    return data[offset + 1] & 0x7f;
  }

  public int sequence() {
    return ((data[offset + 2] & 0xff) << 8) | (data[offset + 3] & 0xff);
  }

  public long timestamp() {
    return readUint32(data, offset + 4);
  }

  public long ssrc() {
    return readUint32(data, offset + 8);
  }

  public byte[] data() {
    return data;
  }

  public int offset() {
    return offset;
  }

  public int length() {
    return length;
  }

  public int payloadOffset() {
    return payloadOffset;
  }

  public int payloadLength() {
    return payloadLength;
  }

  /**
   * Writes a packet without CSRCs, extension or padding into {@code out} at {@code at}; returns its
   * length.
   */
  public static int write(
      byte[] out,
      int at,
      boolean marker,
      int payloadType,
      int sequence,
      long timestamp,
      long ssrc,
      byte[] payload,
      int payloadOffset,
      int payloadLength) {
    out[at] = (byte) 0x80;
    out[at + 1] = (byte) ((marker ? 0x80 : 0) | (payloadType & 0x7f));
    out[at + 2] = (byte) (sequence >>> 8);
    out[at + 3] = (byte) sequence;
    writeUint32(out, at + 4, timestamp);
    writeUint32(out, at + 8, ssrc);
    System.arraycopy(payload, payloadOffset, out, at + HEADER, payloadLength);
    return HEADER + payloadLength;
  }

  static long readUint32(byte[] b, int at) {
    return ((b[at] & 0xffL) << 24)
        | ((b[at + 1] & 0xffL) << 16)
        | ((b[at + 2] & 0xffL) << 8)
        | (b[at + 3] & 0xffL);
  }

  static void writeUint32(byte[] b, int at, long v) {
    b[at] = (byte) (v >>> 24);
    b[at + 1] = (byte) (v >>> 16);
    b[at + 2] = (byte) (v >>> 8);
    b[at + 3] = (byte) v;
  }
}

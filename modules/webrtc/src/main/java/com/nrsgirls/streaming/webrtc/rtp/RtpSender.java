package com.nrsgirls.streaming.webrtc.rtp;

/**
 * One RTP stream we send to one peer: its SSRC and payload type, the next sequence number, the
 * packets and payload bytes sent (for sender reports), and what the last {@code history} packets
 * were, to answer NACKs with. The history keeps references to the payloads (shared by every viewer
 * of a stream, never changed), not copies: a packet is written again when it is asked for. Not
 * thread-safe: its viewer's lock.
 */
public final class RtpSender {
  private final long ssrc;
  private final int payloadType;
  private final byte[][] payloads;
  private final long[] timestamps;
  private final int[] sequences;
  private final boolean[] markers;
  private final int mask;
  private int sequence;
  private long packets;
  private long octets;
  private long retransmitted;

  /**
   * @param firstSequence the first sequence number (random, as RFC 3550 asks)
   * @param history packets remembered for retransmission, a power of two; 0 for none (audio)
   */
  public RtpSender(long ssrc, int payloadType, int firstSequence, int history) {
    if (history < 0 || (history & (history - 1)) != 0) {
      throw new IllegalArgumentException("history must be a power of two: " + history);
    }
    this.ssrc = ssrc & 0xffffffffL;
    this.payloadType = payloadType;
    this.sequence = firstSequence & 0xffff;
    this.payloads = new byte[history][];
    this.timestamps = new long[history];
    this.sequences = new int[history];
    this.markers = new boolean[history];
    this.mask = history - 1;
  }

  public long ssrc() {
    return ssrc;
  }

  public int payloadType() {
    return payloadType;
  }

  public long packets() {
    return packets;
  }

  public long octets() {
    return octets;
  }

  public long retransmitted() {
    return retransmitted;
  }

  /**
   * The next packet: {@code payload} (all of it; kept by reference for retransmission, so never to
   * be changed) under a header with the next sequence number, in an array with {@code spare} bytes
   * of room after it (for SRTP's tag). Its length is {@link #length}.
   */
  public byte[] next(byte[] payload, boolean marker, long timestamp, int spare) {
    byte[] packet = new byte[RtpPacket.HEADER + payload.length + spare];
    RtpPacket.write(
        packet, 0, marker, payloadType, sequence, timestamp, ssrc, payload, 0, payload.length);
    if (payloads.length > 0) {
      int slot = sequence & mask;
      payloads[slot] = payload;
      timestamps[slot] = timestamp;
      sequences[slot] = sequence;
      markers[slot] = marker;
    }
    sequence = (sequence + 1) & 0xffff;
    packets++;
    octets += payload.length;
    return packet;
  }

  /** The length of the RTP packet {@code packet} made with {@code spare} bytes of room. */
  public static int length(byte[] packet, int spare) {
    return packet.length - spare;
  }

  /**
   * The packet sent as {@code seq}, written again (with {@code spare} bytes of room), if it is
   * still remembered; null if not.
   */
  public byte[] resend(int seq, int spare) {
    if (payloads.length == 0) {
      return null;
    }
    int slot = seq & mask;
    byte[] payload = payloads[slot];
    if (payload == null || sequences[slot] != (seq & 0xffff)) {
      return null;
    }
    retransmitted++;
    byte[] packet = new byte[RtpPacket.HEADER + payload.length + spare];
    RtpPacket.write(
        packet,
        0,
        markers[slot],
        payloadType,
        sequences[slot],
        timestamps[slot],
        ssrc,
        payload,
        0,
        payload.length);
    return packet;
  }
}

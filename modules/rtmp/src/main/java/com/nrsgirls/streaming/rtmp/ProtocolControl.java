package com.nrsgirls.streaming.rtmp;

/**
 * Payloads of the protocol control messages (Adobe RTMP spec §5.4): Set Chunk Size, Abort,
 * Acknowledgement, Window Acknowledgement Size and Set Peer Bandwidth. They travel on chunk stream
 * {@link #CHUNK_STREAM_ID} in message stream 0 (§5.4).
 */
public final class ProtocolControl {
  /** §5.4: protocol control messages use chunk stream 2 and message stream 0. */
  public static final int CHUNK_STREAM_ID = 2;

  /** §5.4.5: the peer should limit its output to this window. */
  public static final int LIMIT_HARD = 0;

  /** §5.4.5: as hard, or as the previous limit, whichever is smaller. */
  public static final int LIMIT_SOFT = 1;

  /** §5.4.5: hard if the previous limit was hard, else ignored. */
  public static final int LIMIT_DYNAMIC = 2;

  private ProtocolControl() {}

  /** §5.4.1: bit 31 must be zero; the size must be at least 1. */
  public static int parseSetChunkSize(byte[] payload) throws RtmpProtocolException {
    int size = readUint32(payload, "Set Chunk Size");
    if (size <= 0) {
      throw new RtmpProtocolException(
          "chunk-size-out-of-range",
          "the peer set chunk size " + Integer.toUnsignedString(size) + ", must be 1 to 2^31-1");
    }
    return size;
  }

  /** §5.4.2: the chunk stream whose partial message is to be dropped. */
  public static int parseAbort(byte[] payload) throws RtmpProtocolException {
    return readUint32(payload, "Abort");
  }

  /** §5.4.3: the sequence number, bytes received so far modulo 2^32. */
  public static long parseAcknowledgement(byte[] payload) throws RtmpProtocolException {
    return Integer.toUnsignedLong(readUint32(payload, "Acknowledgement"));
  }

  /** §5.4.4: window size in bytes. */
  public static long parseWindowAckSize(byte[] payload) throws RtmpProtocolException {
    return Integer.toUnsignedLong(readUint32(payload, "Window Acknowledgement Size"));
  }

  public static byte[] setChunkSize(int size) {
    if (size <= 0) {
      throw new IllegalArgumentException("chunk size must be positive");
    }
    return uint32(size);
  }

  public static byte[] abort(int chunkStreamId) {
    return uint32(chunkStreamId);
  }

  public static byte[] acknowledgement(long sequenceNumber) {
    return uint32((int) sequenceNumber);
  }

  public static byte[] windowAckSize(int size) {
    return uint32(size);
  }

  /** §5.4.5: window size followed by one byte of limit type. */
  public static byte[] setPeerBandwidth(int size, int limitType) {
    byte[] b = new byte[5];
    writeInt(b, 0, size);
    b[4] = (byte) limitType;
    return b;
  }

  private static int readUint32(byte[] payload, String what) throws RtmpProtocolException {
    if (payload.length < 4) {
      throw new RtmpProtocolException(
          "malformed-control", what + " message of " + payload.length + " bytes, need 4");
    }
    return ChunkDecoder.readInt(payload, 0);
  }

  private static byte[] uint32(int value) {
    byte[] b = new byte[4];
    writeInt(b, 0, value);
    return b;
  }

  static void writeInt(byte[] b, int p, int value) {
    b[p] = (byte) (value >>> 24);
    b[p + 1] = (byte) (value >>> 16);
    b[p + 2] = (byte) (value >>> 8);
    b[p + 3] = (byte) value;
  }
}

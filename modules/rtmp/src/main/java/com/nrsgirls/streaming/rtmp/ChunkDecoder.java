package com.nrsgirls.streaming.rtmp;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * Reassembles RTMP messages from the chunk stream a peer sends (Adobe RTMP spec §5.3).
 *
 * <p>Incremental: {@link #next(ByteBuffer)} takes whatever bytes arrived, split anywhere, and
 * returns one message as soon as it is complete, leaving the rest of the buffer unread. Header
 * bytes are gathered in a small scratch array; payload bytes are copied from the input into the
 * message's own array, which the caller may keep (a {@code MediaPacket} references it). Until the
 * driver trusts the peer ({@link #trustPeer}) that array grows as the message's chunks arrive
 * (doubling, up to the declared length), so a header that declares a long message costs nothing
 * until its bytes come; after, it is allocated at the declared length at once. Apart from that
 * nothing is allocated per chunk.
 *
 * <p>Set Chunk Size (§5.4.1) and Abort (§5.4.2) change how the following bytes are read, so the
 * decoder applies them itself before returning them. Timestamps are summed from deltas in 32 bits,
 * as the wire does, then extended to 64 bits per message stream: a step back by more than 2^31 is a
 * wrap.
 *
 * <p>Limits: message length (which the driver raises once it trusts the peer, see {@link
 * #trustPeer}), the chunk size the peer may set, the number of chunk streams and of message
 * streams, the declared bytes of messages in progress and the bytes thrown away by Abort. So what
 * the decoder holds for messages in progress is, before trust, at most twice the payload bytes
 * received for them plus {@value #INITIAL_CAPACITY} bytes per chunk stream, and after, at most
 * twice the message limit. Breaking a limit, or sending a header the spec does not allow, throws
 * {@link RtmpProtocolException}; the decoder is unusable after that.
 */
public final class ChunkDecoder {
  /** §5.4.1: chunk size both directions start with. */
  public static final int DEFAULT_CHUNK_SIZE = 128;

  /** §5.3.1.1: the largest chunk stream id (a 3-byte basic header: 65535 + 64). */
  public static final int MAX_CHUNK_STREAM_ID = 65599;

  /** §5.3.1.3: a timestamp field of this value means a 4-byte extended timestamp follows. */
  static final int EXTENDED_TIMESTAMP = 0xFFFFFF;

  /** §5.3.1.2: message header length by fmt 0..3. */
  private static final int[] MESSAGE_HEADER_LENGTH = {11, 7, 3, 0};

  /** Basic header (up to 3) + type 0 message header (11) + extended timestamp (4). */
  private static final int MAX_HEADER = 3 + 11 + 4;

  private static final byte[] EMPTY = new byte[0];

  /** What a message's array starts with; most control and command messages fit. */
  static final int INITIAL_CAPACITY = 256;

  /** The state §5.3.1.2 says each chunk stream carries over from its previous chunk. */
  private static final class ChunkStream {
    final int id;
    int timestampField; // as last sent: absolute after type 0, delta after types 1 and 2
    boolean extended; // the last type 0-2 header used an extended timestamp
    int timestamp; // 32-bit absolute timestamp of the current or last message
    int length;
    int typeId;
    int messageStreamId;
    byte[] payload; // non-null while a message is in progress; grows up to length
    int filled;

    ChunkStream(int id) {
      this.id = id;
    }
  }

  private int maxMessageLength;
  private boolean trusted;
  private final int maxChunkSize;
  private long maxBufferedBytes;

  private final int[] chunkStreamIds;
  private final ChunkStream[] chunkStreams;
  private int chunkStreamCount;

  private final int[] messageStreamIds;
  private final long[] messageStreamLastTimestamp;
  private int messageStreamCount;

  private int chunkSize = DEFAULT_CHUNK_SIZE;
  private long bufferedBytes;
  private long abortedBytes;

  private final byte[] header = new byte[MAX_HEADER];
  private int headerFilled;
  private boolean inPayload;
  private ChunkStream current;
  private int chunkRemaining;

  /**
   * @param maxMessageLength longest message accepted, in bytes
   * @param maxChunkSize largest chunk size the peer may set
   * @param maxChunkStreams how many chunk streams (and message streams) the peer may use
   */
  public ChunkDecoder(int maxMessageLength, int maxChunkSize, int maxChunkStreams) {
    if (maxChunkSize < DEFAULT_CHUNK_SIZE) {
      throw new IllegalArgumentException("maxChunkSize must be at least 128");
    }
    if (maxChunkStreams < 1) {
      throw new IllegalArgumentException("maxChunkStreams must be positive");
    }
    this.maxChunkSize = maxChunkSize;
    setMaxMessageLength(maxMessageLength);
    this.chunkStreamIds = new int[maxChunkStreams];
    this.chunkStreams = new ChunkStream[maxChunkStreams];
    this.messageStreamIds = new int[maxChunkStreams];
    this.messageStreamLastTimestamp = new long[maxChunkStreams];
  }

  /**
   * The peer is trusted from now on (it may publish): messages up to {@code maxMessageLength} are
   * accepted, and each message's array is allocated at its declared length at once instead of
   * growing, so a media frame is copied once. Messages already in progress keep their arrays.
   */
  public void trustPeer(int maxMessageLength) {
    setMaxMessageLength(maxMessageLength);
    trusted = true;
  }

  private void setMaxMessageLength(int maxMessageLength) {
    if (maxMessageLength < 1 || maxMessageLength > 0xFFFFFF) {
      throw new IllegalArgumentException("maxMessageLength must be 1 to 16777215");
    }
    this.maxMessageLength = maxMessageLength;
    // A big message may be in progress while others interleave with it; twice the limit leaves
    // room for that and still bounds the declared bytes one connection can keep open.
    this.maxBufferedBytes = 2L * maxMessageLength;
  }

  /** The chunk size the peer sends with, as last set by its Set Chunk Size. */
  public int chunkSize() {
    return chunkSize;
  }

  /**
   * Reads from {@code in} until one message is complete or the buffer is empty.
   *
   * @return the next complete message, or null when {@code in} is used up without completing one
   */
  public RtmpMessage next(ByteBuffer in) throws RtmpProtocolException {
    while (true) {
      if (!inPayload) {
        if (!readHeader(in)) {
          return null;
        }
      }
      ChunkStream cs = current;
      int n = Math.min(chunkRemaining, in.remaining());
      if (n > 0) {
        if (cs.filled + n > cs.payload.length) {
          grow(cs, cs.filled + n);
        }
        in.get(cs.payload, cs.filled, n);
        cs.filled += n;
        chunkRemaining -= n;
      }
      if (chunkRemaining > 0) {
        return null;
      }
      inPayload = false;
      headerFilled = 0;
      current = null;
      if (cs.filled == cs.length) {
        return complete(cs);
      }
    }
  }

  /** Doubles the message's array (at least to {@code needed}, at most to the declared length). */
  private static void grow(ChunkStream cs, int needed) {
    int capacity = Math.min(cs.length, Math.max(needed, 2 * cs.payload.length));
    cs.payload = Arrays.copyOf(cs.payload, capacity);
  }

  /** Gathers one chunk header; true when it is complete and applied. */
  private boolean readHeader(ByteBuffer in) throws RtmpProtocolException {
    if (!fill(in, 1)) {
      return false;
    }
    int fmt = (header[0] & 0xFF) >>> 6;
    int low = header[0] & 0x3F;
    // §5.3.1.1: ids 0 and 1 in the first byte announce a 2- or 3-byte basic header
    int basicLength = low == 0 ? 2 : low == 1 ? 3 : 1;
    int messageHeaderEnd = basicLength + MESSAGE_HEADER_LENGTH[fmt];
    if (!fill(in, messageHeaderEnd)) {
      return false;
    }
    int csid =
        switch (basicLength) {
          case 2 -> 64 + (header[1] & 0xFF);
          case 3 -> 64 + (header[1] & 0xFF) + ((header[2] & 0xFF) << 8);
          default -> low;
        };
    ChunkStream cs = chunkStream(csid, fmt);
    // §5.3.1.3: type 0-2 headers say so in their timestamp field; a type 3 chunk repeats the
    // extended timestamp whenever the header it inherits from had one (ffmpeg and OBS do this).
    boolean extended = fmt < 3 ? read24(header, basicLength) == EXTENDED_TIMESTAMP : cs.extended;
    int headerEnd = messageHeaderEnd + (extended ? 4 : 0);
    if (!fill(in, headerEnd)) {
      return false;
    }
    applyHeader(cs, fmt, basicLength, extended);
    return true;
  }

  /** Copies header bytes from {@code in} until {@code headerFilled == until}. */
  private boolean fill(ByteBuffer in, int until) {
    int n = Math.min(until - headerFilled, in.remaining());
    if (n > 0) {
      in.get(header, headerFilled, n);
      headerFilled += n;
    }
    return headerFilled >= until;
  }

  private void applyHeader(ChunkStream cs, int fmt, int p, boolean extended)
      throws RtmpProtocolException {
    if (fmt == 3) {
      if (cs.payload == null) {
        // §5.3.1.2.4: a new message with the previous one's length, type, stream and delta;
        // after a type 0 header the "delta" is that header's timestamp (see the spec's note).
        startMessage(cs, cs.timestamp + cs.timestampField);
      }
    } else {
      if (cs.payload != null) {
        throw new RtmpProtocolException(
            "bad-chunk-header",
            "a type "
                + fmt
                + " header on chunk stream "
                + cs.id
                + " interrupts a message "
                + cs.filled
                + " of "
                + cs.length
                + " bytes in");
      }
      int timestampField = read24(header, p);
      p += 3;
      if (fmt <= 1) {
        cs.length = read24(header, p);
        cs.typeId = header[p + 3] & 0xFF;
        p += 4;
        if (fmt == 0) {
          // §5.3.1.2.1: the message stream id is little-endian
          cs.messageStreamId =
              (header[p] & 0xFF)
                  | (header[p + 1] & 0xFF) << 8
                  | (header[p + 2] & 0xFF) << 16
                  | (header[p + 3] & 0xFF) << 24;
          p += 4;
        }
      }
      if (extended) {
        timestampField = readInt(header, p);
      }
      cs.extended = extended;
      cs.timestampField = timestampField;
      startMessage(cs, fmt == 0 ? timestampField : cs.timestamp + timestampField);
    }
    current = cs;
    chunkRemaining = Math.min(chunkSize, cs.length - cs.filled);
    inPayload = true;
  }

  private void startMessage(ChunkStream cs, int timestamp) throws RtmpProtocolException {
    if (!MessageType.isDefined(cs.typeId)) {
      throw new RtmpProtocolException(
          "unknown-message-type", "message type " + cs.typeId + " is not defined by RTMP");
    }
    if (cs.length > maxMessageLength) {
      throw new RtmpProtocolException(
          "message-too-long",
          "a message of " + cs.length + " bytes exceeds the limit of " + maxMessageLength);
    }
    if (bufferedBytes + cs.length > maxBufferedBytes) {
      throw new RtmpProtocolException(
          "message-too-long",
          "messages in progress would hold more than " + maxBufferedBytes + " bytes");
    }
    bufferedBytes += cs.length;
    cs.timestamp = timestamp;
    cs.payload =
        cs.length == 0
            ? EMPTY
            : new byte[trusted ? cs.length : Math.min(cs.length, INITIAL_CAPACITY)];
    cs.filled = 0;
  }

  private RtmpMessage complete(ChunkStream cs) throws RtmpProtocolException {
    byte[] payload = cs.payload;
    cs.payload = null;
    bufferedBytes -= cs.length;
    long timestamp = extendTimestamp(cs.messageStreamId, cs.timestamp);
    RtmpMessage message = new RtmpMessage(cs.id, cs.typeId, cs.messageStreamId, timestamp, payload);
    if (cs.typeId == MessageType.SET_CHUNK_SIZE) {
      int size = ProtocolControl.parseSetChunkSize(payload);
      if (size > maxChunkSize) {
        throw new RtmpProtocolException(
            "chunk-size-out-of-range",
            "the peer set chunk size " + size + ", above the limit of " + maxChunkSize);
      }
      chunkSize = size;
    } else if (cs.typeId == MessageType.ABORT) {
      abort(ProtocolControl.parseAbort(payload));
    }
    return message;
  }

  /**
   * §5.4.2: drop the partly received message of a chunk stream. Each dropped message wasted the
   * array allocated for it; a budget keeps a peer from sending headers and Aborts over and over.
   */
  private void abort(int csid) throws RtmpProtocolException {
    for (int i = 0; i < chunkStreamCount; i++) {
      ChunkStream cs = chunkStreams[i];
      if (chunkStreamIds[i] == csid && cs.payload != null) {
        bufferedBytes -= cs.length;
        abortedBytes += cs.length - cs.filled;
        if (abortedBytes > maxBufferedBytes) {
          throw new RtmpProtocolException(
              "too-many-aborts", "the peer aborted more than " + maxBufferedBytes + " bytes");
        }
        cs.payload = null;
        cs.filled = 0;
      }
    }
  }

  private ChunkStream chunkStream(int csid, int fmt) throws RtmpProtocolException {
    for (int i = 0; i < chunkStreamCount; i++) {
      if (chunkStreamIds[i] == csid) {
        return chunkStreams[i];
      }
    }
    if (fmt != 0) {
      throw new RtmpProtocolException(
          "bad-chunk-header",
          "chunk stream " + csid + " starts with a type " + fmt + " header instead of type 0");
    }
    if (chunkStreamCount == chunkStreams.length) {
      throw new RtmpProtocolException(
          "too-many-chunk-streams",
          "the peer opened more than " + chunkStreams.length + " chunk streams");
    }
    ChunkStream cs = new ChunkStream(csid);
    chunkStreamIds[chunkStreamCount] = csid;
    chunkStreams[chunkStreamCount++] = cs;
    return cs;
  }

  /**
   * Extends a 32-bit timestamp to 64 bits, relative to the last one on the same message stream: the
   * nearer of the two readings wins, so a step back by more than 2^31 counts as a wrap and a small
   * step back (audio arriving just behind video) stays a step back. Never negative.
   */
  private long extendTimestamp(int messageStreamId, int timestamp) throws RtmpProtocolException {
    for (int i = 0; i < messageStreamCount; i++) {
      if (messageStreamIds[i] == messageStreamId) {
        long last = messageStreamLastTimestamp[i];
        int delta = timestamp - (int) last;
        long extended = last + delta;
        if (extended < 0) {
          extended = Integer.toUnsignedLong(timestamp);
        }
        messageStreamLastTimestamp[i] = extended;
        return extended;
      }
    }
    if (messageStreamCount == messageStreamIds.length) {
      throw new RtmpProtocolException(
          "too-many-message-streams",
          "the peer used more than " + messageStreamIds.length + " message streams");
    }
    long extended = Integer.toUnsignedLong(timestamp);
    messageStreamIds[messageStreamCount] = messageStreamId;
    messageStreamLastTimestamp[messageStreamCount++] = extended;
    return extended;
  }

  /** The big-endian 24-bit unsigned integer at {@code p} (RTMP and FLV headers). */
  public static int read24(byte[] b, int p) {
    return (b[p] & 0xFF) << 16 | (b[p + 1] & 0xFF) << 8 | (b[p + 2] & 0xFF);
  }

  static int readInt(byte[] b, int p) {
    return (b[p] & 0xFF) << 24
        | (b[p + 1] & 0xFF) << 16
        | (b[p + 2] & 0xFF) << 8
        | (b[p + 3] & 0xFF);
  }
}

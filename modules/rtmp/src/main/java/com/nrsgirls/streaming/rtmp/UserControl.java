package com.nrsgirls.streaming.rtmp;

/**
 * A User Control message (Adobe RTMP spec §6.2 and §7.1.7): a 2-byte event type and event data,
 * sent on chunk stream 2 in message stream 0.
 *
 * @param eventType one of the {@code EVENT_} constants
 * @param value the first 4-byte field: a message stream id, or a ping timestamp
 * @param extra the second 4-byte field of Set Buffer Length (milliseconds), 0 otherwise
 */
public record UserControl(int eventType, int value, int extra) {
  /** §7.1.7: the server tells the client a stream became functional. Data: stream id. */
  public static final int EVENT_STREAM_BEGIN = 0;

  /** §7.1.7: playback of a stream ended. Data: stream id. */
  public static final int EVENT_STREAM_EOF = 1;

  /** §7.1.7: no more data on a stream for now. Data: stream id. */
  public static final int EVENT_STREAM_DRY = 2;

  /** §7.1.7: client buffer length. Data: stream id, then milliseconds. */
  public static final int EVENT_SET_BUFFER_LENGTH = 3;

  /** §7.1.7: the stream is a recording. Data: stream id. */
  public static final int EVENT_STREAM_IS_RECORDED = 4;

  /** §7.1.7: "are you there?". Data: the sender's timestamp. */
  public static final int EVENT_PING_REQUEST = 6;

  /** §7.1.7: the answer to a ping, echoing its timestamp. */
  public static final int EVENT_PING_RESPONSE = 7;

  public static UserControl parse(byte[] payload) throws RtmpProtocolException {
    if (payload.length < 2) {
      throw new RtmpProtocolException(
          "malformed-control", "User Control message of " + payload.length + " bytes");
    }
    int type = (payload[0] & 0xFF) << 8 | (payload[1] & 0xFF);
    // Events we do not know may carry any data; the ones we use carry at least 4 bytes.
    int value = payload.length >= 6 ? ChunkDecoder.readInt(payload, 2) : 0;
    int extra = payload.length >= 10 ? ChunkDecoder.readInt(payload, 6) : 0;
    if ((type == EVENT_PING_REQUEST || type == EVENT_STREAM_BEGIN) && payload.length < 6) {
      throw new RtmpProtocolException(
          "malformed-control", "User Control event " + type + " without its 4 bytes of data");
    }
    return new UserControl(type, value, extra);
  }

  public static UserControl streamBegin(int messageStreamId) {
    return new UserControl(EVENT_STREAM_BEGIN, messageStreamId, 0);
  }

  public static UserControl pingResponse(int timestamp) {
    return new UserControl(EVENT_PING_RESPONSE, timestamp, 0);
  }

  public byte[] write() {
    byte[] b = new byte[eventType == EVENT_SET_BUFFER_LENGTH ? 10 : 6];
    b[0] = (byte) (eventType >>> 8);
    b[1] = (byte) eventType;
    ProtocolControl.writeInt(b, 2, value);
    if (eventType == EVENT_SET_BUFFER_LENGTH) {
      ProtocolControl.writeInt(b, 6, extra);
    }
    return b;
  }
}

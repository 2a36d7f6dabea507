package com.nrsgirls.streaming.rtmp;

/** RTMP message type ids (Adobe RTMP spec §5.4, §6.2, §7.1). */
public final class MessageType {
  /** §5.4.1 Set Chunk Size. */
  public static final int SET_CHUNK_SIZE = 1;

  /** §5.4.2 Abort Message. */
  public static final int ABORT = 2;

  /** §5.4.3 Acknowledgement. */
  public static final int ACKNOWLEDGEMENT = 3;

  /** §6.2 / §7.1.7 User Control Message. */
  public static final int USER_CONTROL = 4;

  /** §5.4.4 Window Acknowledgement Size. */
  public static final int WINDOW_ACK_SIZE = 5;

  /** §5.4.5 Set Peer Bandwidth. */
  public static final int SET_PEER_BANDWIDTH = 6;

  /** §7.1.4 Audio Message (an FLV audio tag body). */
  public static final int AUDIO = 8;

  /** §7.1.5 Video Message (an FLV video tag body). */
  public static final int VIDEO = 9;

  /** §7.1.2 Data Message, AMF3 encoding. */
  public static final int DATA_AMF3 = 15;

  /** §7.1.3 Shared Object Message, AMF3 encoding. */
  public static final int SHARED_OBJECT_AMF3 = 16;

  /** §7.1.1 Command Message, AMF3 encoding. */
  public static final int COMMAND_AMF3 = 17;

  /** §7.1.2 Data Message, AMF0 encoding. */
  public static final int DATA_AMF0 = 18;

  /** §7.1.3 Shared Object Message, AMF0 encoding. */
  public static final int SHARED_OBJECT_AMF0 = 19;

  /** §7.1.1 Command Message, AMF0 encoding. */
  public static final int COMMAND_AMF0 = 20;

  /** §7.1.6 Aggregate Message: a run of FLV tags. */
  public static final int AGGREGATE = 22;

  private MessageType() {}

  /** Whether the spec defines the type; any other id is a protocol error. */
  public static boolean isDefined(int typeId) {
    return switch (typeId) {
      case SET_CHUNK_SIZE,
          ABORT,
          ACKNOWLEDGEMENT,
          USER_CONTROL,
          WINDOW_ACK_SIZE,
          SET_PEER_BANDWIDTH,
          AUDIO,
          VIDEO,
          DATA_AMF3,
          SHARED_OBJECT_AMF3,
          COMMAND_AMF3,
          DATA_AMF0,
          SHARED_OBJECT_AMF0,
          COMMAND_AMF0,
          AGGREGATE ->
          true;
      default -> false;
    };
  }
}

package com.nrsgirls.streaming.rtmp;

import com.nrsgirls.streaming.core.media.MediaFormatException;
import com.nrsgirls.streaming.core.media.MediaPacket;
import com.nrsgirls.streaming.rtmp.amf.AmfEcmaArray;
import com.nrsgirls.streaming.rtmp.flv.FlvTag;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * The publishing client's side of one RTMP connection, as plain Java: the engine of a restream
 * target. It speaks what OBS and ffmpeg speak to YouTube, Twitch, Facebook and nginx-rtmp (Adobe
 * RTMP spec §5.2, §7.2): handshake, Set Chunk Size, {@code connect}, {@code releaseStream}, {@code
 * FCPublish}, {@code createStream}, {@code publish} (live), then {@code @setDataFrame onMetaData}
 * and the media. It answers pings, acknowledges the server's window and takes its chunk size; an
 * {@code _error} or an error {@code onStatus} ends it with the server's code.
 *
 * <p>Bytes in go to {@link #process(ByteBuffer)}; bytes out are taken with {@link #takeOutput()},
 * one array per message or handshake step, each written once and never copied again: a media
 * frame's payload is copied exactly once, from its {@link MediaPacket} into the array that goes to
 * the socket. A driver (a Pekko stage) owns the socket, the timers and the threads.
 *
 * <p>The stream key is the stream name of {@code publish}; it never appears in an exception
 * message, even when the server echoes it back.
 */
public final class RtmpPublishSession {
  /** Where the conversation is. */
  public enum State {
    HANDSHAKE,
    CONNECTING,
    CREATING_STREAM,
    PUBLISH_REQUESTED,
    PUBLISHING,
    CLOSED
  }

  /** Chunk streams as ffmpeg uses them: connection commands, audio, video, stream messages. */
  private static final int COMMAND_CHUNK_STREAM = 3;

  private static final int AUDIO_CHUNK_STREAM = 4;
  private static final int VIDEO_CHUNK_STREAM = 6;
  private static final int STREAM_CHUNK_STREAM = 8;

  private static final double CONNECT_TX = 1;
  private static final double RELEASE_TX = 2;
  private static final double FCPUBLISH_TX = 3;
  private static final double CREATE_STREAM_TX = 4;

  private static final int MAX_AMF_DEPTH = 16;
  private static final int MAX_AMF_VALUES = 256;

  private final RtmpUrl url;
  private final String streamName;
  private final int chunkSize;
  private final ClientHandshake handshake = new ClientHandshake();
  private final ChunkDecoder decoder;
  private final ChunkEncoder encoder = new ChunkEncoder();
  private final ArrayDeque<byte[]> output = new ArrayDeque<>();
  private final byte[] tagHeader = new byte[FlvTag.MAX_HEADER];
  private State state = State.HANDSHAKE;
  private int streamId;
  private long windowAckSize;
  private long bytesReceived;
  private long acknowledged;
  private long bytesSent;
  private long pendingBytes;
  private String serverVersion = "";

  /**
   * @param streamName the stream key, as the platform gave it
   * @param chunkSize the chunk size we send with (4096 as OBS; at least 128)
   * @param maxMessageLength the longest message we accept from the server
   */
  public RtmpPublishSession(
      RtmpUrl url, String streamName, int chunkSize, int maxMessageLength, Random random) {
    if (streamName == null || streamName.isEmpty()) {
      throw new IllegalArgumentException("a stream key is needed");
    }
    if (chunkSize < ChunkDecoder.DEFAULT_CHUNK_SIZE || chunkSize > 0xFFFFFF) {
      throw new IllegalArgumentException("chunk size out of range: " + chunkSize);
    }
    this.url = url;
    this.streamName = streamName;
    this.chunkSize = chunkSize;
    this.decoder = new ChunkDecoder(maxMessageLength, 0xFFFFFF, 16);
    queue(ClientHandshake.start(random));
  }

  public State state() {
    return state;
  }

  public boolean isPublishing() {
    return state == State.PUBLISHING;
  }

  /** Bytes handed out by {@link #takeOutput()} and still queued, handshake included. */
  public long bytesSent() {
    return bytesSent;
  }

  /** What the server said it is in its {@code connect} answer ({@code fmsVer}), or empty. */
  public String serverVersion() {
    return serverVersion;
  }

  /** The next bytes to send, in order; null when there are none. */
  public byte[] takeOutput() {
    byte[] b = output.pollFirst();
    if (b != null) {
      pendingBytes -= b.length;
    }
    return b;
  }

  /** Bytes queued and not yet taken. */
  public long pendingBytes() {
    return pendingBytes;
  }

  public boolean hasOutput() {
    return !output.isEmpty();
  }

  /**
   * Reads what the server sent, split anywhere, and queues the answers.
   *
   * @throws RtmpProtocolException when the server breaks the protocol ({@code bad-handshake},
   *     {@code malformed-...}) or refuses us ({@code publish-refused}, {@code connect-refused})
   */
  public void process(ByteBuffer in) throws RtmpProtocolException {
    if (state == State.CLOSED) {
      in.position(in.limit());
      return;
    }
    bytesReceived += in.remaining();
    if (state == State.HANDSHAKE) {
      byte[] c2 = handshake.consume(in);
      if (c2 != null) {
        queue(c2);
      }
      if (!handshake.isDone()) {
        return;
      }
      connect();
    }
    RtmpMessage message;
    while ((message = decoder.next(in)) != null) {
      handle(message);
      if (state == State.CLOSED) {
        in.position(in.limit());
        return;
      }
    }
    if (windowAckSize > 0 && bytesReceived - acknowledged >= windowAckSize) {
      acknowledged = bytesReceived;
      writeControl(MessageType.ACKNOWLEDGEMENT, ProtocolControl.acknowledgement(bytesReceived));
    }
  }

  /**
   * Sends {@code @setDataFrame onMetaData} with these properties (width, height, framerate,
   * videocodecid, audiocodecid, encoder...), as OBS does right after publishing.
   */
  public void sendMetadata(Map<String, Object> properties) {
    requirePublishing();
    DataMessage data =
        new DataMessage(
            "@setDataFrame",
            List.of("onMetaData", new AmfEcmaArray(new LinkedHashMap<>(properties))));
    byte[] payload = data.encode();
    writeMessage(STREAM_CHUNK_STREAM, MessageType.DATA_AMF0, streamId, 0, payload);
  }

  /**
   * Sends one audio or video packet (a frame or a codec configuration) at {@code timestamp}
   * milliseconds of this connection's timeline.
   *
   * @throws MediaFormatException for a codec FLV cannot carry (HEVC, AV1, Opus)
   */
  public void sendMedia(MediaPacket packet, long timestamp) throws MediaFormatException {
    requirePublishing();
    int headerLength = FlvTag.header(packet, tagHeader);
    boolean video = packet.isVideo();
    int csid = video ? VIDEO_CHUNK_STREAM : AUDIO_CHUNK_STREAM;
    int length = headerLength + packet.length();
    byte[] out = new byte[encoder.encodedLength(csid, timestamp, length)];
    encoder.write(
        out,
        0,
        csid,
        video ? MessageType.VIDEO : MessageType.AUDIO,
        streamId,
        timestamp,
        tagHeader,
        headerLength,
        packet.array(),
        packet.offset(),
        packet.length());
    queue(out);
  }

  /**
   * Ends the publish politely ({@code FCUnpublish}, {@code deleteStream}); nothing is sent after.
   */
  public void close() {
    if (state == State.PUBLISHING || state == State.PUBLISH_REQUESTED) {
      writeCommand(COMMAND_CHUNK_STREAM, 0, CommandMessage.of("FCUnpublish", 0, null, streamName));
      writeCommand(
          COMMAND_CHUNK_STREAM, 0, CommandMessage.of("deleteStream", 0, null, (double) streamId));
    }
    state = State.CLOSED;
  }

  private void requirePublishing() {
    if (state != State.PUBLISHING) {
      throw new IllegalStateException("not publishing: " + state);
    }
  }

  /** §7.2.1.1, after our chunk size: what OBS's librtmp sends. */
  private void connect() {
    writeControl(MessageType.SET_CHUNK_SIZE, ProtocolControl.setChunkSize(chunkSize));
    encoder.setChunkSize(chunkSize);
    Map<String, Object> properties = new LinkedHashMap<>();
    properties.put("app", url.app());
    properties.put("type", "nonprivate");
    properties.put("flashVer", "FMLE/3.0 (compatible; NRS Streaming)");
    properties.put("swfUrl", url.tcUrl());
    properties.put("tcUrl", url.tcUrl());
    writeCommand(COMMAND_CHUNK_STREAM, 0, CommandMessage.of("connect", CONNECT_TX, properties));
    state = State.CONNECTING;
  }

  private void handle(RtmpMessage message) throws RtmpProtocolException {
    switch (message.typeId()) {
      case MessageType.WINDOW_ACK_SIZE -> {
        long window = ProtocolControl.parseWindowAckSize(message.payload());
        if (window > 0) {
          windowAckSize = window;
        }
      }
      case MessageType.USER_CONTROL -> {
        UserControl event = UserControl.parse(message.payload());
        if (event.eventType() == UserControl.EVENT_PING_REQUEST) {
          writeControl(MessageType.USER_CONTROL, UserControl.pingResponse(event.value()).write());
        }
      }
      case MessageType.COMMAND_AMF0, MessageType.COMMAND_AMF3 ->
          onCommand(CommandMessage.parse(message, MAX_AMF_DEPTH, MAX_AMF_VALUES));
      default -> {
        // Set Chunk Size and Abort were applied by the decoder; acknowledgements, bandwidth
        // hints, data and media from a server mean nothing to a publisher.
      }
    }
  }

  private void onCommand(CommandMessage command) throws RtmpProtocolException {
    switch (command.name()) {
      case "_result" -> onResult(command);
      case "_error" -> onError(command);
      case "onStatus" -> onStatus(command);
      default -> {
        // onBWDone, onFCPublish, _checkbw and the like: nothing to answer
      }
    }
  }

  private void onResult(CommandMessage command) throws RtmpProtocolException {
    double tx = command.transactionId();
    if (tx == CONNECT_TX && state == State.CONNECTING) {
      if (command.commandObject() instanceof Map<?, ?> server
          && server.get("fmsVer") instanceof String version) {
        serverVersion = version;
      }
      writeCommand(
          COMMAND_CHUNK_STREAM,
          0,
          CommandMessage.of("releaseStream", RELEASE_TX, null, streamName));
      writeCommand(
          COMMAND_CHUNK_STREAM, 0, CommandMessage.of("FCPublish", FCPUBLISH_TX, null, streamName));
      writeCommand(
          COMMAND_CHUNK_STREAM, 0, CommandMessage.of("createStream", CREATE_STREAM_TX, null));
      state = State.CREATING_STREAM;
    } else if (tx == CREATE_STREAM_TX && state == State.CREATING_STREAM) {
      if (command.arguments().isEmpty() || !(command.arguments().get(0) instanceof Double id)) {
        throw new RtmpProtocolException(
            "malformed-amf", "createStream answered without a stream id");
      }
      streamId = id.intValue();
      writeCommand(
          STREAM_CHUNK_STREAM, streamId, CommandMessage.of("publish", 0, null, streamName, "live"));
      state = State.PUBLISH_REQUESTED;
    }
  }

  private void onError(CommandMessage command) throws RtmpProtocolException {
    double tx = command.transactionId();
    if (tx == RELEASE_TX || tx == FCPUBLISH_TX) {
      return; // optional steps; many servers do not know them
    }
    String code = statusText(command);
    if (tx == CONNECT_TX) {
      throw new RtmpProtocolException("connect-refused", "connect refused: " + code);
    }
    throw new RtmpProtocolException("publish-refused", "the server answered _error: " + code);
  }

  private void onStatus(CommandMessage command) throws RtmpProtocolException {
    Map<?, ?> info = info(command);
    Object code = info.get("code");
    Object level = info.get("level");
    if ("NetStream.Publish.Start".equals(code)) {
      if (state == State.PUBLISH_REQUESTED) {
        state = State.PUBLISHING;
      }
      return;
    }
    if ("error".equals(level) || (code instanceof String c && isFailure(c))) {
      throw new RtmpProtocolException("publish-refused", "publish refused: " + statusText(command));
    }
  }

  private static boolean isFailure(String code) {
    return code.endsWith(".BadName") || code.endsWith(".Failed") || code.endsWith(".Rejected");
  }

  private static Map<?, ?> info(CommandMessage command) {
    for (Object argument : command.arguments()) {
      if (argument instanceof Map<?, ?> m) {
        return m;
      }
    }
    return command.commandObject() instanceof Map<?, ?> m ? m : Map.of();
  }

  /** The server's code and description, without the stream key should the server echo it. */
  private String statusText(CommandMessage command) {
    Map<?, ?> info = info(command);
    String code = info.get("code") instanceof String c ? c : "no code";
    String description = info.get("description") instanceof String d ? d : "";
    String text = description.isEmpty() ? code : code + " (" + description + ")";
    text = text.replace(streamName, "[stream key]");
    StringBuilder printable = new StringBuilder();
    for (int i = 0; i < text.length() && i < 200; i++) {
      char c = text.charAt(i);
      printable.append(c >= 0x20 && c < 0x7F ? c : '?');
    }
    return printable.toString();
  }

  private void writeCommand(int chunkStreamId, int messageStreamId, CommandMessage command) {
    writeMessage(chunkStreamId, MessageType.COMMAND_AMF0, messageStreamId, 0, command.encode());
  }

  private void writeControl(int typeId, byte[] payload) {
    writeMessage(ProtocolControl.CHUNK_STREAM_ID, typeId, 0, 0, payload);
  }

  private void writeMessage(
      int chunkStreamId, int typeId, int messageStreamId, long timestamp, byte[] payload) {
    byte[] out = new byte[encoder.encodedLength(chunkStreamId, timestamp, payload.length)];
    encoder.write(
        out,
        0,
        chunkStreamId,
        typeId,
        messageStreamId,
        timestamp,
        payload,
        payload.length,
        payload,
        0,
        0);
    queue(out);
  }

  private void queue(byte[] bytes) {
    bytesSent += bytes.length;
    pendingBytes += bytes.length;
    output.addLast(bytes);
  }
}

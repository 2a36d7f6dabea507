package com.nrsgirls.streaming.ingest.rtmp;

import com.nrsgirls.streaming.core.media.MediaFormatException;
import com.nrsgirls.streaming.core.media.MediaPacket;
import com.nrsgirls.streaming.core.stream.StreamKey;
import com.nrsgirls.streaming.rtmp.ChunkDecoder;
import com.nrsgirls.streaming.rtmp.ChunkEncoder;
import com.nrsgirls.streaming.rtmp.CommandMessage;
import com.nrsgirls.streaming.rtmp.DataMessage;
import com.nrsgirls.streaming.rtmp.Handshake;
import com.nrsgirls.streaming.rtmp.MessageType;
import com.nrsgirls.streaming.rtmp.ProtocolControl;
import com.nrsgirls.streaming.rtmp.RtmpMessage;
import com.nrsgirls.streaming.rtmp.RtmpProtocolException;
import com.nrsgirls.streaming.rtmp.StreamMetadata;
import com.nrsgirls.streaming.rtmp.UserControl;
import com.nrsgirls.streaming.rtmp.flv.FlvTag;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;

/**
 * The server side of one RTMP connection that publishes a stream, as plain Java: bytes in, bytes to
 * send and media packets out. A Pekko stage drives it; this class knows nothing about threads,
 * sockets or the platform's publish decision, which it asks its driver for.
 *
 * <p>The driver calls {@link #process(ByteBuffer)} with received bytes. It runs the handshake,
 * decodes chunks and handles messages until it has something for the driver ({@link Signal}) or the
 * input is used up; what it did not read stays in the buffer for the next call. Replies pile up in
 * an output buffer the driver empties with {@link #takeOutput()}.
 *
 * <p>The command flow follows what ffmpeg (libavformat/rtmpproto.c) and OBS (librtmp) send: {@code
 * connect}, {@code releaseStream}, {@code FCPublish}, {@code createStream}, {@code publish}, then
 * {@code @setDataFrame onMetaData} and audio/video; at the end {@code FCUnpublish} and {@code
 * deleteStream}. On {@code publish} the session stops and returns {@link Signal#PUBLISH_REQUESTED};
 * it must not be fed again until the driver calls {@link #publishAccepted()} or {@link
 * #publishRejected}, so no media is read before the decision. Until a publish is accepted, messages
 * may be only {@link SessionSettings#maxMessageLengthBeforePublish()} long and metadata is ignored:
 * a client without a valid key can make the server neither hold big buffers nor log.
 *
 * <p>Every deviation throws {@link RtmpProtocolException}; the driver then closes the connection.
 * Refusals the client should hear about (an unknown application, {@code play}) write their error
 * response to the output first.
 */
public final class RtmpServerSession {

  /** What {@link #process} stopped for. */
  public enum Signal {
    /** All input was read; feed more. */
    NEED_INPUT,
    /** A media packet is ready: {@link #takeMedia()}. */
    MEDIA,
    /** The client asked to publish: decide, see {@link #requestedKey()}. */
    PUBLISH_REQUESTED,
    /**
     * The publishing encoder sent metadata that differs from what it sent before (or its first):
     * {@link #metadata()}. Metadata outside a publish is ignored.
     */
    METADATA,
    /** The client ended its publish normally ({@code FCUnpublish} or {@code deleteStream}). */
    PUBLISH_ENDED
  }

  public enum State {
    HANDSHAKE,
    AWAITING_CONNECT,
    CONNECTED,
    PUBLISH_PENDING,
    PUBLISHING,
    PUBLISH_ENDED,
    CLOSED
  }

  /** Chunk stream for our replies to connection-level commands (as FMS and nginx-rtmp use). */
  static final int COMMAND_CHUNK_STREAM = 3;

  /** Chunk stream for messages on the published stream, such as {@code onStatus}. */
  static final int STREAM_CHUNK_STREAM = 5;

  /** The message stream id {@code createStream} hands out: one publish per connection. */
  public static final int PUBLISH_STREAM_ID = 1;

  private static final int FLV_TAG_HEADER = 11;
  private static final int FLV_BACK_POINTER = 4;

  private final SessionSettings settings;
  private final Handshake handshake;
  private final ChunkDecoder decoder;
  private final ChunkEncoder encoder = new ChunkEncoder();
  private final ByteArrayOutputStream output = new ByteArrayOutputStream(4096);
  private final ArrayDeque<MediaPacket> media = new ArrayDeque<>();

  private State state = State.HANDSHAKE;
  private long bytesReceived;
  private long lastAcknowledged;
  private long ackWindow;
  private Optional<StreamKey> requestedKey = Optional.empty();
  private int publishStreamId;
  private StreamMetadata metadata;

  public RtmpServerSession(SessionSettings settings, Random random) {
    this.settings = settings;
    this.handshake = new Handshake(random);
    this.decoder =
        new ChunkDecoder(
            settings.maxMessageLengthBeforePublish(),
            settings.maxChunkSize(),
            settings.maxChunkStreams());
    this.ackWindow = settings.windowAckSize();
  }

  /**
   * Reads from {@code in} until there is something for the driver or {@code in} is empty.
   *
   * @throws IllegalStateException while a publish decision is pending or after the session closed
   */
  public Signal process(ByteBuffer in) throws RtmpProtocolException {
    if (state == State.PUBLISH_PENDING || state == State.CLOSED) {
      throw new IllegalStateException("session is " + state + ", it reads no input");
    }
    if (!media.isEmpty()) {
      return Signal.MEDIA;
    }
    if (state == State.HANDSHAKE) {
      int before = in.position();
      byte[] reply = handshake.consume(in);
      received(in.position() - before);
      if (reply != null) {
        output.write(reply, 0, reply.length);
      }
      if (!handshake.isDone()) {
        return Signal.NEED_INPUT;
      }
      state = State.AWAITING_CONNECT;
    }
    while (true) {
      int before = in.position();
      RtmpMessage message = decoder.next(in);
      received(in.position() - before);
      if (message == null) {
        return Signal.NEED_INPUT;
      }
      Signal signal = handle(message);
      if (signal != null) {
        return signal;
      }
    }
  }

  /** The next media packet, after {@link Signal#MEDIA}; null when there is none. */
  public MediaPacket takeMedia() {
    return media.poll();
  }

  /** The key the client asked to publish with; empty if the stream name is not shaped like one. */
  public Optional<StreamKey> requestedKey() {
    return requestedKey;
  }

  /** The last metadata the encoder sent while publishing; null before any. */
  public StreamMetadata metadata() {
    return metadata;
  }

  public State state() {
    return state;
  }

  public boolean isHandshakeDone() {
    return state != State.HANDSHAKE;
  }

  /** Bytes read from the peer so far, handshake included. */
  public long bytesReceived() {
    return bytesReceived;
  }

  /** Tells the client it is live (§7.2.2.6): StreamBegin, then NetStream.Publish.Start. */
  public void publishAccepted() {
    requirePending();
    writeControl(MessageType.USER_CONTROL, UserControl.streamBegin(publishStreamId).write());
    writeStatus("status", "NetStream.Publish.Start", "Publishing started.");
    decoder.trustPeer(settings.maxMessageLength());
    state = State.PUBLISHING;
  }

  /**
   * Tells the client it may not publish (an {@code onStatus} of level error, which makes ffmpeg and
   * OBS give up); the driver then closes the connection.
   *
   * @param code e.g. {@code NetStream.Publish.BadName}
   */
  public void publishRejected(String code, String description) {
    requirePending();
    writeStatus("error", code, description);
    state = State.CLOSED;
  }

  public boolean hasOutput() {
    return output.size() > 0;
  }

  public int pendingOutputBytes() {
    return output.size();
  }

  /** The bytes to send, and forgets them. */
  public byte[] takeOutput() {
    byte[] bytes = output.toByteArray();
    output.reset();
    return bytes;
  }

  private void requirePending() {
    if (state != State.PUBLISH_PENDING) {
      throw new IllegalStateException("no publish decision pending, state " + state);
    }
  }

  /** §5.4.3: acknowledge each window of received bytes. */
  private void received(int n) {
    bytesReceived += n;
    if (state != State.HANDSHAKE && bytesReceived - lastAcknowledged >= ackWindow) {
      writeControl(MessageType.ACKNOWLEDGEMENT, ProtocolControl.acknowledgement(bytesReceived));
      lastAcknowledged = bytesReceived;
    }
  }

  private Signal handle(RtmpMessage message) throws RtmpProtocolException {
    return switch (message.typeId()) {
      case MessageType.USER_CONTROL -> onUserControl(message);
      case MessageType.WINDOW_ACK_SIZE -> {
        long window = ProtocolControl.parseWindowAckSize(message.payload());
        if (window > 0) {
          ackWindow = window;
        }
        yield null;
      }
      case MessageType.AUDIO, MessageType.VIDEO -> onMedia(message);
      case MessageType.AGGREGATE -> onAggregate(message);
      case MessageType.DATA_AMF0, MessageType.DATA_AMF3 -> onData(message);
      case MessageType.COMMAND_AMF0, MessageType.COMMAND_AMF3 -> onCommand(message);
      // Set Chunk Size and Abort were applied by the decoder; acknowledgements of what we sent,
      // bandwidth hints and shared objects mean nothing to a publish-only server.
      default -> null;
    };
  }

  private Signal onUserControl(RtmpMessage message) throws RtmpProtocolException {
    UserControl event = UserControl.parse(message.payload());
    if (event.eventType() == UserControl.EVENT_PING_REQUEST) {
      writeControl(MessageType.USER_CONTROL, UserControl.pingResponse(event.value()).write());
    }
    return null;
  }

  private Signal onMedia(RtmpMessage message) throws RtmpProtocolException {
    if (!acceptsMedia(message)) {
      return null;
    }
    byte[] p = message.payload();
    return addMedia(message.typeId(), message.timestamp(), p, 0, p.length);
  }

  /**
   * §7.1.6: FLV tags back to back, each followed by its back pointer. The first tag's timestamp
   * stands for the message's, the others keep their distance to it.
   */
  private Signal onAggregate(RtmpMessage message) throws RtmpProtocolException {
    if (!acceptsMedia(message)) {
      return null;
    }
    byte[] p = message.payload();
    int pos = 0;
    long first = -1;
    while (pos < p.length) {
      if (p.length - pos < FLV_TAG_HEADER) {
        throw new RtmpProtocolException(
            "malformed-media", "aggregate message ends in a tag header");
      }
      int type = p[pos] & 0x1F;
      int size = ChunkDecoder.read24(p, pos + 1);
      long ts = Integer.toUnsignedLong(ChunkDecoder.read24(p, pos + 4) | (p[pos + 7] & 0xFF) << 24);
      int body = pos + FLV_TAG_HEADER;
      if (size > p.length - body) {
        throw new RtmpProtocolException("malformed-media", "aggregate tag runs past the message");
      }
      if (first < 0) {
        first = ts;
      }
      if (type == MessageType.AUDIO || type == MessageType.VIDEO) {
        addMedia(type, Math.max(0, message.timestamp() + ts - first), p, body, size);
      }
      pos = body + size + FLV_BACK_POINTER;
    }
    return media.isEmpty() ? null : Signal.MEDIA;
  }

  private boolean acceptsMedia(RtmpMessage message) throws RtmpProtocolException {
    if (state == State.PUBLISHING) {
      return true;
    }
    if (state == State.PUBLISH_ENDED) {
      return false; // stragglers after FCUnpublish
    }
    throw new RtmpProtocolException(
        "media-before-publish",
        "message type " + message.typeId() + " before an accepted publish, state " + state);
  }

  private Signal addMedia(int typeId, long timestamp, byte[] data, int offset, int length)
      throws RtmpProtocolException {
    MediaPacket packet;
    try {
      packet =
          typeId == MessageType.VIDEO
              ? FlvTag.video(timestamp, data, offset, length)
              : FlvTag.audio(timestamp, data, offset, length);
    } catch (MediaFormatException e) {
      throw new RtmpProtocolException("malformed-media", e.getMessage(), e);
    }
    if (packet == null) {
      return null;
    }
    media.add(packet);
    return Signal.MEDIA;
  }

  private Signal onData(RtmpMessage message) throws RtmpProtocolException {
    if (state == State.AWAITING_CONNECT) {
      throw new RtmpProtocolException("command-before-connect", "data message before connect");
    }
    if (state != State.PUBLISHING) {
      // Only a publisher's metadata means anything; before a publish was accepted, parsing and
      // reporting it would let anyone without a key make us work and log.
      return null;
    }
    DataMessage data = DataMessage.parse(message, settings.amfMaxDepth(), settings.amfMaxValues());
    List<Object> values = data.values();
    Object properties = null;
    if (data.name().equals("@setDataFrame")
        && values.size() >= 2
        && "onMetaData".equals(values.get(0))) {
      properties = values.get(1);
    } else if (data.name().equals("onMetaData") && !values.isEmpty()) {
      properties = values.get(0);
    }
    StreamMetadata parsed = StreamMetadata.from(properties);
    if (parsed == null || parsed.equals(metadata)) {
      return null;
    }
    metadata = parsed;
    return Signal.METADATA;
  }

  private Signal onCommand(RtmpMessage message) throws RtmpProtocolException {
    CommandMessage command =
        CommandMessage.parse(message, settings.amfMaxDepth(), settings.amfMaxValues());
    String name = command.name();
    if (state == State.AWAITING_CONNECT) {
      if (name.equals("connect")) {
        return onConnect(command);
      }
      throw new RtmpProtocolException(
          name.equals("publish") ? "publish-before-connect" : "command-before-connect",
          "command " + printable(name) + " before connect");
    }
    switch (name) {
      case "connect" -> throw new RtmpProtocolException("duplicate-connect", "second connect");
      case "releaseStream", "FCPublish" -> writeResult(command.transactionId(), null);
      case "createStream" -> writeResult(command.transactionId(), (double) PUBLISH_STREAM_ID);
      case "publish" -> {
        return onPublish(command, message.messageStreamId());
      }
      case "FCUnpublish", "deleteStream", "closeStream" -> {
        if (state == State.PUBLISHING) {
          state = State.PUBLISH_ENDED;
          return Signal.PUBLISH_ENDED;
        }
      }
      case "play", "play2" -> {
        writeCommand(
            STREAM_CHUNK_STREAM,
            message.messageStreamId(),
            CommandMessage.of(
                "onStatus",
                0,
                null,
                status("error", "NetStream.Play.Failed", "This server only takes publishers.")));
        state = State.CLOSED;
        throw new RtmpProtocolException("play-not-supported", "the client asked to play");
      }
      default -> {
        // _checkbw, getStreamLength, _result of our calls...: nothing a publisher needs
      }
    }
    return null;
  }

  /** §7.2.1.1: announce our window, bandwidth and chunk size, then accept. */
  private Signal onConnect(CommandMessage command) throws RtmpProtocolException {
    Map<?, ?> properties = command.commandObject() instanceof Map<?, ?> m ? m : Map.of();
    String app = properties.get("app") instanceof String s ? normalizeApp(s) : "";
    Object objectEncoding = properties.get("objectEncoding");
    if (!app.equals(settings.application())) {
      Map<String, Object> info = status("error", "NetConnection.Connect.Rejected", "No such app.");
      writeCommand(
          COMMAND_CHUNK_STREAM,
          0,
          CommandMessage.of("_error", command.transactionId(), null, info));
      state = State.CLOSED;
      // the application name is not logged: a publisher who pasted the key into the server URL
      // would find it in our logs
      throw new RtmpProtocolException("unknown-app", "connect to an unknown application refused");
    }
    writeControl(
        MessageType.WINDOW_ACK_SIZE, ProtocolControl.windowAckSize(settings.windowAckSize()));
    writeControl(
        MessageType.SET_PEER_BANDWIDTH,
        ProtocolControl.setPeerBandwidth(settings.peerBandwidth(), ProtocolControl.LIMIT_DYNAMIC));
    writeControl(MessageType.SET_CHUNK_SIZE, ProtocolControl.setChunkSize(settings.chunkSize()));
    encoder.setChunkSize(settings.chunkSize());
    Map<String, Object> server = new LinkedHashMap<>();
    server.put("fmsVer", "FMS/3,5,7,7009");
    server.put("capabilities", 31.0);
    server.put("mode", 1.0);
    Map<String, Object> info =
        status("status", "NetConnection.Connect.Success", "Connection succeeded.");
    info.put("objectEncoding", objectEncoding instanceof Double d ? d : 0.0);
    writeCommand(
        COMMAND_CHUNK_STREAM,
        0,
        CommandMessage.of("_result", command.transactionId(), server, info));
    state = State.CONNECTED;
    return null;
  }

  /** §7.2.2.6: the stream name is the key; the decision is the driver's. */
  private Signal onPublish(CommandMessage command, int messageStreamId)
      throws RtmpProtocolException {
    if (state != State.CONNECTED) {
      throw new RtmpProtocolException("duplicate-publish", "publish in state " + state);
    }
    List<Object> arguments = command.arguments();
    if (arguments.isEmpty() || !(arguments.get(0) instanceof String streamName)) {
      throw new RtmpProtocolException("malformed-amf", "publish without a stream name");
    }
    requestedKey = StreamKey.parse(streamName);
    publishStreamId = messageStreamId;
    state = State.PUBLISH_PENDING;
    return Signal.PUBLISH_REQUESTED;
  }

  /** {@code live?x=y} and {@code live/} (as some clients send it) both name {@code live}. */
  private static String normalizeApp(String app) {
    int query = app.indexOf('?');
    String name = query >= 0 ? app.substring(0, query) : app;
    while (name.endsWith("/")) {
      name = name.substring(0, name.length() - 1);
    }
    return name;
  }

  private static Map<String, Object> status(String level, String code, String description) {
    Map<String, Object> info = new LinkedHashMap<>();
    info.put("level", level);
    info.put("code", code);
    info.put("description", description);
    return info;
  }

  private void writeResult(double transactionId, Object value) {
    writeCommand(
        COMMAND_CHUNK_STREAM,
        0,
        value == null
            ? CommandMessage.of("_result", transactionId, null)
            : CommandMessage.of("_result", transactionId, null, value));
  }

  private void writeStatus(String level, String code, String description) {
    writeCommand(
        STREAM_CHUNK_STREAM,
        publishStreamId,
        CommandMessage.of("onStatus", 0, null, status(level, code, description)));
  }

  private void writeCommand(int chunkStreamId, int messageStreamId, CommandMessage command) {
    encoder.write(
        output, chunkStreamId, MessageType.COMMAND_AMF0, messageStreamId, 0, command.encode());
  }

  private void writeControl(int typeId, byte[] payload) {
    encoder.write(output, ProtocolControl.CHUNK_STREAM_ID, typeId, 0, 0, payload);
  }

  /** A peer-chosen name, cut and cleaned so it can go into a log line. */
  static String printable(String s) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < s.length() && i < 40; i++) {
      char c = s.charAt(i);
      b.append(c >= 0x20 && c < 0x7F ? c : '?');
    }
    return b.toString();
  }
}

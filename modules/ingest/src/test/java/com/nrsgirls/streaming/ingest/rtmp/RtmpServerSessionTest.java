package com.nrsgirls.streaming.ingest.rtmp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nrsgirls.streaming.core.media.AvcDecoderConfig;
import com.nrsgirls.streaming.core.media.Codec;
import com.nrsgirls.streaming.core.media.MediaPacket;
import com.nrsgirls.streaming.ingest.rtmp.RtmpServerSession.Signal;
import com.nrsgirls.streaming.ingest.rtmp.RtmpServerSession.State;
import com.nrsgirls.streaming.rtmp.ChunkDecoder;
import com.nrsgirls.streaming.rtmp.CommandMessage;
import com.nrsgirls.streaming.rtmp.DataMessage;
import com.nrsgirls.streaming.rtmp.Handshake;
import com.nrsgirls.streaming.rtmp.MessageType;
import com.nrsgirls.streaming.rtmp.ProtocolControl;
import com.nrsgirls.streaming.rtmp.RtmpClientBytes;
import com.nrsgirls.streaming.rtmp.RtmpMessage;
import com.nrsgirls.streaming.rtmp.RtmpProtocolException;
import com.nrsgirls.streaming.rtmp.StreamMetadata;
import com.nrsgirls.streaming.rtmp.UserControl;
import com.nrsgirls.streaming.rtmp.amf.AmfEcmaArray;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The session engine, byte for byte, without sockets or actors. */
class RtmpServerSessionTest {
  private static final String KEY = "live_abcdef123456_SECRET";

  private RtmpServerSession session;
  private RtmpClientBytes client;

  /** What the server sent, decoded like a client would. */
  private ServerOutput server;

  @BeforeEach
  void setUp() {
    session = new RtmpServerSession(SessionSettings.defaults(), new Random(1));
    client = new RtmpClientBytes(2);
    server = new ServerOutput();
  }

  /** Decodes the server's bytes: S0+S1+S2, then chunks. */
  static final class ServerOutput {
    private final ByteArrayOutputStream handshake = new ByteArrayOutputStream();
    private final ChunkDecoder decoder = new ChunkDecoder(1 << 20, 1 << 20, 16);
    private final List<RtmpMessage> messages = new ArrayList<>();

    void read(byte[] bytes) throws RtmpProtocolException {
      ByteBuffer in = ByteBuffer.wrap(bytes);
      int missing = 1 + 2 * Handshake.PACKET_SIZE - handshake.size();
      int n = Math.min(missing, in.remaining());
      handshake.write(bytes, 0, n);
      in.position(n);
      RtmpMessage m;
      while ((m = decoder.next(in)) != null) {
        messages.add(m);
      }
    }

    List<RtmpMessage> take() {
      List<RtmpMessage> taken = new ArrayList<>(messages);
      messages.clear();
      return taken;
    }
  }

  /** Feeds bytes until the session wants more input or signals; collects the output. */
  private Signal feed(ByteBuffer in) throws RtmpProtocolException {
    Signal signal = session.process(in);
    server.read(session.takeOutput());
    return signal;
  }

  private List<Signal> feedAll(byte[] bytes) throws RtmpProtocolException {
    ByteBuffer in = ByteBuffer.wrap(bytes);
    List<Signal> signals = new ArrayList<>();
    Signal s;
    while ((s = feed(in)) != Signal.NEED_INPUT) {
      signals.add(s);
      if (s == Signal.PUBLISH_REQUESTED) {
        break;
      }
    }
    return signals;
  }

  private static CommandMessage command(RtmpMessage m) throws RtmpProtocolException {
    assertEquals(MessageType.COMMAND_AMF0, m.typeId());
    return CommandMessage.parse(m, 16, 100);
  }

  private static Map<?, ?> info(CommandMessage c) {
    return (Map<?, ?>) c.arguments().get(0);
  }

  private void connectAndPublish() throws Exception {
    feedAll(client.handshake().connect("live").take());
    assertEquals(Signal.PUBLISH_REQUESTED, feedAll(client.publish(KEY).take()).get(0));
    session.publishAccepted();
    server.read(session.takeOutput());
    server.take();
  }

  @Test
  void answersConnectLikeAMediaServer() throws Exception {
    assertEquals(List.of(), feedAll(client.handshake().connect("live").take()));

    List<RtmpMessage> out = server.take();
    assertEquals(4, out.size());
    assertEquals(MessageType.WINDOW_ACK_SIZE, out.get(0).typeId());
    assertEquals(2_500_000, ProtocolControl.parseWindowAckSize(out.get(0).payload()));
    assertEquals(MessageType.SET_PEER_BANDWIDTH, out.get(1).typeId());
    assertEquals(MessageType.SET_CHUNK_SIZE, out.get(2).typeId());
    assertEquals(4096, ProtocolControl.parseSetChunkSize(out.get(2).payload()));
    CommandMessage result = command(out.get(3));
    assertEquals("_result", result.name());
    assertEquals(1.0, result.transactionId());
    assertEquals("NetConnection.Connect.Success", info(result).get("code"));
    assertEquals(State.CONNECTED, session.state());
  }

  @Test
  void walksThroughAPublishAsFfmpegSendsIt() throws Exception {
    feedAll(client.handshake().connect("live").take());
    server.take();

    List<Signal> signals = feedAll(client.publish(KEY + "?token=x").take());

    assertEquals(List.of(Signal.PUBLISH_REQUESTED), signals);
    assertEquals("abcdef123456", session.requestedKey().orElseThrow().streamId());
    assertEquals(KEY, session.requestedKey().orElseThrow().reveal(), "the query is not the key");
    List<RtmpMessage> out = server.take();
    assertEquals(List.of("_result", "_result", "_result"), names(out));
    assertEquals(1.0, command(out.get(2)).arguments().get(0), "createStream gives stream 1");
    assertThrows(IllegalStateException.class, () -> session.process(ByteBuffer.allocate(1)));

    session.publishAccepted();
    server.read(session.takeOutput());
    out = server.take();
    assertEquals(MessageType.USER_CONTROL, out.get(0).typeId());
    assertEquals(UserControl.streamBegin(1), UserControl.parse(out.get(0).payload()));
    CommandMessage status = command(out.get(1));
    assertEquals("onStatus", status.name());
    assertEquals(1, out.get(1).messageStreamId());
    assertEquals("NetStream.Publish.Start", info(status).get("code"));
    assertEquals(State.PUBLISHING, session.state());
  }

  private static List<String> names(List<RtmpMessage> messages) throws RtmpProtocolException {
    List<String> names = new ArrayList<>();
    for (RtmpMessage m : messages) {
      names.add(command(m).name());
    }
    return names;
  }

  @Test
  void turnsAudioAndVideoIntoMediaPackets() throws Exception {
    connectAndPublish();
    client.avcSequenceHeader(0).aacSequenceHeader(0).avcFrame(0, true, 66, 500).aacFrame(21, 30);
    client.avcFrame(33, false, 33, 200);

    ByteBuffer in = ByteBuffer.wrap(client.take());
    List<MediaPacket> packets = new ArrayList<>();
    Signal s;
    while ((s = feed(in)) != Signal.NEED_INPUT) {
      assertEquals(Signal.MEDIA, s);
      packets.add(session.takeMedia());
    }

    assertEquals(5, packets.size());
    MediaPacket config = packets.get(0);
    assertTrue(config.isConfig());
    AvcDecoderConfig avc = AvcDecoderConfig.parse(config.array(), config.offset(), config.length());
    assertEquals(640, avc.width());
    assertEquals(360, avc.height());
    assertEquals(Codec.AAC, packets.get(1).codec());
    MediaPacket key = packets.get(2);
    assertTrue(key.isKeyframe());
    assertEquals(0, key.dts());
    assertEquals(66, key.pts());
    assertEquals(504, key.length(), "4-byte NAL length + NAL unit");
    assertEquals(21, packets.get(3).dts());
    assertFalse(packets.get(4).isKeyframe());
    assertEquals(66, packets.get(4).pts());
  }

  @Test
  void keepsTheMetadata() throws Exception {
    connectAndPublish();
    Map<String, Object> meta = new LinkedHashMap<>();
    meta.put("width", 1280.0);
    meta.put("height", 720.0);
    meta.put("framerate", 30.0);
    meta.put("videodatarate", 2500.0);
    meta.put("audiodatarate", 160.0);
    meta.put("encoder", "obs-output module (libobs version 30.0.0)\n");
    client.message(
        4,
        MessageType.DATA_AMF0,
        1,
        0,
        new DataMessage("@setDataFrame", List.of("onMetaData", new AmfEcmaArray(meta))).encode());

    assertEquals(List.of(Signal.METADATA), feedAll(client.take()));

    StreamMetadata m = session.metadata();
    assertEquals(new StreamMetadata(1280, 720, 30, 2500, 160, m.encoder()), m);
    assertEquals("obs-output module (libobs version 30.0.0)?", m.encoder());
  }

  private byte[] metadata(String encoder) {
    Map<String, Object> meta = new LinkedHashMap<>();
    meta.put("width", 1920.0);
    meta.put("encoder", encoder);
    return new DataMessage("@setDataFrame", List.of("onMetaData", new AmfEcmaArray(meta))).encode();
  }

  /** Anyone can send metadata; only a publisher's is read, and each change is reported once. */
  @Test
  void reportsMetadataOnlyWhilePublishingAndWhenItChanges() throws Exception {
    client.handshake().connect("live");
    for (int i = 0; i < 5; i++) {
      client.message(4, MessageType.DATA_AMF0, 0, 0, metadata("before publish"));
    }
    assertEquals(List.of(), feedAll(client.take()));
    assertNull(session.metadata());

    assertEquals(Signal.PUBLISH_REQUESTED, feedAll(client.publish(KEY).take()).get(0));
    session.publishAccepted();
    for (String encoder : new String[] {"a", "a", "a", "b", "b"}) {
      client.message(4, MessageType.DATA_AMF0, 1, 0, metadata(encoder));
    }
    assertEquals(List.of(Signal.METADATA, Signal.METADATA), feedAll(client.take()));
    assertEquals("b", session.metadata().encoder());
  }

  /** Before a publish was accepted only short messages are taken; after it, frames of any size. */
  @Test
  void limitsMessagesUntilAPublishIsAccepted() throws Exception {
    int beforePublish = SessionSettings.defaults().maxMessageLengthBeforePublish();
    assertReason(
        "message-too-long",
        client
            .handshake()
            .connect("live")
            .message(3, MessageType.COMMAND_AMF0, 0, 0, new byte[beforePublish + 1])
            .take());

    setUp();
    connectAndPublish();
    client.avcSequenceHeader(0).avcFrame(33, true, 0, beforePublish * 4);
    ByteBuffer in = ByteBuffer.wrap(client.take());
    assertEquals(Signal.MEDIA, feed(in));
    assertTrue(session.takeMedia().isConfig());
    assertEquals(Signal.MEDIA, feed(in));
    assertEquals(4 + beforePublish * 4, session.takeMedia().length());
  }

  @Test
  void endsThePublishOnDeleteStream() throws Exception {
    connectAndPublish();
    client.command(3, 0, CommandMessage.of("FCUnpublish", 6, null, KEY));
    client.command(3, 0, CommandMessage.of("deleteStream", 7, null, 1.0));
    client.aacFrame(100, 10); // a straggler is ignored

    assertEquals(List.of(Signal.PUBLISH_ENDED), feedAll(client.take()));
    assertEquals(State.PUBLISH_ENDED, session.state());
  }

  @Test
  void rejectsWithAnErrorStatus() throws Exception {
    feedAll(client.handshake().connect("live").publish(KEY).take());
    server.take();

    session.publishRejected("NetStream.Publish.BadName", "Stream key rejected.");
    server.read(session.takeOutput());

    CommandMessage status = command(server.take().get(0));
    assertEquals("onStatus", status.name());
    assertEquals("error", info(status).get("level"));
    assertEquals("NetStream.Publish.BadName", info(status).get("code"));
    assertEquals(State.CLOSED, session.state());
  }

  @Test
  void offersAnEmptyKeyForNamesThatAreNoKeys() throws Exception {
    assertEquals(
        List.of(Signal.PUBLISH_REQUESTED),
        feedAll(client.handshake().connect("live").publish("mystream").take()));
    assertTrue(session.requestedKey().isEmpty());
  }

  @Test
  void acceptsAmf3CommandMessages() throws Exception {
    Map<String, Object> properties = Map.of("app", "live", "objectEncoding", 3.0);
    byte[] amf0 = CommandMessage.of("connect", 1, properties).encode();
    byte[] amf3 = new byte[amf0.length + 1];
    System.arraycopy(amf0, 0, amf3, 1, amf0.length);
    client.handshake().message(3, MessageType.COMMAND_AMF3, 0, 0, amf3);

    feedAll(client.take());

    assertEquals(State.CONNECTED, session.state());
    CommandMessage result = command(server.take().get(3));
    assertEquals(3.0, info(result).get("objectEncoding"));
  }

  @Test
  void answersPingsAndAcknowledgesWindows() throws Exception {
    feedAll(client.handshake().connect("live").take());
    server.take();
    client.message(2, MessageType.WINDOW_ACK_SIZE, 0, 0, ProtocolControl.windowAckSize(5000));
    client.message(
        2,
        MessageType.USER_CONTROL,
        0,
        0,
        new UserControl(UserControl.EVENT_PING_REQUEST, 77, 0).write());
    for (int i = 0; i < 10; i++) {
      client.command(3, 0, CommandMessage.of("_checkbw", 0, null, "x".repeat(600)));
    }

    feedAll(client.take());

    List<RtmpMessage> out = server.take();
    assertEquals(MessageType.USER_CONTROL, out.get(0).typeId());
    assertEquals(UserControl.pingResponse(77), UserControl.parse(out.get(0).payload()));
    RtmpMessage ack = out.get(1);
    assertEquals(MessageType.ACKNOWLEDGEMENT, ack.typeId());
    long sequence = ProtocolControl.parseAcknowledgement(ack.payload());
    assertTrue(sequence >= 5000 && sequence < session.bytesReceived(), "sequence " + sequence);
  }

  @Test
  void refusesCommandsBeforeConnect() throws Exception {
    assertReason(
        "publish-before-connect",
        client.handshake().command(4, 1, CommandMessage.of("publish", 5, null, KEY)).take());
    setUp();
    assertReason(
        "command-before-connect",
        client.handshake().command(3, 0, CommandMessage.of("createStream", 2, null)).take());
  }

  @Test
  void refusesMediaBeforePublish() throws Exception {
    assertReason(
        "media-before-publish", client.handshake().connect("live").aacSequenceHeader(0).take());
  }

  @Test
  void refusesMalformedCommands() throws Exception {
    assertReason(
        "malformed-amf",
        client
            .handshake()
            .message(3, MessageType.COMMAND_AMF0, 0, 0, new byte[] {2, 0, 7, 'c'})
            .take());
    setUp();
    assertReason(
        "malformed-amf",
        client.handshake().message(3, MessageType.COMMAND_AMF0, 0, 0, new byte[] {0, 0}).take());
  }

  @Test
  void refusesUnsupportedMedia() throws Exception {
    connectAndPublish();
    // FLV codec id 2: Sorenson H.263
    assertReason(
        "malformed-media", client.message(6, MessageType.VIDEO, 1, 0, new byte[] {0x12, 1}).take());
  }

  @Test
  void refusesPlayWithAFailedStatus() throws Exception {
    feedAll(client.handshake().connect("live").take());
    server.take();
    assertReason(
        "play-not-supported", client.command(8, 1, CommandMessage.of("play", 4, null, KEY)).take());
    CommandMessage status = command(server.take().get(0));
    assertEquals("NetStream.Play.Failed", info(status).get("code"));
  }

  @Test
  void refusesOtherApplications() throws Exception {
    assertReason("unknown-app", client.handshake().connect("vod").take());
    assertEquals("_error", command(server.take().get(0)).name());
    setUp();
    feedAll(client.handshake().connect("live/?x=1").take());
    assertEquals(State.CONNECTED, session.state(), "query and trailing slash ignored");
  }

  @Test
  void splitsAggregateMessagesIntoPackets() throws Exception {
    connectAndPublish();
    ByteArrayOutputStream aggregate = new ByteArrayOutputStream();
    byte[] audio = {(byte) 0xAF, 1, 9, 9, 9};
    for (int ts : new int[] {5000, 5021}) {
      aggregate.write(MessageType.AUDIO);
      aggregate.write(0);
      aggregate.write(0);
      aggregate.write(audio.length);
      aggregate.write(ts >> 16);
      aggregate.write(ts >> 8);
      aggregate.write(ts);
      aggregate.write(0);
      aggregate.write(new byte[3], 0, 3);
      aggregate.write(audio, 0, audio.length);
      aggregate.write(new byte[4], 0, 4);
    }
    client.message(4, MessageType.AGGREGATE, 1, 100, aggregate.toByteArray());

    ByteBuffer in = ByteBuffer.wrap(client.take());
    assertEquals(Signal.MEDIA, feed(in));
    MediaPacket first = session.takeMedia();
    assertEquals(Signal.MEDIA, feed(in));
    MediaPacket second = session.takeMedia();
    assertEquals(Signal.NEED_INPUT, feed(in));

    assertEquals(100, first.dts());
    assertEquals(121, second.dts());
    assertArrayEquals(new byte[] {9, 9, 9}, second.payloadCopy());
  }

  private void assertReason(String reason, byte[] input) {
    RtmpProtocolException e =
        assertThrows(
            RtmpProtocolException.class,
            () -> {
              ByteBuffer in = ByteBuffer.wrap(input);
              while (feed(in) != Signal.NEED_INPUT) {
                session.takeMedia();
              }
            });
    assertEquals(reason, e.reason());
    try {
      server.read(session.takeOutput());
    } catch (RtmpProtocolException ex) {
      throw new AssertionError(ex);
    }
    assertNotNull(e.getMessage());
  }
}

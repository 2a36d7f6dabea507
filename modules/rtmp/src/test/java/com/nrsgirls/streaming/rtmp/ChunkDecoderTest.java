package com.nrsgirls.streaming.rtmp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nrsgirls.streaming.testkit.Mutator;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ChunkDecoderTest {
  private static final int MAX_MESSAGE = 64 * 1024;

  /** Hand-built chunk bytes, field by field as §5.3.1 lays them out. */
  static final class Wire {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    Wire basic(int fmt, int csid) {
      ChunkEncoder.writeBasicHeader(out, fmt, csid);
      return this;
    }

    Wire u8(int v) {
      out.write(v);
      return this;
    }

    Wire u24(int v) {
      out.write(v >>> 16);
      out.write(v >>> 8);
      out.write(v);
      return this;
    }

    Wire u32(int v) {
      out.write(v >>> 24);
      out.write(v >>> 16);
      out.write(v >>> 8);
      out.write(v);
      return this;
    }

    Wire le32(int v) {
      out.write(v);
      out.write(v >>> 8);
      out.write(v >>> 16);
      out.write(v >>> 24);
      return this;
    }

    Wire bytes(byte[] b, int from, int to) {
      out.write(b, from, to - from);
      return this;
    }

    /** Type 0 header: timestamp (or 0xFFFFFF), length, type, little-endian stream id. */
    Wire type0(int csid, int timestamp, int length, int type, int msid) {
      return basic(0, csid).u24(timestamp).u24(length).u8(type).le32(msid);
    }

    byte[] toBytes() {
      return out.toByteArray();
    }
  }

  private static ChunkDecoder decoder() {
    return new ChunkDecoder(MAX_MESSAGE, 1024 * 1024, 16);
  }

  private static List<RtmpMessage> decodeAll(ChunkDecoder decoder, byte[] bytes)
      throws RtmpProtocolException {
    List<RtmpMessage> messages = new ArrayList<>();
    ByteBuffer in = ByteBuffer.wrap(bytes);
    RtmpMessage m;
    while ((m = decoder.next(in)) != null) {
      messages.add(m);
    }
    assertEquals(0, in.remaining(), "a null result means all input was read");
    return messages;
  }

  private static byte[] payload(int length, long seed) {
    byte[] b = new byte[length];
    new Random(seed).nextBytes(b);
    return b;
  }

  @Test
  void decodesATypeZeroMessageInOneChunk() throws Exception {
    byte[] p = payload(10, 1);
    byte[] wire = new Wire().type0(3, 1000, 10, 20, 0).bytes(p, 0, 10).toBytes();

    List<RtmpMessage> messages = decodeAll(decoder(), wire);

    assertEquals(1, messages.size());
    RtmpMessage m = messages.get(0);
    assertEquals(3, m.chunkStreamId());
    assertEquals(20, m.typeId());
    assertEquals(0, m.messageStreamId());
    assertEquals(1000, m.timestamp());
    assertArrayEquals(p, m.payload());
  }

  @Test
  void readsTheMessageStreamIdLittleEndian() throws Exception {
    byte[] wire = new Wire().type0(4, 0, 1, 8, 0x01020304).u8(0xAF).toBytes();
    assertEquals(0x01020304, decodeAll(decoder(), wire).get(0).messageStreamId());
  }

  @Test
  void joinsTypeThreeContinuationChunks() throws Exception {
    byte[] p = payload(300, 2);
    byte[] wire =
        new Wire()
            .type0(4, 0, 300, 9, 1)
            .bytes(p, 0, 128)
            .basic(3, 4)
            .bytes(p, 128, 256)
            .basic(3, 4)
            .bytes(p, 256, 300)
            .toBytes();

    List<RtmpMessage> messages = decodeAll(decoder(), wire);

    assertEquals(1, messages.size());
    assertArrayEquals(p, messages.get(0).payload());
  }

  @Test
  void interleavesMessagesOfTwoChunkStreams() throws Exception {
    byte[] video = payload(200, 3);
    byte[] audio = payload(20, 4);
    byte[] wire =
        new Wire()
            .type0(6, 100, 200, 9, 1)
            .bytes(video, 0, 128)
            .type0(4, 90, 20, 8, 1)
            .bytes(audio, 0, 20)
            .basic(3, 6)
            .bytes(video, 128, 200)
            .toBytes();

    List<RtmpMessage> messages = decodeAll(decoder(), wire);

    assertEquals(2, messages.size());
    assertEquals(8, messages.get(0).typeId());
    assertArrayEquals(audio, messages.get(0).payload());
    assertEquals(90, messages.get(0).timestamp());
    assertEquals(9, messages.get(1).typeId());
    assertArrayEquals(video, messages.get(1).payload());
    assertEquals(100, messages.get(1).timestamp());
  }

  @Test
  void appliesTimestampDeltasOfTypesOneTwoAndThree() throws Exception {
    byte[] wire =
        new Wire()
            .type0(4, 1000, 2, 8, 1)
            .u8(0xAF)
            .u8(1)
            .basic(1, 4) // delta 20, new length 3
            .u24(20)
            .u24(3)
            .u8(8)
            .u8(0xAF)
            .u8(1)
            .u8(7)
            .basic(2, 4) // delta 30, same length and type
            .u24(30)
            .u8(0xAF)
            .u8(1)
            .u8(8)
            .basic(3, 4) // same delta again
            .u8(0xAF)
            .u8(1)
            .u8(9)
            .toBytes();

    List<RtmpMessage> messages = decodeAll(decoder(), wire);

    assertEquals(
        List.of(1000L, 1020L, 1050L, 1080L),
        messages.stream().map(RtmpMessage::timestamp).toList());
    assertEquals(3, messages.get(3).payload().length);
    assertEquals(9, messages.get(3).payload()[2]);
  }

  @Test
  void typeThreeAfterTypeZeroUsesTheTimestampAsDelta() throws Exception {
    // §5.3.1.2.4: a type 3 chunk may follow a type 0 chunk when the delta equals the first
    // message's timestamp
    byte[] wire = new Wire().type0(4, 40, 1, 8, 1).u8(0xAF).basic(3, 4).u8(0xAF).toBytes();

    List<RtmpMessage> messages = decodeAll(decoder(), wire);

    assertEquals(List.of(40L, 80L), messages.stream().map(RtmpMessage::timestamp).toList());
  }

  @Test
  void decodesTwoAndThreeByteBasicHeaders() throws Exception {
    for (int csid : new int[] {2, 63, 64, 319, 320, 1000, ChunkDecoder.MAX_CHUNK_STREAM_ID}) {
      byte[] p = payload(150, csid);
      byte[] wire =
          new Wire()
              .type0(csid, 5, 150, 9, 1)
              .bytes(p, 0, 128)
              .basic(3, csid)
              .bytes(p, 128, 150)
              .toBytes();
      int basicLength = csid < 64 ? 1 : csid < 320 ? 2 : 3;
      assertEquals(basicLength + 11 + 150 + basicLength, wire.length);

      RtmpMessage m = decodeAll(decoder(), wire).get(0);

      assertEquals(csid, m.chunkStreamId());
      assertArrayEquals(p, m.payload());
    }
  }

  @Test
  void readsExtendedTimestampsRepeatedInTypeThreeChunks() throws Exception {
    int ts = 0x01000000;
    byte[] p = payload(200, 5);
    byte[] wire =
        new Wire()
            .type0(6, 0xFFFFFF, 200, 9, 1)
            .u32(ts)
            .bytes(p, 0, 128)
            .basic(3, 6)
            .u32(ts) // as ffmpeg and OBS send it
            .bytes(p, 128, 200)
            .toBytes();

    List<RtmpMessage> messages = decodeAll(decoder(), wire);

    assertEquals(1, messages.size());
    assertEquals(ts, messages.get(0).timestamp());
    assertArrayEquals(p, messages.get(0).payload());
  }

  @Test
  void readsExtendedTimestampDeltas() throws Exception {
    int delta = 0x01000005;
    byte[] wire =
        new Wire()
            .type0(4, 10, 1, 8, 1)
            .u8(0xAF)
            .basic(2, 4)
            .u24(0xFFFFFF)
            .u32(delta)
            .u8(0xAF)
            .basic(3, 4) // a new message repeating the extended delta
            .u32(delta)
            .u8(0xAF)
            .toBytes();

    List<RtmpMessage> messages = decodeAll(decoder(), wire);

    assertEquals(
        List.of(10L, 10L + delta, 10L + 2L * delta),
        messages.stream().map(RtmpMessage::timestamp).toList());
  }

  @Test
  void acceptsInputSplitAtEveryBoundary() throws Exception {
    byte[] wire = sampleStream();
    List<RtmpMessage> whole = decodeAll(decoder(), wire);
    assertEquals(6, whole.size());

    for (int split = 1; split < wire.length; split++) {
      ChunkDecoder d = decoder();
      List<RtmpMessage> parts = new ArrayList<>(decodeAll(d, Arrays.copyOf(wire, split)));
      parts.addAll(decodeAll(d, Arrays.copyOfRange(wire, split, wire.length)));
      assertSameMessages(whole, parts);
    }

    ChunkDecoder byteByByte = decoder();
    List<RtmpMessage> single = new ArrayList<>();
    for (byte b : wire) {
      single.addAll(decodeAll(byteByByte, new byte[] {b}));
    }
    assertSameMessages(whole, single);
  }

  /** Several messages: chunk size change, extended timestamps, interleaving, empty message. */
  private static byte[] sampleStream() {
    RtmpClientBytes c = new RtmpClientBytes(1);
    c.message(3, MessageType.COMMAND_AMF0, 0, 0, payload(300, 6));
    c.chunkSize(200);
    c.message(6, MessageType.VIDEO, 1, 0x1FFFFFF, payload(450, 7));
    c.message(4, MessageType.AUDIO, 1, 33, new byte[0]);
    c.message(70, MessageType.AUDIO, 1, 34, payload(5, 8));
    c.message(400, MessageType.DATA_AMF0, 1, 35, payload(201, 9));
    return c.bytes();
  }

  private static void assertSameMessages(List<RtmpMessage> expected, List<RtmpMessage> actual) {
    assertEquals(expected.size(), actual.size());
    for (int i = 0; i < expected.size(); i++) {
      RtmpMessage e = expected.get(i);
      RtmpMessage a = actual.get(i);
      assertEquals(e.toString(), a.toString());
      assertArrayEquals(e.payload(), a.payload());
    }
  }

  @Test
  void appliesSetChunkSize() throws Exception {
    byte[] p = payload(3000, 10);
    byte[] wire =
        new Wire()
            .type0(2, 0, 4, MessageType.SET_CHUNK_SIZE, 0)
            .u32(4096)
            .type0(6, 0, 3000, 9, 1)
            .bytes(p, 0, 3000)
            .toBytes();
    ChunkDecoder d = decoder();

    List<RtmpMessage> messages = decodeAll(d, wire);

    assertEquals(4096, d.chunkSize());
    assertEquals(2, messages.size());
    assertEquals(MessageType.SET_CHUNK_SIZE, messages.get(0).typeId());
    assertArrayEquals(p, messages.get(1).payload());
  }

  @Test
  void refusesChunkSizesOutOfRange() {
    for (int size : new int[] {0, 0x80000000, 0xFFFFFFFF, 1024 * 1024 + 1}) {
      byte[] wire = new Wire().type0(2, 0, 4, MessageType.SET_CHUNK_SIZE, 0).u32(size).toBytes();
      RtmpProtocolException e =
          assertThrows(RtmpProtocolException.class, () -> decodeAll(decoder(), wire));
      assertEquals("chunk-size-out-of-range", e.reason(), "size " + size);
    }
  }

  @Test
  void refusesAShortSetChunkSize() {
    byte[] wire = new Wire().type0(2, 0, 2, MessageType.SET_CHUNK_SIZE, 0).u8(1).u8(0).toBytes();
    RtmpProtocolException e =
        assertThrows(RtmpProtocolException.class, () -> decodeAll(decoder(), wire));
    assertEquals("malformed-control", e.reason());
  }

  @Test
  void abortDropsThePartialMessage() throws Exception {
    byte[] dropped = payload(300, 11);
    byte[] kept = payload(10, 12);
    byte[] wire =
        new Wire()
            .type0(6, 0, 300, 9, 1)
            .bytes(dropped, 0, 128)
            .type0(2, 0, 4, MessageType.ABORT, 0)
            .u32(6)
            .type0(6, 50, 10, 9, 1)
            .bytes(kept, 0, 10)
            .toBytes();

    List<RtmpMessage> messages = decodeAll(decoder(), wire);

    assertEquals(2, messages.size());
    assertEquals(MessageType.ABORT, messages.get(0).typeId());
    assertArrayEquals(kept, messages.get(1).payload());
    assertEquals(50, messages.get(1).timestamp());
  }

  @Test
  void limitsTheBytesThrownAwayByAbort() {
    Wire w = new Wire();
    for (int i = 0; i < 3; i++) {
      w.type0(6, 0, MAX_MESSAGE, 9, 1).bytes(new byte[128], 0, 128);
      w.type0(2, 0, 4, MessageType.ABORT, 0).u32(6);
    }
    RtmpProtocolException e =
        assertThrows(RtmpProtocolException.class, () -> decodeAll(decoder(), w.toBytes()));
    assertEquals("too-many-aborts", e.reason());
  }

  @Test
  void refusesANewHeaderInsideAMessage() {
    byte[] wire =
        new Wire()
            .type0(6, 0, 300, 9, 1)
            .bytes(payload(128, 1), 0, 128)
            .type0(6, 50, 10, 9, 1)
            .toBytes();
    RtmpProtocolException e =
        assertThrows(RtmpProtocolException.class, () -> decodeAll(decoder(), wire));
    assertEquals("bad-chunk-header", e.reason());
  }

  @Test
  void refusesAChunkStreamThatDoesNotStartWithTypeZero() {
    for (int fmt = 1; fmt <= 3; fmt++) {
      byte[] wire = new Wire().basic(fmt, 5).u24(0).u24(1).u8(8).u8(0xAF).toBytes();
      RtmpProtocolException e =
          assertThrows(RtmpProtocolException.class, () -> decodeAll(decoder(), wire));
      assertEquals("bad-chunk-header", e.reason());
    }
  }

  @Test
  void refusesMessagesOverTheLimit() {
    byte[] wire = new Wire().type0(6, 0, MAX_MESSAGE + 1, 9, 1).toBytes();
    RtmpProtocolException e =
        assertThrows(RtmpProtocolException.class, () -> decodeAll(decoder(), wire));
    assertEquals("message-too-long", e.reason());
  }

  @Test
  void limitsTheBytesHeldByMessagesInProgress() {
    Wire w = new Wire();
    for (int csid = 3; csid < 6; csid++) {
      w.type0(csid, 0, MAX_MESSAGE, 9, 1).bytes(new byte[128], 0, 128);
    }
    RtmpProtocolException e =
        assertThrows(RtmpProtocolException.class, () -> decodeAll(decoder(), w.toBytes()));
    assertEquals("message-too-long", e.reason());
  }

  /**
   * A header may declare a long message; the decoder must not allocate for it before the bytes
   * come, or a few bytes per connection would pin megabytes.
   */
  @Test
  void aDeclaredLengthCostsNothingUntilItsBytesArrive() throws Exception {
    byte[] wire = new Wire().type0(6, 0, 0xFFFFFF, 9, 1).bytes(payload(100, 3), 0, 100).toBytes();
    // the first run loads classes
    new ChunkDecoder(0xFFFFFF, 1024 * 1024, 16).next(ByteBuffer.wrap(wire));
    ChunkDecoder decoder = new ChunkDecoder(0xFFFFFF, 1024 * 1024, 16);

    long before = Mutator.allocatedBytes();
    assertNull(decoder.next(ByteBuffer.wrap(wire)));
    long allocated = Mutator.allocatedBytes() - before;

    if (before >= 0) {
      assertTrue(allocated < 16 * 1024, allocated + " bytes allocated for 100 received");
    }
  }

  @Test
  void growsTheArrayOfALongMessageAsItsChunksArrive() throws Exception {
    for (int chunkSize : new int[] {128, 4096}) {
      int length = 100_000;
      byte[] p = payload(length, chunkSize);
      Wire w = new Wire();
      if (chunkSize != ChunkDecoder.DEFAULT_CHUNK_SIZE) {
        w.type0(2, 0, 4, MessageType.SET_CHUNK_SIZE, 0).u32(chunkSize);
      }
      w.type0(6, 0, length, 9, 1);
      for (int pos = 0; pos < length; pos += chunkSize) {
        if (pos > 0) {
          w.basic(3, 6);
        }
        w.bytes(p, pos, Math.min(length, pos + chunkSize));
      }
      List<RtmpMessage> messages = decodeAll(new ChunkDecoder(length, 1 << 20, 16), w.toBytes());

      RtmpMessage m = messages.get(messages.size() - 1);
      assertArrayEquals(p, m.payload(), "chunk size " + chunkSize);
    }
  }

  @Test
  void raisesTheMessageLimitWhenTold() throws Exception {
    ChunkDecoder decoder = new ChunkDecoder(1000, 1024 * 1024, 16);
    byte[] big = new Wire().type0(6, 0, 2000, 9, 1).toBytes();
    RtmpProtocolException e =
        assertThrows(RtmpProtocolException.class, () -> decoder.next(ByteBuffer.wrap(big)));
    assertEquals("message-too-long", e.reason());

    ChunkDecoder raised = new ChunkDecoder(1000, 1024 * 1024, 16);
    raised.trustPeer(2000);
    byte[] p = payload(2000, 4);
    Wire w = new Wire().type0(6, 0, 2000, 9, 1);
    for (int pos = 0; pos < 2000; pos += 128) {
      if (pos > 0) {
        w.basic(3, 6);
      }
      w.bytes(p, pos, Math.min(2000, pos + 128));
    }
    assertArrayEquals(p, decodeAll(raised, w.toBytes()).get(0).payload());
  }

  @Test
  void limitsTheNumberOfChunkStreams() {
    Wire w = new Wire();
    for (int csid = 3; csid < 3 + 17; csid++) {
      w.type0(csid, 0, 1, 8, 1).u8(0xAF);
    }
    RtmpProtocolException e =
        assertThrows(RtmpProtocolException.class, () -> decodeAll(decoder(), w.toBytes()));
    assertEquals("too-many-chunk-streams", e.reason());
  }

  @Test
  void refusesUndefinedMessageTypes() {
    for (int type : new int[] {0, 7, 10, 14, 21, 23, 0x30, 0xFF}) {
      byte[] wire = new Wire().type0(3, 0, 1, type, 0).u8(0).toBytes();
      RtmpProtocolException e =
          assertThrows(RtmpProtocolException.class, () -> decodeAll(decoder(), wire));
      assertEquals("unknown-message-type", e.reason());
    }
  }

  @Test
  void deliversEmptyMessages() throws Exception {
    byte[] wire = new Wire().type0(3, 7, 0, 20, 0).type0(4, 8, 1, 8, 1).u8(0xAF).toBytes();
    List<RtmpMessage> messages = decodeAll(decoder(), wire);
    assertEquals(2, messages.size());
    assertEquals(0, messages.get(0).payload().length);
  }

  @Test
  void extendsTimestampsPastTheThirtyTwoBitWrap() throws Exception {
    byte[] wire =
        new Wire()
            .type0(6, 0xFFFFFF, 1, 9, 1)
            .u32(0xFFFFFFF0)
            .u8(0x17)
            .basic(2, 6) // +0x20: wraps to 0x10
            .u24(0x20)
            .u8(0x17)
            .type0(4, 0xFFFFFF, 1, 8, 1) // audio a little behind, before the wrap
            .u32(0xFFFFFFF8)
            .u8(0xAF)
            .basic(2, 6) // video on, after the wrap
            .u24(0x20)
            .u8(0x17)
            .type0(5, 0xFFFFFF, 1, 8, 2) // another message stream keeps its own reckoning
            .u32(0xFFFFFFF8)
            .u8(0xAF)
            .toBytes();

    List<RtmpMessage> messages = decodeAll(decoder(), wire);

    assertEquals(
        List.of(0xFFFFFFF0L, 0x100000010L, 0xFFFFFFF8L, 0x100000030L, 0xFFFFFFF8L),
        messages.stream().map(RtmpMessage::timestamp).toList());
  }

  @Test
  void returnsNullWhenAMessageIsIncomplete() throws Exception {
    byte[] wire = new Wire().type0(3, 0, 10, 20, 0).bytes(payload(5, 1), 0, 5).toBytes();
    ByteBuffer in = ByteBuffer.wrap(wire);
    assertNull(decoder().next(in));
    assertEquals(0, in.remaining());
  }
}

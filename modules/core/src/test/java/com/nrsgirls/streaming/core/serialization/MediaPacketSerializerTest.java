package com.nrsgirls.streaming.core.serialization;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nrsgirls.streaming.core.media.Codec;
import com.nrsgirls.streaming.core.media.MediaPacket;
import java.io.NotSerializableException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.Serializer;
import org.apache.pekko.serialization.SerializerWithStringManifest;
import org.apache.pekko.serialization.Serializers;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The packet serializer as Pekko finds it through core's reference.conf binding, so a broken
 * binding fails here rather than on the first StreamRef between two nodes.
 */
@ExtendWith(LogCapturingExtension.class)
class MediaPacketSerializerTest {
  private static final ActorTestKit testKit = ActorTestKit.create();
  private static final Serialization serialization =
      SerializationExtension.get(testKit.system().classicSystem());
  private static final int HEADER = 17;

  private static final byte[] PAYLOAD = {0, 0, 0, 2, 0x09, (byte) 0xF0, 0x41, (byte) 0x9A};

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  @Test
  void mediaPacketsAreBoundToTheCompactSerializer() {
    Serializer serializer = serialization.findSerializerFor(packet(Codec.H264, PAYLOAD));
    assertInstanceOf(MediaPacketSerializer.class, serializer);
    assertEquals(730_001, serializer.identifier());
    assertEquals("P", Serializers.manifestFor(serializer, packet(Codec.AAC, PAYLOAD)));
  }

  @ParameterizedTest
  @EnumSource(Codec.class)
  void roundTripsEveryCodec(Codec codec) throws Exception {
    MediaPacket original =
        new MediaPacket(
            codec,
            (1L << 32) + 123,
            -42,
            MediaPacket.FLAG_KEYFRAME | MediaPacket.FLAG_CONFIG,
            PAYLOAD,
            0,
            PAYLOAD.length);
    MediaPacket copy = roundTrip(original);
    assertEquals(codec, copy.codec());
    assertEquals(original.dts(), copy.dts());
    assertEquals(-42, copy.compositionOffset());
    assertEquals(original.pts(), copy.pts());
    assertEquals(original.flags(), copy.flags());
    assertTrue(copy.isKeyframe() && copy.isConfig());
    assertArrayEquals(PAYLOAD, copy.payloadCopy());
  }

  @Test
  void roundTripsExtremeTimesAndAnEmptyPayload() throws Exception {
    MediaPacket original =
        new MediaPacket(Codec.AAC, Long.MIN_VALUE + 1, Integer.MAX_VALUE, 0, new byte[0], 0, 0);
    MediaPacket copy = roundTrip(original);
    assertEquals(Long.MIN_VALUE + 1, copy.dts());
    assertEquals(Integer.MAX_VALUE, copy.compositionOffset());
    assertEquals(0, copy.flags());
    assertEquals(0, copy.length());
  }

  @Test
  void writesTheDocumentedHeaderThenOnlyThePayloadView() throws Exception {
    byte[] array = new byte[32];
    Arrays.fill(array, (byte) 0xEE);
    System.arraycopy(PAYLOAD, 0, array, 7, PAYLOAD.length);
    MediaPacket view =
        new MediaPacket(Codec.AAC, 0x0102030405060708L, 0x0A0B0C0D, 1, array, 7, PAYLOAD.length);

    byte[] bytes = serialization.serialize(view).get();

    assertEquals(HEADER + PAYLOAD.length, bytes.length);
    ByteBuffer buf = ByteBuffer.wrap(bytes);
    assertEquals(1, buf.get(), "version");
    assertEquals(Codec.AAC.ordinal(), buf.get(), "codec");
    assertEquals(1, buf.get(), "flags");
    assertEquals(0x0102030405060708L, buf.getLong(), "dts, big-endian");
    assertEquals(0x0A0B0C0D, buf.getInt(), "composition offset");
    assertEquals(0, buf.getShort(), "reserved");
    assertArrayEquals(PAYLOAD, Arrays.copyOfRange(bytes, HEADER, bytes.length));

    MediaPacket copy = roundTrip(view);
    assertEquals(PAYLOAD.length, copy.length());
    assertArrayEquals(PAYLOAD, copy.payloadCopy());
  }

  @Test
  void rejectsAWrongManifest() {
    byte[] bytes = serialization.serialize(packet(Codec.H264, PAYLOAD)).get();
    assertThrows(NotSerializableException.class, () -> serializer().fromBinary(bytes, "Q"));
    assertThrows(NotSerializableException.class, () -> serializer().fromBinary(bytes, ""));
    Throwable failure = serialization.deserialize(bytes, 730_001, "Q").failed().get();
    assertInstanceOf(NotSerializableException.class, failure);
  }

  @Test
  void rejectsTruncatedBytes() {
    byte[] bytes = serialization.serialize(packet(Codec.H264, PAYLOAD)).get();
    for (int length = 0; length < HEADER; length++) {
      byte[] cut = Arrays.copyOf(bytes, length);
      assertThrows(
          NotSerializableException.class,
          () -> serializer().fromBinary(cut, "P"),
          "cut at " + length);
    }
  }

  @Test
  void rejectsAnotherVersion() {
    byte[] bytes = serialization.serialize(packet(Codec.H264, PAYLOAD)).get();
    bytes[0] = 2;
    assertThrows(NotSerializableException.class, () -> serializer().fromBinary(bytes, "P"));
  }

  @Test
  void rejectsUnknownCodecs() {
    byte[] bytes = serialization.serialize(packet(Codec.H264, PAYLOAD)).get();
    for (int codec : new int[] {Codec.values().length, 0x7F, 0xFF}) {
      bytes[1] = (byte) codec;
      assertThrows(
          NotSerializableException.class,
          () -> serializer().fromBinary(bytes, "P"),
          "codec " + codec);
    }
  }

  /**
   * Artery's way: written straight into its pooled direct buffer, read back out of one it then
   * reuses; a large keyframe's payload survives the buffer being overwritten.
   */
  @Test
  void roundTripsThroughAReusedDirectBuffer() throws Exception {
    byte[] payload = new byte[600_000];
    new java.util.Random(7).nextBytes(payload);
    byte[] framed = new byte[payload.length + 10];
    System.arraycopy(payload, 0, framed, 5, payload.length);
    MediaPacket original =
        new MediaPacket(
            Codec.H264, 123_456, -40, MediaPacket.FLAG_KEYFRAME, framed, 5, payload.length);
    org.apache.pekko.serialization.ByteBufferSerializer s =
        (org.apache.pekko.serialization.ByteBufferSerializer) serializer();
    ByteBuffer pooled = ByteBuffer.allocateDirect(1 << 20);
    s.toBinary(original, pooled);
    assertEquals(HEADER + payload.length, pooled.position(), "the header and the view, no more");
    pooled.flip();
    MediaPacket copy = (MediaPacket) s.fromBinary(pooled, "P");
    pooled.clear();
    while (pooled.hasRemaining()) {
      pooled.put((byte) 0x55); // Artery reuses the buffer for the next frame
    }
    assertEquals(123_456, copy.dts());
    assertEquals(-40, copy.compositionOffset());
    assertTrue(copy.isKeyframe());
    assertArrayEquals(
        payload, Arrays.copyOfRange(copy.array(), copy.offset(), copy.offset() + copy.length()));
  }

  @Test
  void refusesToSerializeAnythingElse() {
    assertThrows(IllegalArgumentException.class, () -> serializer().toBinary("not a packet"));
  }

  private static SerializerWithStringManifest serializer() {
    return (SerializerWithStringManifest)
        serialization.findSerializerFor(packet(Codec.H264, PAYLOAD));
  }

  private static MediaPacket packet(Codec codec, byte[] payload) {
    return new MediaPacket(codec, 0, 0, 0, payload, 0, payload.length);
  }

  private static MediaPacket roundTrip(MediaPacket packet) {
    Serializer serializer = serialization.findSerializerFor(packet);
    byte[] bytes = serialization.serialize(packet).get();
    return (MediaPacket)
        serialization
            .deserialize(
                bytes, serializer.identifier(), Serializers.manifestFor(serializer, packet))
            .get();
  }
}

package com.nrsgirls.streaming.rtmp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ChunkEncoderTest {

  @Test
  void writesATypeZeroHeaderByteForByte() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    new ChunkEncoder().write(out, 3, 20, 0x01020304, 0x0A0B0C, new byte[] {9, 8});
    assertArrayEquals(
        new byte[] {
          0x03, // fmt 0, csid 3
          0x0A, 0x0B, 0x0C, // timestamp
          0x00, 0x00, 0x02, // length
          20, // type
          0x04, 0x03, 0x02, 0x01, // stream id, little-endian
          9, 8
        },
        out.toByteArray());
  }

  @Test
  void splitsIntoTypeThreeChunksRepeatingTheExtendedTimestamp() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] payload = new byte[130];
    new ChunkEncoder().write(out, 4, 9, 1, 0x12345678L, payload);
    byte[] b = out.toByteArray();
    assertEquals(1 + 11 + 4 + 128 + 1 + 4 + 2, b.length);
    assertEquals((byte) 0xFF, b[1], "timestamp field says extended");
    assertEquals(0x12, b[12]);
    int continuation = 1 + 11 + 4 + 128;
    assertEquals((byte) 0xC4, b[continuation], "fmt 3, csid 4");
    assertEquals(0x12, b[continuation + 1], "extended timestamp repeated");
    assertEquals(0x78, b[continuation + 4]);
  }

  @Test
  void roundTripsThroughTheDecoder() throws Exception {
    Random random = new Random(42);
    int[] csids = {2, 3, 63, 64, 319, 320, 65599};
    int[] lengths = {0, 1, 127, 128, 129, 4095, 4096, 4097, 20000};
    long[] timestamps = {0, 1, 0xFFFFFE, 0xFFFFFF, 0x1000000, 0x12345678L, 0xFFFFFFFFL};
    ChunkEncoder encoder = new ChunkEncoder();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    List<byte[]> payloads = new ArrayList<>();
    List<long[]> headers = new ArrayList<>();
    int n = 0;
    for (int chunkSize : new int[] {128, 4096, 60000}) {
      encoder.write(
          out, 2, MessageType.SET_CHUNK_SIZE, 0, 0, ProtocolControl.setChunkSize(chunkSize));
      encoder.setChunkSize(chunkSize);
      payloads.add(ProtocolControl.setChunkSize(chunkSize));
      headers.add(new long[] {2, MessageType.SET_CHUNK_SIZE, 0, 0});
      for (int csid : csids) {
        for (int length : lengths) {
          long ts = timestamps[n++ % timestamps.length];
          byte[] payload = new byte[length];
          random.nextBytes(payload);
          encoder.write(out, csid, MessageType.VIDEO, csid, ts, payload);
          payloads.add(payload);
          headers.add(new long[] {csid, MessageType.VIDEO, csid, ts});
        }
      }
    }

    ChunkDecoder decoder = new ChunkDecoder(1 << 20, 1 << 20, 16);
    ByteBuffer in = ByteBuffer.wrap(out.toByteArray());
    for (int i = 0; i < payloads.size(); i++) {
      RtmpMessage m = decoder.next(in);
      long[] h = headers.get(i);
      assertEquals(h[0], m.chunkStreamId());
      assertEquals(h[1], m.typeId());
      assertEquals(h[2], m.messageStreamId());
      // timestamps jump around here, so compare the 32 bits on the wire, not the extension
      assertEquals(h[3], m.timestamp() & 0xFFFFFFFFL, "message " + i);
      assertArrayEquals(payloads.get(i), m.payload(), "message " + i);
    }
    assertEquals(0, in.remaining());
  }

  @Test
  void writingIntoAnArrayFromAHeaderAndAPayloadSliceGivesTheSameBytes() {
    Random random = new Random(7);
    for (int round = 0; round < 500; round++) {
      int chunkSize = 128 + random.nextInt(300);
      int csid = List.of(3, 63, 64, 319, 320, 65599).get(random.nextInt(6));
      long timestamp =
          random.nextBoolean() ? random.nextInt(0xFFFFFF) : 0xFFFFFFL + random.nextInt();
      byte[] prefix = new byte[random.nextInt(6)];
      byte[] frame = new byte[random.nextInt(2000)];
      random.nextBytes(prefix);
      random.nextBytes(frame);
      int offset = frame.length == 0 ? 0 : random.nextInt(frame.length);
      int length = frame.length - offset;

      ChunkEncoder streamed = new ChunkEncoder();
      streamed.setChunkSize(chunkSize);
      byte[] message = new byte[prefix.length + length];
      System.arraycopy(prefix, 0, message, 0, prefix.length);
      System.arraycopy(frame, offset, message, prefix.length, length);
      ByteArrayOutputStream expected = new ByteArrayOutputStream();
      streamed.write(expected, csid, 9, 1, timestamp, message);

      ChunkEncoder direct = new ChunkEncoder();
      direct.setChunkSize(chunkSize);
      byte[] out = new byte[direct.encodedLength(csid, timestamp, message.length) + 3];
      int end =
          direct.write(out, 3, csid, 9, 1, timestamp, prefix, prefix.length, frame, offset, length);
      assertEquals(out.length, end, "encodedLength is exact");
      assertArrayEquals(expected.toByteArray(), java.util.Arrays.copyOfRange(out, 3, end));
    }
  }
}

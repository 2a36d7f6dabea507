package com.nrsgirls.streaming.rtmp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

class HandshakeTest {
  private static final int SIZE = Handshake.PACKET_SIZE;

  private static byte[] c0c1c2(byte[] c1, byte[] c2) {
    byte[] b = new byte[1 + 2 * SIZE];
    b[0] = 3;
    System.arraycopy(c1, 0, b, 1, SIZE);
    System.arraycopy(c2, 0, b, 1 + SIZE, SIZE);
    return b;
  }

  private static byte[] random(long seed) {
    byte[] b = new byte[SIZE];
    new Random(seed).nextBytes(b);
    return b;
  }

  @Test
  void answersC0C1WithS0S1S2AndWaitsForC2() throws Exception {
    byte[] c1 = random(1);
    byte[] all = c0c1c2(c1, random(2));
    Handshake handshake = new Handshake(new Random(3));
    ByteBuffer in = ByteBuffer.wrap(all, 0, 1 + SIZE);

    byte[] reply = handshake.consume(in);

    assertNotNull(reply);
    assertEquals(1 + 2 * SIZE, reply.length);
    assertEquals(3, reply[0], "S0 is version 3");
    assertArrayEquals(new byte[8], Arrays.copyOfRange(reply, 1, 9), "S1 time and zero fields");
    assertArrayEquals(c1, Arrays.copyOfRange(reply, 1 + SIZE, 1 + 2 * SIZE), "S2 echoes C1");
    assertFalse(handshake.isDone());

    assertNull(handshake.consume(ByteBuffer.wrap(all, 1 + SIZE, SIZE)));
    assertTrue(handshake.isDone());
  }

  @Test
  void readsNothingPastC2() throws Exception {
    byte[] all = Arrays.copyOf(c0c1c2(random(1), random(2)), 1 + 2 * SIZE + 5);
    Handshake handshake = new Handshake(new Random(3));
    ByteBuffer in = ByteBuffer.wrap(all);

    handshake.consume(in);

    assertTrue(handshake.isDone());
    assertEquals(5, in.remaining(), "the first chunk bytes stay for the chunk decoder");
  }

  @Test
  void acceptsInputSplitIntoSingleBytes() throws Exception {
    byte[] c1 = random(7);
    byte[] all = c0c1c2(c1, random(8));
    Handshake handshake = new Handshake(new Random(3));
    ByteArrayOutputStream replies = new ByteArrayOutputStream();
    for (byte b : all) {
      byte[] reply = handshake.consume(ByteBuffer.wrap(new byte[] {b}));
      if (reply != null) {
        replies.write(reply);
      }
    }
    assertTrue(handshake.isDone());
    byte[] reply = replies.toByteArray();
    assertEquals(1 + 2 * SIZE, reply.length);
    assertArrayEquals(c1, Arrays.copyOfRange(reply, 1 + SIZE, reply.length));
  }

  @Test
  void refusesOtherVersions() {
    for (int version : new int[] {0, 6, 'G', 0xFF}) {
      Handshake handshake = new Handshake(new Random(3));
      RtmpProtocolException e =
          assertThrows(
              RtmpProtocolException.class,
              () -> handshake.consume(ByteBuffer.wrap(new byte[] {(byte) version, 0, 0})));
      assertEquals("bad-handshake", e.reason());
    }
  }
}

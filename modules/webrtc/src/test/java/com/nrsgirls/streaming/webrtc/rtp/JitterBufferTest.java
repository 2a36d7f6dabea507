package com.nrsgirls.streaming.webrtc.rtp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class JitterBufferTest {
  private static final long MS = 1_000_000L;

  private static JitterBuffer buffer() {
    return new JitterBuffer(512, 200 * MS, 40 * MS, 3);
  }

  @Test
  void reorderedPacketsComeOutInOrderAcrossTheWrap() {
    JitterBuffer b = buffer();
    List<Integer> out = new ArrayList<>();
    int[] order = {65533, 65535, 65534, 1, 0, 2};
    for (int s : order) {
      b.push(0, s, new byte[] {(byte) s});
      for (byte[] p : b.poll(0)) {
        out.add(p[0] & 0xff);
      }
    }
    assertEquals(List.of(65533 & 0xff, 65534 & 0xff, 65535 & 0xff, 0, 1, 2), out);
    assertEquals(0, b.lost());
  }

  @Test
  void aMissingPacketIsNackedThenWaitedForThenGivenUp() {
    JitterBuffer b = buffer();
    b.push(0, 10, new byte[] {10});
    b.push(0, 13, new byte[] {13});
    assertEquals(1, b.poll(0).size(), "10 out, 11 and 12 awaited");
    assertEquals(List.of(11, 12), b.nacks(0));
    assertEquals(List.of(), b.nacks(10 * MS), "not again before the interval");
    b.push(20 * MS, 11, new byte[] {11}); // the retransmission
    assertEquals(1, b.poll(20 * MS).size());
    assertEquals(List.of(12), b.nacks(40 * MS));
    assertEquals(List.of(12), b.nacks(80 * MS));
    assertEquals(List.of(), b.nacks(200 * MS), "three NACKs at most");
    assertEquals(0, b.poll(150 * MS).size(), "still waiting for 12");
    List<byte[]> released = b.poll(201 * MS);
    assertEquals(1, released.size());
    assertEquals(13, released.get(0)[0]);
    assertEquals(1, b.lost());
    b.push(300 * MS, 12, new byte[] {12});
    assertEquals(1, b.late());
  }

  @Test
  void aJumpBeyondCapacityGivesUpWhatLiesBetween() {
    JitterBuffer b = buffer();
    b.push(0, 0, new byte[1]);
    b.poll(0);
    b.push(0, 2000, new byte[1]);
    assertTrue(b.size() <= 512);
    assertEquals(1488, b.lost(), "1 to 1488 given up at once");
    assertEquals(0, b.poll(0).size(), "1489 to 1999 are still awaited");
    assertEquals(1, b.poll(201 * MS).size(), "then given up: 2000 comes out");
    assertEquals(1999, b.lost());
  }

  @Test
  void randomArrivalsStayBoundedAndReleaseEachPacketOnce() {
    Random random = new Random(3550);
    JitterBuffer b = buffer();
    int seq = 40_000;
    long now = 0;
    long released = 0;
    for (int i = 0; i < 200_000; i++) {
      now += random.nextInt(3) * MS;
      int s = (seq + random.nextInt(40) - 10) & 0xffff;
      if (random.nextInt(20) == 0) {
        s = random.nextInt(65536); // garbage from anywhere
      }
      seq++;
      b.push(now, s, new byte[0]);
      released += b.poll(now).size();
      b.nacks(now);
      assertTrue(b.size() <= 512);
    }
    assertTrue(released <= b.received(), released + " of " + b.received());
  }
}

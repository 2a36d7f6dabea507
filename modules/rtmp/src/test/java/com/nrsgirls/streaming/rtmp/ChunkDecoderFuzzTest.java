package com.nrsgirls.streaming.rtmp;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.nrsgirls.streaming.testkit.Mutator;
import java.nio.ByteBuffer;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Random and mutated chunk streams: the decoder may only produce messages or throw {@link
 * RtmpProtocolException}, always terminates, and allocates within its limits.
 */
class ChunkDecoderFuzzTest {
  private static final int MAX_MESSAGE = 64 * 1024;
  private static final int ITERATIONS = 3000;
  private static final int WARM_UP = 200;

  @Test
  void randomBytes() {
    Random random = new Random(0x5EED_0001L);
    for (int i = 0; i < ITERATIONS; i++) {
      byte[] input = new byte[random.nextInt(2048)];
      random.nextBytes(input);
      decode(input, random, i);
    }
  }

  @Test
  void randomBytesAfterValidHeaders() {
    Random random = new Random(0x5EED_0002L);
    for (int i = 0; i < ITERATIONS; i++) {
      // mostly plausible first bytes: small chunk stream ids, all four fmts
      byte[] input = new byte[random.nextInt(512)];
      random.nextBytes(input);
      for (int p = 0; p < input.length; p += 1 + random.nextInt(40)) {
        input[p] = (byte) (random.nextInt(4) << 6 | (2 + random.nextInt(6)));
      }
      decode(input, random, i);
    }
  }

  @Test
  void mutatedValidStreams() {
    byte[] valid = validStream();
    Random random = new Random(0x5EED_0003L);
    int productive = 0;
    for (int i = 0; i < ITERATIONS; i++) {
      if (decode(Mutator.mutate(valid, random), random, i) > 0) {
        productive++;
      }
    }
    assertTrue(productive > ITERATIONS / 2, "most mutations still decode messages: " + productive);
  }

  private static byte[] validStream() {
    RtmpClientBytes c = new RtmpClientBytes(3);
    c.connect("live").publish("live_abcdef123456_secret");
    c.chunkSize(300);
    c.avcSequenceHeader(0).aacSequenceHeader(0);
    long ts = 0xFFFFF0;
    for (int i = 0; i < 6; i++) {
      c.avcFrame(ts, i == 0, 66, 700);
      c.aacFrame(ts + 3, 40);
      ts += 33;
    }
    c.message(70, MessageType.ABORT, 0, 0, ProtocolControl.abort(6));
    c.message(400, MessageType.DATA_AMF0, 1, 5, new byte[20]);
    return c.bytes();
  }

  /** Decodes, checking the invariants; returns the number of messages. */
  private static int decode(byte[] input, Random random, int iteration) {
    ChunkDecoder decoder = new ChunkDecoder(MAX_MESSAGE, MAX_MESSAGE, 8);
    long allocatedBefore = Mutator.allocatedBytes();
    int messages = 0;
    int p = 0;
    try {
      while (p < input.length) {
        int n = 1 + random.nextInt(Math.min(input.length - p, 700));
        ByteBuffer in = ByteBuffer.wrap(input, p, n);
        RtmpMessage m;
        while ((m = decoder.next(in)) != null) {
          messages++;
          assertTrue(m.payload().length <= MAX_MESSAGE, "message within the limit");
          assertTrue(messages <= input.length, "every message costs at least one byte");
        }
        assertTrue(!in.hasRemaining(), "null means the input was used up");
        p += n;
      }
    } catch (RtmpProtocolException expected) {
      assertTrue(expected.reason().matches("[a-z-]+"), expected.reason());
    } catch (RuntimeException e) {
      fail("iteration " + iteration + ": " + e, e);
    }
    long allocated = Mutator.allocatedBytes() - allocatedBefore;
    // The first iterations also pay for class loading and string concatenation bootstraps.
    if (allocatedBefore >= 0 && iteration >= WARM_UP) {
      // completed messages (no more than the input), messages in progress and aborted (twice the
      // limit each), exceptions and slack
      long bound = 4L * MAX_MESSAGE + 4L * input.length + 64 * 1024;
      assertTrue(allocated < bound, "iteration " + iteration + " allocated " + allocated);
    }
    return messages;
  }
}

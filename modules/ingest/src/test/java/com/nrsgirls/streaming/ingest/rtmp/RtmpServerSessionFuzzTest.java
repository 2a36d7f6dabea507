package com.nrsgirls.streaming.ingest.rtmp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.nrsgirls.streaming.core.media.MediaPacket;
import com.nrsgirls.streaming.rtmp.CommandMessage;
import com.nrsgirls.streaming.rtmp.DataMessage;
import com.nrsgirls.streaming.rtmp.MessageType;
import com.nrsgirls.streaming.rtmp.RtmpClientBytes;
import com.nrsgirls.streaming.rtmp.RtmpProtocolException;
import com.nrsgirls.streaming.rtmp.amf.AmfEcmaArray;
import com.nrsgirls.streaming.testkit.Mutator;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Mutated publisher sessions through the whole engine (chunks, AMF, commands, FLV tags): it only
 * ever signals, produces packets, or throws {@link RtmpProtocolException}.
 */
class RtmpServerSessionFuzzTest {
  private static final int ITERATIONS = 2000;

  @Test
  void mutatedPublishSessions() {
    RtmpClientBytes c = new RtmpClientBytes(9);
    byte[] handshake = c.handshake().take();
    c.connect("live").publish("live_abcdef123456_SECRET");
    c.message(
        4,
        MessageType.DATA_AMF0,
        1,
        0,
        new DataMessage(
                "@setDataFrame",
                List.of("onMetaData", new AmfEcmaArray(Map.of("width", 640.0, "encoder", "x"))))
            .encode());
    c.chunkSize(256);
    c.avcSequenceHeader(0).aacSequenceHeader(0);
    for (int i = 0; i < 8; i++) {
      c.avcFrame(i * 33L, i % 4 == 0, 66, 300 + i);
      c.aacFrame(i * 21L, 20);
    }
    c.command(3, 0, CommandMessage.of("deleteStream", 7, null, 1.0));
    byte[] session = c.take();

    Random random = new Random(0xF022_0001L);
    int published = 0;
    for (int i = 0; i < ITERATIONS; i++) {
      byte[] body = Mutator.mutate(session, random);
      byte[] input = new byte[handshake.length + body.length];
      System.arraycopy(handshake, 0, input, 0, handshake.length);
      System.arraycopy(body, 0, input, handshake.length, body.length);
      if (random.nextInt(10) == 0) {
        input = Mutator.mutate(input, random); // now and then the handshake too
      }
      if (run(input, random, i)) {
        published++;
      }
    }
    assertTrue(published > ITERATIONS / 10, "enough mutations still publish: " + published);
  }

  /** True if the session got as far as publishing media. */
  private static boolean run(byte[] input, Random random, int iteration) {
    RtmpServerSession session = new RtmpServerSession(SessionSettings.defaults(), new Random(1));
    boolean media = false;
    int p = 0;
    try {
      while (p < input.length) {
        int n = 1 + random.nextInt(Math.min(input.length - p, 600));
        ByteBuffer in = ByteBuffer.wrap(input, p, n);
        RtmpServerSession.Signal signal;
        while ((signal = session.process(in)) != RtmpServerSession.Signal.NEED_INPUT) {
          switch (signal) {
            case PUBLISH_REQUESTED -> session.publishAccepted();
            case MEDIA -> {
              MediaPacket packet = session.takeMedia();
              assertTrue(packet.length() >= 0);
              media = true;
            }
            case METADATA -> assertTrue(session.metadata() != null);
            case PUBLISH_ENDED ->
                assertEquals(RtmpServerSession.State.PUBLISH_ENDED, session.state());
            default -> fail("unexpected " + signal);
          }
        }
        session.takeOutput();
        p += n;
      }
    } catch (RtmpProtocolException expected) {
      assertTrue(expected.reason().matches("[a-z-]+"), expected.reason());
    } catch (RuntimeException e) {
      fail("iteration " + iteration + ": " + e, e);
    }
    return media;
  }
}

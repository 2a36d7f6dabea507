package com.nrsgirls.streaming.ingest;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nrsgirls.streaming.core.media.AacConfig;
import com.nrsgirls.streaming.core.media.AvcDecoderConfig;
import com.nrsgirls.streaming.core.media.Codec;
import com.nrsgirls.streaming.core.media.MediaPacket;
import com.nrsgirls.streaming.core.media.Track;
import com.nrsgirls.streaming.rtmp.CommandMessage;
import com.nrsgirls.streaming.rtmp.MessageType;
import com.nrsgirls.streaming.rtmp.RtmpClientBytes;
import com.nrsgirls.streaming.rtmp.flv.FlvFileReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.actor.testkit.typed.javadsl.LoggingTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real {@link RtmpServer} on an ephemeral port, real ffmpeg publishers and raw sockets sending
 * bad input, with a stub gateway standing in for the LiveStream entity.
 */
@ExtendWith(LogCapturingExtension.class)
class RtmpServerTest {
  private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(5);

  private static final ActorTestKit testKit = ActorTestKit.create();
  private static TestServer server;

  @TempDir Path tmp;

  @BeforeAll
  static void start() throws Exception {
    server =
        TestServer.start(
            testKit.system(),
            """
            idle-timeout = 2s
            handshake-timeout = 2s
            max-message-length = 1 MiB
            max-connections-per-ip = 100
            max-failed-publishes-per-ip = 1000
            """);
  }

  @AfterAll
  static void stop() throws Exception {
    server.stop();
    testKit.shutdownTestKit();
  }

  @Test
  void ffmpegPublishesH264AndAac() throws Exception {
    try (Ffmpeg ffmpeg = Ffmpeg.publish(server.rtmpUrl(StubGateway.KEY), 4, null)) {
      StubGateway.Accepted publish = server.gateway.nextAccepted();
      assertEquals(0, ffmpeg.waitFor(30), ffmpeg.output());

      List<MediaPacket> packets = publish.packets().toCompletableFuture().get(10, TimeUnit.SECONDS);

      assertTrue(publish.session().sessionId().matches("[0-9a-f]{16}"));
      assertTrue(publish.session().remoteAddress().startsWith("127.0.0.1:"));
      assertEquals(TestServer.NODE, publish.session().ingestNode());

      MediaPacket video = first(packets, Codec.H264);
      AvcDecoderConfig avc = AvcDecoderConfig.parse(video.array(), video.offset(), video.length());
      assertEquals(640, avc.width());
      assertEquals(360, avc.height());
      MediaPacket audio = first(packets, Codec.AAC);
      AacConfig aac = AacConfig.parse(audio.array(), audio.offset(), audio.length());
      assertEquals(48000, aac.sampleRate());
      assertEquals(1, aac.channels(), "the sine source is mono");

      long frames = packets.stream().filter(p -> p.isVideo() && !p.isConfig()).count();
      assertTrue(frames >= 115 && frames <= 121, frames + " frames in 4 s at 30 fps");
      long keyframes =
          packets.stream().filter(p -> p.isVideo() && p.isKeyframe() && !p.isConfig()).count();
      assertTrue(keyframes >= 2, keyframes + " keyframes with -g 60");
      assertTrue(packets.stream().filter(p -> p.isAudio() && !p.isConfig()).count() > 150);
      Map<Track, Long> lastDts = new EnumMap<>(Track.class);
      for (MediaPacket p : packets) {
        long last = lastDts.getOrDefault(p.track(), Long.MIN_VALUE);
        assertTrue(p.dts() >= last, "DTS never goes back: " + p);
        assertTrue(p.pts() >= p.dts(), "PTS >= DTS: " + p);
        lastDts.put(p.track(), p.dts());
      }
      assertTrue(packets.stream().anyMatch(p -> p.pts() > p.dts()), "B-frames reorder");
    }
  }

  private static MediaPacket first(List<MediaPacket> packets, Codec codec) {
    MediaPacket p = packets.stream().filter(x -> x.codec() == codec).findFirst().orElseThrow();
    assertTrue(p.isConfig(), "the first " + codec + " packet is its configuration");
    return p;
  }

  /** The packets RTMP delivered are exactly those ffmpeg wrote to its FLV copy. */
  private static void assertSamePackets(List<MediaPacket> expected, List<MediaPacket> actual) {
    assertEquals(expected.size(), actual.size(), "packet count");
    for (int i = 0; i < expected.size(); i++) {
      MediaPacket e = expected.get(i);
      MediaPacket a = actual.get(i);
      assertEquals(e.toString(), a.toString(), "packet " + i);
      assertEquals(e.flags(), a.flags(), "packet " + i);
      assertArrayEquals(e.payloadCopy(), a.payloadCopy(), "packet " + i);
    }
  }

  @Test
  void ffmpegWithAWrongKeyIsRejected() throws Exception {
    int before = server.metrics.count("rejected:wrong-key");
    try (Ffmpeg ffmpeg = Ffmpeg.publish(server.rtmpUrl("live_abcdef123456_WRONG"), 4, null)) {
      Integer exit = ffmpeg.waitFor(20);
      assertNotNull(exit, "ffmpeg gives up");
      assertNotEquals(0, exit, ffmpeg.output());
    }
    assertTrue(
        server.metrics.await("rejected:wrong-key", before + 1, CLOSE_TIMEOUT),
        server.metrics.toString());
    assertTrue(
        server.metrics.await("closed:publish-rejected", 1, CLOSE_TIMEOUT),
        server.metrics.toString());
  }

  @Test
  void badInputClosesOnlyItsOwnConnection() throws Exception {
    Path copy = tmp.resolve("copy.flv");
    try (Ffmpeg ffmpeg = Ffmpeg.publish(server.rtmpUrl(StubGateway.KEY), 4, copy)) {
      StubGateway.Accepted publish = server.gateway.nextAccepted();

      assertClosedFor("bad-handshake", "GET / HTTP/1.1\r\n\r\n".getBytes());
      assertClosedFor("bad-chunk-header", afterHandshake(new byte[] {0x43, 0, 0, 0, 0, 0, 4, 20}));
      assertClosedFor(
          "message-too-long",
          afterHandshake(
              new byte[] {0x03, 0, 0, 0, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, 9, 1, 0, 0, 0}));
      assertClosedFor(
          "chunk-size-out-of-range",
          afterHandshake(new byte[] {0x02, 0, 0, 0, 0, 0, 4, 1, 0, 0, 0, 0, 0, 0, 0, 0}));
      assertClosedFor(
          "chunk-size-out-of-range",
          afterHandshake(new byte[] {0x02, 0, 0, 0, 0, 0, 4, 1, 0, 0, 0, 0, 0x7F, 0, 0, 0}));
      assertClosedFor(
          "unknown-message-type",
          afterHandshake(new byte[] {0x03, 0, 0, 0, 0, 0, 1, 0x30, 0, 0, 0, 0, 0}));
      assertClosedFor(
          "malformed-amf",
          new RtmpClientBytes(1)
              .handshake()
              .message(3, MessageType.COMMAND_AMF0, 0, 0, new byte[] {2, 0, 7, 'c', 'o'})
              .bytes());
      assertClosedFor(
          "publish-before-connect",
          new RtmpClientBytes(2)
              .handshake()
              .command(4, 1, CommandMessage.of("publish", 5, null, StubGateway.KEY))
              .bytes());
      assertClosedFor(
          "media-before-publish",
          new RtmpClientBytes(3).handshake().connect("live").aacSequenceHeader(0).bytes());
      assertClosedFor("handshake-timeout", new byte[] {3, 1, 2, 3});
      assertClosedFor("idle-timeout", new RtmpClientBytes(4).handshake().connect("live").bytes());

      assertEquals(0, ffmpeg.waitFor(30), ffmpeg.output());
      List<MediaPacket> packets = publish.packets().toCompletableFuture().get(10, TimeUnit.SECONDS);
      assertSamePackets(FlvFileReader.read(copy), packets);
    }
  }

  private static byte[] afterHandshake(byte[] chunks) {
    return new RtmpClientBytes(5).handshake().raw(chunks).bytes();
  }

  private static void assertClosedFor(String reason, byte[] input) throws Exception {
    int before = server.metrics.count("protocol-error:" + reason);
    try (RawClient client = new RawClient(server.localAddress())) {
      client.send(input);
      assertTrue(client.awaitClosed(CLOSE_TIMEOUT) >= 0, "the server closes after " + reason);
    }
    assertTrue(
        server.metrics.await("protocol-error:" + reason, before + 1, CLOSE_TIMEOUT),
        server.metrics.toString());
  }

  /** The log says why in words, without Pekko's internal cancellation class. */
  @Test
  void aCancelledSinkClosesThePublisher() throws Exception {
    int before = server.metrics.count("closed:sink-closed");
    try (Ffmpeg ffmpeg = Ffmpeg.publish(server.rtmpUrl(StubGateway.CANCELLING_KEY), 20, null)) {
      LoggingTestKit.custom(
              event ->
                  event
                      .message()
                      .endsWith(
                          "the stream closed its input (stopped or taken over by a new publish),"
                              + " closing the connection"))
          .expect(
              testKit.system(),
              () -> {
                try {
                  StubGateway.Accepted publish = server.gateway.nextAccepted();
                  List<MediaPacket> packets =
                      publish.packets().toCompletableFuture().get(10, TimeUnit.SECONDS);
                  assertEquals(StubGateway.CANCEL_AFTER, packets.size());
                  assertTrue(
                      server.metrics.await("closed:sink-closed", before + 1, CLOSE_TIMEOUT),
                      server.metrics.toString());
                } catch (Exception e) {
                  throw new AssertionError(e);
                }
                return null;
              });
      Integer exit = ffmpeg.waitFor(10);
      assertNotNull(exit, "ffmpeg stops long before its 20 seconds");
      assertNotEquals(0, exit);
    }
  }

  /**
   * A sink that does not pull stops the server reading the socket, so the publisher's writes block;
   * nothing is lost or reordered, including media sent while the publish was undecided.
   */
  @Test
  void aSlowSinkBackpressuresThePublisher() throws Exception {
    int frames = 400;
    int frameBytes = 100_000; // 40 MB: more than the kernel buffers hold
    RtmpClientBytes bytes =
        new RtmpClientBytes(7).handshake().connect("live").publish(StubGateway.SLOW_KEY);
    bytes.chunkSize(4096).avcSequenceHeader(0);
    for (int i = 0; i < frames; i++) {
      bytes.avcFrame(i * 33L, i % 30 == 0, 0, frameBytes);
    }
    byte[] input = bytes.bytes();
    try (RawClient client = new RawClient(server.localAddress())) {
      Thread writer = client.sendInBackground(input);
      StubGateway.Accepted publish = server.gateway.nextAccepted();
      writer.join(1000);
      assertTrue(writer.isAlive(), "nothing is read while the publish is undecided");

      server.gateway.releaseSlowDecision();
      for (int i = 0; i < 5; i++) {
        assertNotNull(publish.queue().pull().toCompletableFuture().get(10, TimeUnit.SECONDS));
      }
      writer.join(1000);
      assertTrue(writer.isAlive(), "the writer stays blocked while the sink does not pull");

      long dts = 3 * 33; // the configuration and frames 0 to 3 were pulled above
      for (int i = 4; i < frames; i++) {
        MediaPacket p =
            publish.queue().pull().toCompletableFuture().get(10, TimeUnit.SECONDS).orElseThrow();
        assertEquals(dts + 33, p.dts(), "in order, none lost");
        assertEquals(4 + frameBytes, p.length());
        dts = p.dts();
      }
      assertEquals((frames - 1) * 33L, dts);
      writer.join(10_000);
      assertTrue(!writer.isAlive(), "the writer finished once the sink pulled");
    }
  }

  @Test
  void logLinesNameTheStreamButNeverTheKey() {
    LoggingTestKit.custom(event -> event.message().contains("TOPSECRET"))
        .withOccurrences(0)
        .expect(
            testKit.system(),
            () ->
                LoggingTestKit.custom(
                        event ->
                            event.message().startsWith("RTMP publish rejected from 127.0.0.1:")
                                && event.message().contains(" stream abcdef123456 session "))
                    .expect(testKit.system(), this::publishWithAWrongSecret));
  }

  private Void publishWithAWrongSecret() {
    try (RawClient client = new RawClient(server.localAddress())) {
      client.send(
          new RtmpClientBytes(6)
              .handshake()
              .connect("live")
              .publish("live_abcdef123456_TOPSECRET")
              .bytes());
      assertTrue(client.awaitClosed(CLOSE_TIMEOUT) >= 0);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return null;
  }
}

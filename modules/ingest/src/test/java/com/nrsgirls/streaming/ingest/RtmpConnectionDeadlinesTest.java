package com.nrsgirls.streaming.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nrsgirls.streaming.core.media.MediaPacket;
import com.nrsgirls.streaming.rtmp.CommandMessage;
import com.nrsgirls.streaming.rtmp.RtmpClientBytes;
import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The connection's deadlines (publish, idle) and what keeping them costs, on a server whose actor
 * system counts the scheduler's timer tasks.
 */
@ExtendWith(LogCapturingExtension.class)
class RtmpConnectionDeadlinesTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(5);
  private static final Duration IDLE_TIMEOUT = Duration.ofSeconds(2);

  private static final ActorTestKit testKit =
      ActorTestKit.create(
          ConfigFactory.parseString(
                  "pekko.scheduler.implementation = "
                      + "\"com.nrsgirls.streaming.ingest.CountingScheduler\"")
              .withFallback(ConfigFactory.load()));
  private static TestServer server;

  @BeforeAll
  static void start() throws Exception {
    server =
        TestServer.start(
            testKit.system(),
            """
            idle-timeout = 2s
            publish-deadline = 1s
            # every read at once: the timer work per read shows, none is hidden by pacing
            read-interval = 0ms
            max-connections-per-ip = 100
            """);
  }

  @AfterAll
  static void stop() throws Exception {
    server.stop();
    testKit.shutdownTestKit();
  }

  /** A client that connects but never publishes holds a connection slot for nothing. */
  @Test
  void closesAConnectionThatDoesNotPublishInTime() throws Exception {
    int before = server.metrics.count("protocol-error:no-publish");
    try (RawClient client = new RawClient(server.localAddress())) {
      client.send(new RtmpClientBytes(1).handshake().connect("live").bytes());
      assertTrue(client.awaitClosed(TIMEOUT) >= 0, "closed before the idle timeout");
    }
    assertTrue(
        server.metrics.await("protocol-error:no-publish", before + 1, TIMEOUT),
        server.metrics.toString());
    assertTrue(server.metrics.await("closed:no-publish", 1, TIMEOUT), server.metrics.toString());
  }

  /**
   * Reading costs no timer work: the deadlines are checked periodically, not re-armed per read.
   * (Re-arming the idle timer on each read scheduled one task per read.) What remains are the
   * stream ref's demand timers, one per 16 packets or so.
   */
  @Test
  void readingSchedulesNoTimerPerRead() throws Exception {
    RtmpClientBytes bytes =
        new RtmpClientBytes(2).handshake().connect("live").publish(StubGateway.KEY);
    bytes.chunkSize(4096).avcSequenceHeader(0);
    for (int i = 0; i < 600; i++) {
      bytes.avcFrame(i * 33L, i % 60 == 0, 0, 30_000); // 18 MB: many reads of at most 128 KiB
    }
    bytes.command(3, 0, CommandMessage.of("deleteStream", 7, null, 1.0));
    int readsBefore = server.metrics.count("read");
    long scheduledBefore = CountingScheduler.scheduled.get();
    try (RawClient client = new RawClient(server.localAddress())) {
      client.send(bytes.bytes());
      List<MediaPacket> packets =
          server.gateway.nextAccepted().packets().toCompletableFuture().get(20, TimeUnit.SECONDS);
      assertEquals(601, packets.size());
    }
    int reads = server.metrics.count("read") - readsBefore;
    long scheduled = CountingScheduler.scheduled.get() - scheduledBefore;
    assertTrue(reads > 100, reads + " reads");
    assertTrue(scheduled < reads / 2, scheduled + " timer tasks for " + reads + " reads");
  }

  /** Idle time counts only while the server waits for input, not while a slow stream holds it. */
  @Test
  void aPublisherHeldBackByASlowStreamIsNotIdle() throws Exception {
    RtmpClientBytes bytes =
        new RtmpClientBytes(3).handshake().connect("live").publish(StubGateway.SLOW_KEY);
    bytes.chunkSize(4096).avcSequenceHeader(0);
    for (int i = 0; i < 400; i++) {
      bytes.avcFrame(i * 33L, i % 30 == 0, 0, 100_000); // 40 MB: more than the socket buffers
    }
    byte[] input = bytes.bytes();
    try (RawClient client = new RawClient(server.localAddress())) {
      Thread writer = client.sendInBackground(input);
      StubGateway.Accepted publish = server.gateway.nextAccepted();
      server.gateway.releaseSlowDecision();
      assertNotNull(publish.queue().pull().toCompletableFuture().get(10, TimeUnit.SECONDS));

      // the stream pulls nothing for longer than the idle timeout
      writer.join(IDLE_TIMEOUT.toMillis() + 1000);
      assertTrue(writer.isAlive(), "the writer is held back");

      for (int i = 0; i < 400; i++) {
        assertTrue(
            publish.queue().pull().toCompletableFuture().get(10, TimeUnit.SECONDS).isPresent(),
            "frame " + i);
      }
      writer.join(10_000);
      assertEquals(
          0, server.metrics.count("protocol-error:idle-timeout"), server.metrics.toString());
    }
  }
}

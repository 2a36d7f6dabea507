package com.nrsgirls.streaming.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nrsgirls.streaming.core.media.MediaPacket;
import com.nrsgirls.streaming.rtmp.RtmpClientBytes;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.actor.testkit.typed.javadsl.LoggingTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The per-address limits and the publish timeout, each test on a fresh server. */
@ExtendWith(LogCapturingExtension.class)
class RtmpServerLimitsTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(5);
  private static final ActorTestKit testKit = ActorTestKit.create();

  private TestServer server;

  @BeforeEach
  void start() throws Exception {
    server =
        TestServer.start(
            testKit.system(),
            """
            publish-timeout = 1s
            max-connections-per-ip = 2
            max-failed-publishes-per-stream-and-ip = 2
            max-failed-publishes-per-ip = 4
            """);
  }

  @AfterEach
  void stop() throws Exception {
    server.stop();
  }

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  private byte[] publish(String streamName) {
    return new RtmpClientBytes(1).handshake().connect("live").publish(streamName).bytes();
  }

  @Test
  void limitsConnectionsPerAddress() throws Exception {
    try (RawClient first = new RawClient(server.localAddress());
        RawClient second = new RawClient(server.localAddress())) {
      assertTrue(server.metrics.await("opened", 2, TIMEOUT));
      assertEquals(2, server.openConnections());

      try (RawClient third = new RawClient(server.localAddress())) {
        assertTrue(third.awaitClosed(TIMEOUT) >= 0, "refused at once");
      }
      assertTrue(server.metrics.await("refused:too-many-connections", 1, TIMEOUT));
      assertEquals(2, server.metrics.count("opened"));
    }
    assertTrue(server.metrics.await("closed:peer-closed", 2, TIMEOUT), server.metrics.toString());

    try (RawClient again = new RawClient(server.localAddress())) {
      assertTrue(server.metrics.await("opened", 3, TIMEOUT), "admitted once the others left");
    }
  }

  /** A client hammering the server from one address costs one log line a minute, not one each. */
  @Test
  void logsTheRefusalsOfAnAddressOnceAMinute() throws Exception {
    try (RawClient first = new RawClient(server.localAddress());
        RawClient second = new RawClient(server.localAddress())) {
      assertTrue(server.metrics.await("opened", 2, TIMEOUT));
      LoggingTestKit.custom(event -> event.message().contains("refused"))
          .withOccurrences(1)
          .expect(
              testKit.system(),
              () -> {
                for (int i = 0; i < 5; i++) {
                  try (RawClient refused = new RawClient(server.localAddress())) {
                    assertTrue(refused.awaitClosed(TIMEOUT) >= 0, "refused at once");
                  } catch (IOException e) {
                    throw new UncheckedIOException(e);
                  }
                }
                return null;
              });
      assertEquals(
          5, server.metrics.count("refused:too-many-connections"), "every refusal is counted");
    }
  }

  /**
   * When the server stops, publishers were doing nothing wrong: their streams end normally, not as
   * lost connections.
   */
  @Test
  void aServerShutdownEndsPublishesNormally() throws Exception {
    RtmpClientBytes bytes =
        new RtmpClientBytes(4).handshake().connect("live").publish(StubGateway.KEY);
    bytes.avcSequenceHeader(0).avcFrame(0, true, 0, 1000);
    try (RawClient client = new RawClient(server.localAddress())) {
      client.send(bytes.bytes());
      StubGateway.Accepted publish = server.gateway.nextAccepted();
      // the connection has taken the decision and is streaming into the sink
      assertTrue(server.metrics.await("accepted", 1, TIMEOUT));

      server.stop();

      assertTrue(client.awaitClosed(TIMEOUT) >= 0, "the publisher is disconnected");
      List<MediaPacket> packets =
          publish.packets().toCompletableFuture().get(10, TimeUnit.SECONDS); // not failed
      assertTrue(packets.size() <= 2, packets.toString());
    }
    assertTrue(
        server.metrics.await("closed:server-shutdown", 1, TIMEOUT), server.metrics.toString());
    assertEquals(0, server.metrics.count("closed:peer-closed"), server.metrics.toString());
  }

  @Test
  void refusesAnAddressAfterTooManyBadKeys() throws Exception {
    for (String name :
        new String[] {
          "live_aaaaaaaaaaa1_WRONG",
          "live_aaaaaaaaaaa2_WRONG",
          "not-a-key",
          "live_aaaaaaaaaaa3_WRONG"
        }) {
      try (RawClient client = new RawClient(server.localAddress())) {
        client.send(publish(name));
        assertTrue(client.awaitClosed(TIMEOUT) >= 0);
      }
    }
    assertTrue(server.metrics.await("rejected:wrong-key", 3, TIMEOUT));
    assertTrue(server.metrics.await("rejected:malformed-key", 1, TIMEOUT));

    try (RawClient client = new RawClient(server.localAddress())) {
      assertTrue(client.awaitClosed(TIMEOUT) >= 0, "refused at once");
    }
    assertTrue(
        server.metrics.await("refused:too-many-failed-publishes", 1, TIMEOUT),
        server.metrics.toString());
    assertEquals(
        4, server.metrics.count("opened"), "the refused connection never started a session");
  }

  /**
   * One encoder with a wrong key, behind the same NAT as a studio's other encoders: its stream is
   * refused after a few tries, without its key being checked any more, and the others stay live.
   */
  @Test
  void aWrongKeyForOneStreamDoesNotLockOutTheAddress() throws Exception {
    String wrong = "live_neighbour0001_WRONG"; // another stream than StubGateway.KEY's
    for (int i = 0; i < 4; i++) {
      try (RawClient client = new RawClient(server.localAddress())) {
        client.send(publish(wrong));
        assertTrue(client.awaitClosed(TIMEOUT) >= 0);
      }
    }
    assertTrue(server.metrics.await("rejected:wrong-key", 2, TIMEOUT), server.metrics.toString());
    assertTrue(
        server.metrics.await("rejected:too-many-failed-publishes", 2, TIMEOUT),
        server.metrics.toString());
    assertEquals(2, server.gateway.asked(), "the refused ones never reached the stream");

    RtmpClientBytes bytes =
        new RtmpClientBytes(4).handshake().connect("live").publish(StubGateway.KEY);
    try (RawClient client = new RawClient(server.localAddress())) {
      client.send(bytes.bytes());
      server.gateway.nextAccepted();
      assertTrue(server.metrics.await("accepted", 1, TIMEOUT), "another stream still goes live");
    }
    assertEquals(0, server.metrics.count("refused:too-many-failed-publishes"));
  }

  @Test
  void refusesAPublishTheStreamDoesNotAnswer() throws Exception {
    for (int i = 1; i <= 3; i++) {
      try (RawClient client = new RawClient(server.localAddress())) {
        client.send(publish(StubGateway.SILENT_KEY));
        assertTrue(client.awaitClosed(TIMEOUT) >= 0);
      }
      assertTrue(
          server.metrics.await("rejected:publish-timeout", i, TIMEOUT), server.metrics.toString());
    }
    assertEquals(3, server.metrics.count("opened"), "timeouts are not held against the address");
    assertEquals(0, server.metrics.count("refused:too-many-failed-publishes"));
  }
}

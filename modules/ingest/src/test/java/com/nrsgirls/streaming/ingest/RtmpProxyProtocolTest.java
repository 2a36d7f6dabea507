package com.nrsgirls.streaming.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.nrsgirls.streaming.rtmp.RtmpClientBytes;
import com.nrsgirls.streaming.testkit.HaProxy;
import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Ingest behind a load balancer: the PROXY header's address stands for the connection's, in the
 * session and in the per-address limits; a connection without a valid header is closed.
 */
@ExtendWith(LogCapturingExtension.class)
class RtmpProxyProtocolTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(5);
  private static final ActorTestKit testKit = ActorTestKit.create();

  private TestServer server;

  @BeforeEach
  void start() throws Exception {
    server =
        TestServer.start(
            testKit.system(),
            """
            proxy-protocol = on
            handshake-timeout = 2s
            max-connections-per-ip = 2
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

  private static byte[] publish() {
    return new RtmpClientBytes(1).handshake().connect("live").publish(StubGateway.KEY).bytes();
  }

  private static byte[] v1(String client) {
    return ("PROXY TCP4 " + client + " 10.0.0.2 51234 1935\r\n")
        .getBytes(StandardCharsets.US_ASCII);
  }

  private static byte[] concat(byte[] a, byte[] b) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(a);
    out.writeBytes(b);
    return out.toByteArray();
  }

  @Test
  void theHeadersAddressIsThePublishers() throws Exception {
    try (RawClient client = new RawClient(server.localAddress())) {
      client.send(concat(v1("203.0.113.7"), publish()));
      StubGateway.Accepted accepted = server.gateway.nextAccepted();
      assertEquals("203.0.113.7:51234", accepted.session().remoteAddress());
    }
  }

  @Test
  void aHeaderInPiecesThenTheStream() throws Exception {
    byte[] header = v1("198.51.100.20");
    try (RawClient client = new RawClient(server.localAddress())) {
      for (byte b : header) {
        client.send(new byte[] {b});
      }
      client.send(publish());
      assertEquals("198.51.100.20:51234", server.gateway.nextAccepted().session().remoteAddress());
    }
  }

  @Test
  void withoutAValidHeaderTheConnectionIsClosed() throws Exception {
    try (RawClient plain = new RawClient(server.localAddress());
        RawClient garbage = new RawClient(server.localAddress());
        RawClient silent = new RawClient(server.localAddress())) {
      plain.send(publish());
      garbage.send("PROXY TCP4 example.org 10.0.0.2 1 2\r\n".getBytes(StandardCharsets.US_ASCII));
      assertTrue(plain.awaitClosed(TIMEOUT) >= 0, "an RTMP client straight to the port");
      assertTrue(garbage.awaitClosed(TIMEOUT) >= 0, "a malformed header");
      assertTrue(silent.awaitClosed(Duration.ofSeconds(10)) >= 0, "no header in time");
    }
    assertTrue(server.metrics.await("refused:proxy-header", 3, TIMEOUT), server.metrics.toString());
    assertEquals(0, server.gateway.asked());
  }

  @Test
  void limitsCountTheHeadersAddressNotTheBalancers() throws Exception {
    try (RawClient a1 = new RawClient(server.localAddress());
        RawClient a2 = new RawClient(server.localAddress());
        RawClient a3 = new RawClient(server.localAddress());
        RawClient b1 = new RawClient(server.localAddress())) {
      a1.send(v1("203.0.113.1"));
      a2.send(v1("203.0.113.1"));
      assertTrue(server.metrics.await("opened", 2, TIMEOUT));
      a3.send(v1("203.0.113.1"));
      assertTrue(a3.awaitClosed(TIMEOUT) >= 0, "a third connection from 203.0.113.1");
      b1.send(v1("203.0.113.2"));
      assertTrue(server.metrics.await("opened", 3, TIMEOUT), "another address is admitted");
      assertEquals(1, server.metrics.count("refused:too-many-connections"));
    }
  }

  /** ffmpeg publishing through a real HAProxy that sends PROXY v2 from another address. */
  @Test
  void ffmpegThroughHaproxy(@TempDir Path dir) throws Exception {
    assumeTrue(HaProxy.available(), "haproxy is not installed");
    int front;
    try (ServerSocket s = new ServerSocket(0)) {
      front = s.getLocalPort();
    }
    String config =
        """
        global
          log stderr format short local0 info
        defaults
          mode tcp
          log global
          timeout connect 2s
          timeout client 30s
          timeout server 30s
        frontend rtmp
          bind 127.0.0.1:%d
          default_backend nodes
        backend nodes
          server n1 127.0.0.1:%d send-proxy-v2 source 127.0.0.9
        """
            .formatted(front, server.localAddress().getPort());
    try (HaProxy haproxy =
            HaProxy.start(dir, config, List.of(new InetSocketAddress("127.0.0.1", front)));
        Ffmpeg ffmpeg =
            Ffmpeg.publish("rtmp://127.0.0.1:" + front + "/live/" + StubGateway.KEY, 2, null)) {
      StubGateway.Accepted accepted = server.gateway.nextAccepted();
      assertEquals(0, ffmpeg.waitFor(30), ffmpeg.output());
      // HAProxy connects from 127.0.0.9; the publisher is ffmpeg, on 127.0.0.1
      assertTrue(
          accepted.session().remoteAddress().startsWith("127.0.0.1:"),
          accepted.session().remoteAddress());
      assertTrue(
          accepted
                  .packets()
                  .toCompletableFuture()
                  .get(10, java.util.concurrent.TimeUnit.SECONDS)
                  .size()
              > 50,
          "the media came through");
    }
  }
}

package com.nrsgirls.streaming.ingest;

import com.typesafe.config.ConfigFactory;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorSystem;

/**
 * A real {@link RtmpServer} on an ephemeral port as the server tests talk to it: a {@link
 * StubGateway} plays the LiveStream entity and {@link RecordingMetrics} count what happened.
 */
final class TestServer {
  /** The ingest node name the server puts in the sessions it opens. */
  static final String NODE = "test-node";

  final StubGateway gateway;
  final RecordingMetrics metrics;
  private final RtmpServer server;

  private TestServer(StubGateway gateway, RecordingMetrics metrics, RtmpServer server) {
    this.gateway = gateway;
    this.metrics = metrics;
    this.server = server;
  }

  /**
   * @param ingestSettings HOCON for the keys under {@code nrs.streaming.ingest} the test sets, over
   *     the defaults and {@code port = 0}
   */
  static TestServer start(ActorSystem<?> system, String ingestSettings) throws Exception {
    IngestSettings settings =
        IngestSettings.create(
            ConfigFactory.parseString("nrs.streaming.ingest { port = 0\n" + ingestSettings + "\n}")
                .withFallback(ConfigFactory.load())
                .resolve());
    StubGateway gateway = new StubGateway(system);
    RecordingMetrics metrics = new RecordingMetrics();
    RtmpServer server =
        RtmpServer.start(system, settings, gateway, metrics, NODE)
            .toCompletableFuture()
            .get(10, TimeUnit.SECONDS);
    return new TestServer(gateway, metrics, server);
  }

  InetSocketAddress localAddress() {
    return server.localAddress();
  }

  String rtmpUrl(String streamKey) {
    return "rtmp://127.0.0.1:" + server.localAddress().getPort() + "/live/" + streamKey;
  }

  int openConnections() {
    return server.openConnections();
  }

  /** Stops the server and waits until it has. */
  void stop() throws Exception {
    server.stop().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }
}

package com.nrsgirls.streaming.ingest;

import com.nrsgirls.streaming.core.net.AddressLimits;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.pekko.Done;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.stream.ActorAttributes;
import org.apache.pekko.stream.KillSwitches;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.SharedKillSwitch;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.stream.javadsl.Tcp;
import org.apache.pekko.util.ByteString;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The RTMP ingest server: listens on {@code rtmp://HOST:PORT/live/{streamKey}} and runs an {@link
 * RtmpConnectionStage} per accepted TCP connection, which asks the {@link PublishGateway} whether a
 * publisher may go live and streams its media into the sink it gets back.
 *
 * <p>It enforces the per-address limits ({@link AddressLimits}): open connections, and publishes
 * with a bad key per time window, counted per address and stream and per address. After a few
 * failures for one stream, publishes to that stream from that address are refused until the window
 * ends, without their key being checked (so guessing stays expensive); only after many failures in
 * all is every new connection from the address refused. A venue or studio behind one NAT thus stays
 * live when one of its encoders has a wrong key. Refusals are logged at most once per address per
 * {@link #REFUSAL_LOG_INTERVAL}, with a count.
 */
public final class RtmpServer {
  private static final Logger log = LoggerFactory.getLogger(RtmpServer.class);

  static final String TOO_MANY_FAILED_PUBLISHES = "too-many-failed-publishes";

  /** Rejections that say nothing about the key, so they do not count against an address. */
  private static final Set<String> NOT_KEY_FAILURES =
      Set.of("unavailable", "publish-timeout", "gateway-error", TOO_MANY_FAILED_PUBLISHES);

  /** An address refused again and again gets one log line per interval, not one per refusal. */
  static final Duration REFUSAL_LOG_INTERVAL = Duration.ofMinutes(1);

  private final IngestSettings settings;
  private final PublishGateway gateway;
  private final IngestMetrics metrics;
  private final String ingestNode;
  private final Materializer materializer;
  private final SecureRandom random = new SecureRandom();
  private final SharedKillSwitch connections = KillSwitches.shared("rtmp-connections");
  private final AddressLimits limits;
  private final AtomicReference<CompletionStage<Done>> stopped = new AtomicReference<>();
  private volatile boolean stopping;
  private volatile Tcp.ServerBinding binding;

  /** The key failed publishes are counted under for one stream from one address. */
  private record StreamFailures(InetAddress address, String streamId) {}

  private RtmpServer(
      ActorSystem<?> system,
      IngestSettings settings,
      PublishGateway gateway,
      IngestMetrics metrics,
      String ingestNode) {
    this.settings = settings;
    this.gateway = gateway;
    this.metrics = metrics;
    this.ingestNode = ingestNode;
    this.materializer = Materializer.matFromSystem(system);
    this.limits =
        new AddressLimits(
            "RTMP connection",
            log,
            settings.maxConnectionsPerIp(),
            settings.failedPublishWindow(),
            REFUSAL_LOG_INTERVAL);
  }

  /**
   * Binds {@code settings.bindAddress():settings.port()} and starts accepting publishers.
   *
   * @param ingestNode this node's name as {@code PublishSession.ingestNode} reports it
   * @return the running server, once bound; failed if the port cannot be bound
   */
  public static CompletionStage<RtmpServer> start(
      ActorSystem<?> system,
      IngestSettings settings,
      PublishGateway gateway,
      IngestMetrics metrics,
      String ingestNode) {
    RtmpServer server = new RtmpServer(system, settings, gateway, metrics, ingestNode);
    return Tcp.get(system.classicSystem())
        .bind(settings.bindAddress(), settings.port())
        .to(Sink.foreach(server::accept))
        .run(server.materializer)
        .thenApply(
            bound -> {
              server.binding = bound;
              log.info("RTMP ingest listening on {}", bound.localAddress());
              return server;
            });
  }

  /** The address actually bound (with the real port when 0 was asked for). */
  public InetSocketAddress localAddress() {
    return binding.localAddress();
  }

  /** Connections running right now. */
  public int openConnections() {
    return limits.open();
  }

  /**
   * Stops accepting connections and closes the open ones; their publishes end normally. Calling it
   * again returns the same stage.
   */
  public CompletionStage<Done> stop() {
    CompletableFuture<Done> done = new CompletableFuture<>();
    if (!stopped.compareAndSet(null, done)) {
      return stopped.get();
    }
    binding
        .unbind()
        .whenComplete(
            (unbound, error) -> {
              stopping = true;
              connections.shutdown();
              log.info("RTMP ingest on {} stopped", binding.localAddress());
              if (error != null) {
                done.completeExceptionally(error);
              } else {
                done.complete(Done.getInstance());
              }
            });
    return done;
  }

  private void accept(Tcp.IncomingConnection connection) {
    InetSocketAddress peer = connection.remoteAddress();
    Flow<ByteString, ByteString, ?> handler;
    if (settings.proxyProtocol()) {
      // The peer is the balancer: the connection is admitted, counted and logged under the
      // address its PROXY header names, once that has arrived.
      CompletableFuture<InetSocketAddress> client = new CompletableFuture<>();
      client.whenComplete(
          (address, error) -> {
            if (error != null) {
              metrics.connectionRefused("proxy-header");
              log.info("RTMP connection from {} closed: {}", text(peer), error.getMessage());
            }
          });
      handler =
          Flow.fromGraph(new ProxyHeaderStage(peer, settings.handshakeTimeout(), client))
              .via(Flow.completionStageFlow(client.thenApply(this::connectionFlow)));
    } else {
      handler = connectionFlow(peer);
    }
    try {
      connection
          .flow()
          .join(handler.via(connections.flow()))
          .withAttributes(ActorAttributes.dispatcher(settings.dispatcher()))
          .run(materializer);
    } catch (RuntimeException e) {
      log.error("RTMP connection from {} could not start", text(peer), e);
    }
  }

  /**
   * The connection's stage for a publisher at {@code remote}, counted against its address; or, when
   * the address is refused, a flow that closes the connection at once.
   */
  private Flow<ByteString, ByteString, NotUsed> connectionFlow(InetSocketAddress remote) {
    InetAddress address = AddressLimits.client(remote.getAddress());
    String refusal = admit(address);
    if (refusal != null) {
      metrics.connectionRefused(refusal);
      limits.logRefusal(address, refusal);
      return Flow.fromSinkAndSourceCoupled(
          Sink.<ByteString>cancelled(), Source.<ByteString>empty());
    }
    RtmpConnectionStage stage =
        new RtmpConnectionStage(
            settings,
            gateway,
            metrics,
            remote,
            ingestNode,
            this::newSessionId,
            new RtmpConnectionStage.Observer() {
              @Override
              public String publishRefusal(String streamId) {
                return limits.failuresReached(
                        new StreamFailures(address, streamId),
                        settings.maxFailedPublishesPerStreamAndIp())
                    ? TOO_MANY_FAILED_PUBLISHES
                    : null;
              }

              @Override
              public void publishRejected(String reason, String streamId) {
                if (!NOT_KEY_FAILURES.contains(reason)) {
                  limits.countFailure(address);
                  if (streamId != null) {
                    limits.countFailure(new StreamFailures(address, streamId));
                  }
                }
              }

              @Override
              public void closed() {
                limits.closed(address);
              }

              @Override
              public boolean serverStopping() {
                return stopping;
              }
            });
    return Flow.fromGraph(stage);
  }

  private static String text(InetSocketAddress a) {
    return a.getAddress().getHostAddress() + ":" + a.getPort();
  }

  /** Counts the connection against its address; the reason it is refused, or null. */
  private String admit(InetAddress address) {
    if (limits.failuresReached(address, settings.maxFailedPublishesPerIp())) {
      return TOO_MANY_FAILED_PUBLISHES;
    }
    return limits.tryOpen(address) ? null : "too-many-connections";
  }

  /** 16 random hex characters. */
  private String newSessionId() {
    byte[] bytes = new byte[8];
    random.nextBytes(bytes);
    return HexFormat.of().formatHex(bytes);
  }
}

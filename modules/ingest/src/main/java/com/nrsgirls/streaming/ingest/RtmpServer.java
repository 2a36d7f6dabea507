package com.nrsgirls.streaming.ingest;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.pekko.Done;
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
 * <p>It enforces the per-address limits: open connections, and publishes with a bad key per time
 * window (after too many, new connections from that address are refused until the window ends).
 * Refusals are logged at most once per address per {@link #REFUSAL_LOG_INTERVAL}, with a count.
 */
public final class RtmpServer {
  private static final Logger log = LoggerFactory.getLogger(RtmpServer.class);

  /** Rejections that say nothing about the key, so they do not count against an address. */
  private static final Set<String> NOT_KEY_FAILURES =
      Set.of("unavailable", "publish-timeout", "gateway-error");

  private static final int MAX_TRACKED_ADDRESSES = 10_000;

  /** An address refused again and again gets one log line per interval, not one per refusal. */
  static final Duration REFUSAL_LOG_INTERVAL = Duration.ofMinutes(1);

  private final IngestSettings settings;
  private final PublishGateway gateway;
  private final IngestMetrics metrics;
  private final String ingestNode;
  private final Materializer materializer;
  private final SecureRandom random = new SecureRandom();
  private final SharedKillSwitch connections = KillSwitches.shared("rtmp-connections");
  private final ConcurrentHashMap<InetAddress, Integer> openPerAddress = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<InetAddress, FailureWindow> failedPublishes =
      new ConcurrentHashMap<>();
  private final ConcurrentHashMap<InetAddress, RefusalLog> refusalLogs = new ConcurrentHashMap<>();
  private final AtomicInteger open = new AtomicInteger();
  private final AtomicReference<CompletionStage<Done>> stopped = new AtomicReference<>();
  private volatile boolean stopping;
  private volatile Tcp.ServerBinding binding;

  /** Failed publishes of one address since {@code startNanos}. */
  private record FailureWindow(long startNanos, int count) {}

  /**
   * When an address's refusal was last logged, and how many refusals have not been logged since.
   */
  private record RefusalLog(long loggedNanos, int unlogged) {}

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
    return open.get();
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
    InetSocketAddress remote = connection.remoteAddress();
    InetAddress address = remote.getAddress();
    String refusal = admit(address);
    if (refusal != null) {
      metrics.connectionRefused(refusal);
      logRefusal(address, refusal);
      connection.handleWith(
          Flow.fromSinkAndSourceCoupled(Sink.<ByteString>cancelled(), Source.<ByteString>empty()),
          materializer);
      return;
    }
    open.incrementAndGet();
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
              public void publishRejected(String reason) {
                if (!NOT_KEY_FAILURES.contains(reason)) {
                  countFailedPublish(address);
                }
              }

              @Override
              public void closed() {
                open.decrementAndGet();
                openPerAddress.computeIfPresent(address, (a, n) -> n <= 1 ? null : n - 1);
              }

              @Override
              public boolean serverStopping() {
                return stopping;
              }
            });
    try {
      connection
          .flow()
          .join(Flow.fromGraph(stage).via(connections.flow()))
          .withAttributes(ActorAttributes.dispatcher(settings.dispatcher()))
          .run(materializer);
    } catch (RuntimeException e) {
      log.error("RTMP connection from {} could not start", remote, e);
      open.decrementAndGet();
      openPerAddress.computeIfPresent(address, (a, n) -> n <= 1 ? null : n - 1);
    }
  }

  /**
   * Logs a refusal unless one of the address's was logged less than {@link #REFUSAL_LOG_INTERVAL}
   * ago; then it is counted, and the count goes into the address's next line.
   */
  private void logRefusal(InetAddress address, String reason) {
    long now = System.nanoTime();
    if (refusalLogs.size() > MAX_TRACKED_ADDRESSES) {
      refusalLogs.values().removeIf(r -> now - r.loggedNanos() > REFUSAL_LOG_INTERVAL.toNanos());
    }
    int[] unlogged = {-1};
    refusalLogs.compute(
        address,
        (a, r) -> {
          if (r != null && now - r.loggedNanos() <= REFUSAL_LOG_INTERVAL.toNanos()) {
            return new RefusalLog(r.loggedNanos(), r.unlogged() + 1);
          }
          unlogged[0] = r == null ? 0 : r.unlogged();
          return new RefusalLog(now, 0);
        });
    if (unlogged[0] == 0) {
      log.warn(
          "RTMP connection from {} refused: {} (further refusals of the address are logged at most"
              + " once a minute)",
          address.getHostAddress(),
          reason);
    } else if (unlogged[0] > 0) {
      log.warn(
          "RTMP connection from {} refused: {} ({} more refused since the last line)",
          address.getHostAddress(),
          reason,
          unlogged[0]);
    }
  }

  /** Counts the connection against its address; the reason it is refused, or null. */
  private String admit(InetAddress address) {
    FailureWindow failures = failedPublishes.get(address);
    if (failures != null) {
      if (expired(failures)) {
        failedPublishes.remove(address, failures);
      } else if (failures.count() >= settings.maxFailedPublishesPerIp()) {
        return "too-many-failed-publishes";
      }
    }
    boolean[] admitted = {false};
    openPerAddress.compute(
        address,
        (a, n) -> {
          int count = n == null ? 0 : n;
          if (count >= settings.maxConnectionsPerIp()) {
            return n;
          }
          admitted[0] = true;
          return count + 1;
        });
    return admitted[0] ? null : "too-many-connections";
  }

  private void countFailedPublish(InetAddress address) {
    if (failedPublishes.size() > MAX_TRACKED_ADDRESSES) {
      failedPublishes.values().removeIf(this::expired);
    }
    failedPublishes.compute(
        address,
        (a, w) ->
            w == null || expired(w)
                ? new FailureWindow(System.nanoTime(), 1)
                : new FailureWindow(w.startNanos(), w.count() + 1));
  }

  private boolean expired(FailureWindow w) {
    return System.nanoTime() - w.startNanos() > settings.failedPublishWindow().toNanos();
  }

  /** 16 random hex characters. */
  private String newSessionId() {
    byte[] bytes = new byte[8];
    random.nextBytes(bytes);
    return HexFormat.of().formatHex(bytes);
  }
}

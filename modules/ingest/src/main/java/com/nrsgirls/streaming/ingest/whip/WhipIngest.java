package com.nrsgirls.streaming.ingest.whip;

import com.nrsgirls.streaming.core.stream.LiveStreamProtocol.PublishAccepted;
import com.nrsgirls.streaming.core.stream.LiveStreamProtocol.PublishRejected;
import com.nrsgirls.streaming.core.stream.LiveStreamProtocol.PublishSession;
import com.nrsgirls.streaming.core.stream.PublishRejection;
import com.nrsgirls.streaming.core.stream.StreamKey;
import com.nrsgirls.streaming.ingest.IngestMetrics;
import com.nrsgirls.streaming.ingest.PublishGateway;
import com.nrsgirls.streaming.webrtc.dtls.DtlsCertificate;
import com.nrsgirls.streaming.webrtc.sdp.Sdp;
import com.nrsgirls.streaming.webrtc.sdp.SdpException;
import com.nrsgirls.streaming.webrtc.sdp.WhipAnswer;
import com.nrsgirls.streaming.webrtc.transport.IceCredentials;
import com.nrsgirls.streaming.webrtc.transport.UdpPort;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.stream.Materializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * WebRTC ingest (WHIP, RFC 9725): a publisher's {@code POST /whip} (its stream key as the Bearer
 * token, an SDP offer) becomes a {@link WhipSession} on the node's one UDP port, going live through
 * the same {@link PublishGateway} as RTMP, so the same key checks, takeover and reconnect grace
 * apply. The answer names the port as the one ICE-lite host candidate; the session's media reaches
 * the stream's graph as {@code MediaPacket}s once DTLS is done.
 *
 * <p>Threads: the port's reader hands each session its packets; one scheduler thread ticks every
 * session (jitter buffer releases, RTCP, timeouts); DTLS handshakes run as blocking tasks on their
 * own pool, at most one per session.
 */
public final class WhipIngest implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(WhipIngest.class);

  /** What a publish came to: an answer for a new session, or a refusal with its HTTP status. */
  public sealed interface Outcome {}

  /** The session {@code resourceId} answers with {@code sdp}. */
  public record Created(String resourceId, String sdp) implements Outcome {}

  /** Refused: {@code status} with a short {@code error} code and a sentence. */
  public record Refused(int status, String error, String message) implements Outcome {}

  private final WhipSettings settings;
  private final PublishGateway gateway;
  private final IngestMetrics metrics;
  private final String ingestNode;
  private final Materializer materializer;
  private final UdpPort port;
  private final DtlsCertificate certificate = DtlsCertificate.generate();
  private final ExecutorService handshakes;
  private final ScheduledExecutorService ticker;
  private final Map<String, WhipSession> sessions = new ConcurrentHashMap<>();
  private final AtomicInteger reserved = new AtomicInteger();
  private final AtomicInteger unanswered = new AtomicInteger();

  /** Publishes waiting for their stream's key check at once. */
  private static final int MAX_UNANSWERED = 32;

  private final SecureRandom random = new SecureRandom();
  private volatile boolean closed;
  private java.util.concurrent.ScheduledFuture<?> ticking;

  private WhipIngest(
      ActorSystem<?> system,
      WhipSettings settings,
      PublishGateway gateway,
      IngestMetrics metrics,
      String ingestNode,
      UdpPort port) {
    this.settings = settings;
    this.gateway = gateway;
    this.metrics = metrics;
    this.ingestNode = ingestNode;
    this.materializer = Materializer.matFromSystem(system);
    this.port = port;
    this.handshakes = Executors.newCachedThreadPool(daemons("webrtc-dtls"));
    this.ticker = Executors.newSingleThreadScheduledExecutor(daemons("webrtc-sessions"));
  }

  /** Ticks while there are sessions: a node with none (RTMP only) pays no wake-ups for WHIP. */
  private synchronized void startTicking() {
    if ((ticking == null || ticking.isDone()) && !closed) {
      long tick = settings.tick().toNanos();
      ticking = ticker.scheduleAtFixedRate(this::tick, tick, tick, TimeUnit.NANOSECONDS);
    }
  }

  private synchronized void stopTickingIfIdle() {
    if (ticking != null && sessions.isEmpty()) {
      ticking.cancel(false);
      ticking = null;
    }
  }

  /** Binds the UDP port and starts ticking. */
  public static WhipIngest start(
      ActorSystem<?> system,
      WhipSettings settings,
      PublishGateway gateway,
      IngestMetrics metrics,
      String ingestNode)
      throws IOException {
    UdpPort port = UdpPort.bind(new InetSocketAddress(settings.bindAddress(), settings.udpPort()));
    return new WhipIngest(system, settings, gateway, metrics, ingestNode, port);
  }

  private static ThreadFactory daemons(String name) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, name + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }

  /** The node's one WebRTC UDP port, which WHEP viewers share; closed by {@link #close}. */
  public UdpPort port() {
    return port;
  }

  public InetSocketAddress udpAddress() {
    return port.localAddress();
  }

  /** Sessions open now. */
  public int sessions() {
    return sessions.size();
  }

  /** What the UDP port dropped so far. */
  public UdpPort.Drops drops() {
    return port.drops();
  }

  /**
   * A publisher's offer: checks its key with the stream (through the gateway) and answers.
   *
   * @param bearer the Authorization header's Bearer token (the stream key), or empty
   * @param remoteAddress the publisher's address, for the stream's session record and the logs
   */
  public CompletionStage<Outcome> publish(
      Optional<String> bearer, String offer, String remoteAddress) {
    Optional<StreamKey> key = bearer.flatMap(StreamKey::parse);
    if (key.isEmpty()) {
      metrics.publishRejected("malformed-key");
      return done(new Refused(401, "unauthorized", "the stream key is needed as the Bearer token"));
    }
    if (closed) {
      return done(new Refused(503, "unavailable", "the node is stopping"));
    }
    if (reserved.incrementAndGet() > settings.maxSessions()) {
      reserved.decrementAndGet();
      return done(
          new Refused(503, "too_many_sessions", "this node holds all the WHIP sessions it can"));
    }
    IceCredentials ice = IceCredentials.random();
    WhipAnswer.Agreement agreement;
    try {
      agreement =
          WhipAnswer.answer(
              Sdp.parse(offer),
              new WhipAnswer.Local(
                  ice.ufrag(),
                  ice.password(),
                  certificate.fingerprintSha256(),
                  settings.candidate(),
                  settings.candidatePort(port.localAddress().getPort())));
    } catch (SdpException e) {
      reserved.decrementAndGet();
      unanswered.decrementAndGet();
      return done(new Refused(400, "bad_offer", e.getMessage()));
    }
    String resourceId = HexFormat.of().formatHex(bytes(12));
    String sessionId = HexFormat.of().formatHex(bytes(8));
    WhipSession session;
    try {
      session =
          new WhipSession(
              resourceId,
              key.get().streamId(),
              sessionId,
              remoteAddress,
              agreement,
              ice,
              certificate,
              port,
              handshakes,
              settings,
              materializer,
              this::forget);
    } catch (IllegalArgumentException ufragTaken) {
      reserved.decrementAndGet();
      unanswered.decrementAndGet();
      return done(new Refused(503, "unavailable", "try again"));
    }
    sessions.put(resourceId, session);
    startTicking();
    return gateway
        .publish(key.get(), new PublishSession(sessionId, remoteAddress, ingestNode))
        .handle(
            (reply, error) -> {
              unanswered.decrementAndGet();
              if (reply instanceof PublishAccepted accepted) {
                if (session.attach(accepted.sink())) {
                  metrics.publishAccepted();
                  return new Created(resourceId, agreement.sdp());
                }
                return (Outcome) new Refused(503, "unavailable", "the session ended at once");
              }
              session.end("publish refused", false);
              if (reply instanceof PublishRejected rejected) {
                metrics.publishRejected(rejected.reason().name().toLowerCase().replace('_', '-'));
                log.info(
                    "WHIP publish from {} stream {} refused: {}",
                    remoteAddress,
                    key.get().streamId(),
                    rejected.reason());
                return refusal(rejected.reason());
              }
              metrics.publishRejected(error != null ? "publish-timeout" : "gateway-error");
              log.warn(
                  "WHIP publish from {} stream {}: the stream did not answer: {}",
                  remoteAddress,
                  key.get().streamId(),
                  error == null ? reply : error.toString());
              return new Refused(503, "unavailable", "the stream did not answer; try again");
            });
  }

  private byte[] bytes(int n) {
    byte[] b = new byte[n];
    random.nextBytes(b);
    return b;
  }

  private static Refused refusal(PublishRejection reason) {
    return switch (reason) {
      case UNKNOWN_STREAM, WRONG_KEY ->
          new Refused(401, "unauthorized", "the stream key is not valid");
      case KEY_EXPIRED -> new Refused(403, "key_expired", "the stream key has expired");
      case KEY_REVOKED -> new Refused(403, "key_revoked", "the stream key was revoked");
      case UNAVAILABLE -> new Refused(503, "unavailable", "the stream cannot go live now");
    };
  }

  /** The publisher's DELETE: ends its session as a publisher that stops does. */
  public boolean end(String resourceId) {
    WhipSession session = sessions.get(resourceId);
    if (session == null) {
      return false;
    }
    session.end("ended by the publisher", false);
    return true;
  }

  private void forget(WhipSession session) {
    if (sessions.remove(session.resourceId(), session)) {
      reserved.decrementAndGet();
      stopTickingIfIdle();
    }
  }

  private void tick() {
    long now = System.nanoTime();
    for (WhipSession session : List.copyOf(sessions.values())) {
      try {
        session.tick(now);
      } catch (Throwable e) {
        // a session's failure ends that session only; the tick goes on for the others
        log.warn("WHIP session failed its tick: {}", e.toString(), e);
        session.end("internal error: " + e, true);
        if (e instanceof VirtualMachineError fatal) {
          throw fatal;
        }
      }
    }
  }

  private static CompletionStage<Outcome> done(Outcome outcome) {
    return CompletableFuture.completedFuture(outcome);
  }

  /** Ends every session (their streams keep their reconnect grace) and closes the port. */
  @Override
  public void close() {
    closed = true;
    for (WhipSession session : List.copyOf(sessions.values())) {
      session.end("the server is shutting down", true);
    }
    ticker.shutdownNow();
    handshakes.shutdownNow();
    port.close();
  }
}

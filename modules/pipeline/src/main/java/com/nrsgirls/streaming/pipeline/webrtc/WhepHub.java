package com.nrsgirls.streaming.pipeline.webrtc;

import com.nrsgirls.streaming.pipeline.graph.Branch;
import com.nrsgirls.streaming.webrtc.dtls.DtlsCertificate;
import com.nrsgirls.streaming.webrtc.sdp.Sdp;
import com.nrsgirls.streaming.webrtc.sdp.SdpException;
import com.nrsgirls.streaming.webrtc.sdp.WhepAnswer;
import com.nrsgirls.streaming.webrtc.sdp.WhipAnswer;
import com.nrsgirls.streaming.webrtc.transport.IceCredentials;
import com.nrsgirls.streaming.webrtc.transport.UdpPort;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.apache.pekko.Done;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * WebRTC playback (WHEP): a viewer's {@code POST /whep/{streamId}} with an SDP offer becomes a
 * {@link WhepViewer} on the node's one UDP port (shared with WHIP), fed by the stream's {@link
 * WhepFeed}. A stream's feed exists only while it has viewers (and {@code linger} after): the first
 * viewer attaches a {@code webrtc} branch to the stream's running graph, and each later session of
 * the stream on this node starts with one, so a stream nobody watches over WebRTC costs nothing.
 *
 * <p>Only the node running the stream's graph can serve it; elsewhere the answer is 404 (in a
 * cluster the HTTP layer forwards viewers' requests to that node first).
 *
 * <p>Threads: one ticker thread sends sender reports and ends viewers that timed out; DTLS
 * handshakes run on their own pool, one blocking task per viewer while it shakes hands.
 */
public final class WhepHub implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(WhepHub.class);

  /** The name of the branch feeding a stream's viewers. */
  public static final String OUTPUT = "webrtc";

  /** The running graphs of this node, as the hub needs them. */
  public interface LiveGraphs {
    /**
     * Attaches the branch {@code branch} makes for the stream's running session here (given its
     * session id; null if it has it already); false if no session of the stream runs here.
     */
    boolean attach(String streamId, Function<String, Branch> branch);

    /** Detaches the branch named {@code name} from the stream's running session, if any. */
    CompletionStage<Done> detach(String streamId, String name);
  }

  /** What an offer came to: an answer for a new viewer, or a refusal with its HTTP status. */
  public sealed interface Outcome {}

  /** The viewer {@code resourceId} answers with {@code sdp}. */
  public record Created(String resourceId, String sdp) implements Outcome {}

  /** Refused: {@code status} with a short {@code error} code and a sentence. */
  public record Refused(int status, String error, String message) implements Outcome {}

  /** Viewers that may be waiting for their ICE check and DTLS at once. */
  private static final int MAX_CONNECTING = 64;

  private final WhepSettings settings;
  private final UdpPort port;
  private final DtlsCertificate certificate = DtlsCertificate.generate();
  private final ExecutorService handshakes;
  private final ScheduledExecutorService ticker;
  private final Map<String, WhepFeed> feeds = new ConcurrentHashMap<>();
  private final Map<String, WhepViewer> viewers = new ConcurrentHashMap<>();
  private final SecureRandom random = new SecureRandom();
  private volatile LiveGraphs graphs;
  private volatile boolean closed;
  private ScheduledFuture<?> ticking;

  public WhepHub(WhepSettings settings, UdpPort port) {
    this.settings = settings;
    this.port = port;
    this.handshakes = Executors.newCachedThreadPool(daemons("whep-dtls"));
    this.ticker = Executors.newSingleThreadScheduledExecutor(daemons("whep-viewers"));
  }

  private static java.util.concurrent.ThreadFactory daemons(String name) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, name + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }

  /** Where the hub attaches its branches: the node's {@code StreamGraphs}. */
  public void bind(LiveGraphs graphs) {
    this.graphs = graphs;
  }

  /** Viewers connected or connecting now. */
  public int viewers() {
    return viewers.size();
  }

  /** Streams with a WebRTC output on this node now. */
  public int feeds() {
    return feeds.size();
  }

  /**
   * A viewer's offer for {@code streamId}: answered when the stream runs on this node.
   *
   * @param remoteAddress the viewer's address, for the logs
   */
  public Outcome play(String streamId, String offer, String remoteAddress) {
    LiveGraphs live = graphs;
    if (closed || live == null) {
      return new Refused(503, "unavailable", "the node is not serving WebRTC now");
    }
    if (viewers.size() >= settings.maxViewers()) {
      return new Refused(503, "too_many_viewers", "this node serves all the viewers it can");
    }
    if (viewers.values().stream().filter(v -> !v.connected()).count() >= MAX_CONNECTING) {
      // offers cost nothing to send: they may not hold every slot for a handshake timeout each
      return new Refused(503, "unavailable", "too many viewers are connecting; try again");
    }
    Sdp parsed;
    try {
      parsed = Sdp.parse(offer);
    } catch (SdpException e) {
      return new Refused(400, "bad_offer", e.getMessage());
    }
    String resourceId = HexFormat.of().formatHex(bytes(12));
    WhepViewer viewer;
    String answer;
    synchronized (this) {
      WhepFeed existing = feeds.get(streamId);
      if (existing != null && existing.hasBFrames()) {
        return new Refused(
            422,
            "b_frames",
            WhepFeed.B_FRAMES
                + ": the publisher must send none (OBS: B-frames 0; x264: bframes=0)");
      }
      WhepFeed feed = existing != null ? existing : new WhepFeed(streamId, settings);
      IceCredentials ice = IceCredentials.random();
      WhepAnswer.Sources sources = new WhepAnswer.Sources(ssrc(), ssrc(), "nrs-" + streamId);
      WhepAnswer.Agreement agreement;
      try {
        agreement =
            WhepAnswer.answer(
                parsed,
                new WhipAnswer.Local(
                    ice.ufrag(),
                    ice.password(),
                    certificate.fingerprintSha256(),
                    settings.candidateAddress(),
                    settings.candidatePort(port.localAddress().getPort())),
                sources,
                feed.profileIdc());
      } catch (SdpException e) {
        return new Refused(400, "bad_offer", e.getMessage());
      }
      try {
        viewer =
            new WhepViewer(
                resourceId,
                streamId,
                remoteAddress,
                agreement,
                sources,
                ice,
                certificate,
                port,
                handshakes,
                settings,
                v -> left(feed, v));
      } catch (IllegalArgumentException ufragTaken) {
        return new Refused(503, "unavailable", "try again");
      }
      if (existing == null) {
        // listed first: a session starting meanwhile must find it (StreamGraphs asks again)
        feeds.put(streamId, feed);
        if (!live.attach(streamId, feed::branch)) {
          feeds.remove(streamId, feed);
          feed.close();
          viewer.end("the stream is not live here");
          return new Refused(404, "not_live", "the stream is not live on this node");
        }
        log.info("stream={} webrtc: output started for its first viewer", streamId);
      }
      viewers.put(resourceId, viewer);
      feed.add(viewer);
      try {
        startTicking();
      } catch (RejectedExecutionException stopping) {
        viewer.end("the node is stopping");
        return new Refused(503, "unavailable", "the node is stopping");
      }
      answer = agreement.sdp();
    }
    log.info(
        "WHEP viewer {} stream {} accepted ({} viewers on this node)",
        remoteAddress,
        streamId,
        viewers.size());
    return new Created(resourceId, answer);
  }

  private long ssrc() {
    return random.nextInt() & 0xffffffffL;
  }

  private byte[] bytes(int n) {
    byte[] b = new byte[n];
    random.nextBytes(b);
    return b;
  }

  private void left(WhepFeed feed, WhepViewer viewer) {
    viewers.remove(viewer.resourceId(), viewer);
    feed.remove(viewer);
  }

  /**
   * The branch the session {@code sessionId} of {@code streamId} is to have: the stream's feed when
   * it has viewers here (or had them within the linger) and is not in that session yet; null
   * otherwise. Asked when the session starts, and again once it is running (a viewer may have come
   * in between).
   */
  public Branch branchFor(String streamId, String sessionId) {
    WhepFeed feed = feeds.get(streamId);
    return feed == null ? null : feed.branch(sessionId);
  }

  /** The stream's outputs ended (it stopped for good): its viewers are told by their end. */
  public void endAll(String streamId) {
    WhepFeed feed;
    synchronized (this) {
      feed = feeds.remove(streamId);
    }
    if (feed != null) {
      feed.endViewers("the stream ended");
      feed.close();
      log.info("stream={} webrtc: output ended with the stream", streamId);
    }
  }

  /** The viewer's DELETE; false if there is no such viewer of the stream. */
  public boolean end(String streamId, String resourceId) {
    WhepViewer viewer = viewers.get(resourceId);
    if (viewer == null || !viewer.streamId().equals(streamId)) {
      return false;
    }
    viewer.end("ended by the viewer");
    return true;
  }

  private synchronized void startTicking() {
    if ((ticking == null || ticking.isDone()) && !closed) {
      long every = settings.reportInterval().toNanos();
      ticking = ticker.scheduleAtFixedRate(this::tick, every, every, TimeUnit.NANOSECONDS);
    }
  }

  /** Each step guarded: an exception would otherwise cancel the ticking for good. */
  private void tick() {
    long now = System.nanoTime();
    for (WhepViewer v : List.copyOf(viewers.values())) {
      try {
        v.tick(now);
      } catch (Throwable e) {
        log.warn("WHEP viewer of stream {} failed its tick: {}", v.streamId(), e.toString(), e);
        try {
          v.end("internal error: " + e);
        } catch (Throwable again) {
          viewers.remove(v.resourceId(), v);
        }
        if (e instanceof VirtualMachineError fatal) {
          throw fatal;
        }
      }
    }
    for (WhepFeed feed : List.copyOf(feeds.values())) {
      try {
        List<WhepViewer> watching = feed.viewers();
        if (!watching.isEmpty() && now - feed.lastPacketNanos() > settings.timeout().toNanos()) {
          feed.endViewers(
              "no media from the stream for " + settings.timeout().toSeconds() + " s here");
        } else if (watching.isEmpty()
            && now - feed.emptySinceNanos() > settings.linger().toNanos()) {
          closeIdle(feed);
        }
      } catch (RuntimeException e) {
        log.warn("stream={} webrtc: its output failed its tick: {}", feed.streamId(), e.toString());
      }
    }
    synchronized (this) {
      if (feeds.isEmpty() && viewers.isEmpty() && ticking != null) {
        ticking.cancel(false);
        ticking = null;
      }
    }
  }

  private void closeIdle(WhepFeed feed) {
    synchronized (this) {
      if (!feed.viewers().isEmpty() || !feeds.remove(feed.streamId(), feed)) {
        return; // a viewer came back in the meantime
      }
    }
    feed.close();
    LiveGraphs live = graphs;
    if (live != null) {
      live.detach(feed.streamId(), OUTPUT);
    }
    log.info(
        "stream={} webrtc: output stopped, no viewers for {}", feed.streamId(), settings.linger());
  }

  /** Ends every viewer and stops the ticker; the port is WHIP's to close. */
  @Override
  public void close() {
    closed = true;
    for (WhepViewer v : List.copyOf(viewers.values())) {
      v.end("the server is shutting down");
    }
    for (WhepFeed feed : List.copyOf(feeds.values())) {
      feed.close();
    }
    feeds.clear();
    ticker.shutdownNow();
    handshakes.shutdownNow();
  }
}

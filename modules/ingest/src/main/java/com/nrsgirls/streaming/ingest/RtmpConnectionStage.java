package com.nrsgirls.streaming.ingest;

import com.nrsgirls.streaming.core.media.MediaPacket;
import com.nrsgirls.streaming.core.stream.LiveStreamProtocol.PublishAccepted;
import com.nrsgirls.streaming.core.stream.LiveStreamProtocol.PublishRejected;
import com.nrsgirls.streaming.core.stream.LiveStreamProtocol.PublishReply;
import com.nrsgirls.streaming.core.stream.LiveStreamProtocol.PublishSession;
import com.nrsgirls.streaming.core.stream.StreamKey;
import com.nrsgirls.streaming.ingest.rtmp.RtmpServerSession;
import com.nrsgirls.streaming.rtmp.RtmpProtocolException;
import com.nrsgirls.streaming.rtmp.StreamMetadata;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Comparator;
import java.util.Locale;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.apache.pekko.stream.Attributes;
import org.apache.pekko.stream.FlowShape;
import org.apache.pekko.stream.Inlet;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.Outlet;
import org.apache.pekko.stream.RemoteStreamRefActorTerminatedException;
import org.apache.pekko.stream.SubscriptionWithCancelException;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.stream.stage.AsyncCallback;
import org.apache.pekko.stream.stage.GraphStage;
import org.apache.pekko.stream.stage.GraphStageLogic;
import org.apache.pekko.stream.stage.InHandler;
import org.apache.pekko.stream.stage.OutHandler;
import org.apache.pekko.stream.stage.TimerGraphStageLogic;
import org.apache.pekko.util.ByteString;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one RTMP connection: TCP bytes in, the {@link RtmpServerSession} in the middle, TCP bytes
 * out, and the published media out to the {@code SinkRef} the stream's entity answered with.
 *
 * <p>Data flow: each received {@code ByteString} is fed to the session, which answers with replies
 * (pushed to the TCP outlet) and signals. On a publish the stage stops reading and asks the {@link
 * PublishGateway}; when accepted it opens a sub-source for the media, materializes it into the sink
 * (in this stage's own actor: no thread hop per packet), and carries on. A media packet goes out
 * only when the sink demands it; until then the stage reads no more TCP input, so a slow stream
 * backpressures the publisher. When the sink cancels (the stream was stopped or taken over) the
 * connection is closed; when the server shuts down (it cancels the TCP output) the media ends
 * normally.
 *
 * <p>Deadlines (handshake, publish, idle) are checked by one periodic timer against timestamps the
 * stage keeps, so a read costs no timer work. While publishing, the timer ticks every {@code
 * read-interval} and paces the reads: after a short read the next waits for a tick, so it takes
 * several of the encoder's writes at once (each read is several thread hand-offs in Pekko TCP).
 * Around the time the next video keyframe is forecast ({@link KeyframeForecast}) reads are not
 * paced, so the segment that keyframe closes is listed without waiting a tick.
 *
 * <p>Every problem (protocol error, timeout, rejection, a closed sink) closes this connection only,
 * after the replies already queued are sent. All mutable state lives in the logic.
 */
final class RtmpConnectionStage extends GraphStage<FlowShape<ByteString, ByteString>> {

  /** What the server wants to hear about a connection. */
  interface Observer {
    /**
     * Asked before the stream is: why a publish to {@code streamId} from this connection's address
     * is refused without a key check ({@code too-many-failed-publishes}), or null.
     */
    String publishRefusal(String streamId);

    /**
     * A publish was refused; {@code reason} as for {@link IngestMetrics#publishRejected}, {@code
     * streamId} as the key named it (null when the key was malformed).
     */
    void publishRejected(String reason, String streamId);

    /** The connection ended. Called once. */
    void closed();

    /**
     * Whether the server is shutting down: a TCP output cancelled then was cancelled by us, not by
     * the peer.
     */
    boolean serverStopping();
  }

  private static final Logger log = LoggerFactory.getLogger(RtmpConnectionStage.class);

  /** Replies the peer has not read yet; beyond this the stage stops reading its input. */
  private static final int MAX_OUTPUT_BACKLOG = 256 * 1024;

  /** How long final replies (a rejection) may take to leave before the socket is closed anyway. */
  private static final Duration CLOSE_GRACE = Duration.ofSeconds(5);

  /** Checks the handshake, publish and idle deadlines; while publishing, paces the reads too. */
  private static final String DEADLINE_TIMER = "deadlines";

  private static final String PUBLISH_TIMER = "publish";
  private static final String CLOSE_TIMER = "close";

  /** How long after its forecast a late keyframe still keeps reads unpaced. */
  private static final Duration KEYFRAME_GRACE = Duration.ofSeconds(1);

  /** The longest the deadline check waits; deadlines are met within this much. */
  private static final Duration MAX_DEADLINE_CHECK_INTERVAL = Duration.ofSeconds(1);

  private final Inlet<ByteString> in = Inlet.create("RtmpConnection.in");
  private final Outlet<ByteString> out = Outlet.create("RtmpConnection.out");
  private final FlowShape<ByteString, ByteString> shape = FlowShape.of(in, out);

  private final IngestSettings settings;
  private final PublishGateway gateway;
  private final IngestMetrics metrics;
  private final InetSocketAddress remote;
  private final String ingestNode;
  private final Supplier<String> sessionIds;
  private final Observer observer;

  RtmpConnectionStage(
      IngestSettings settings,
      PublishGateway gateway,
      IngestMetrics metrics,
      InetSocketAddress remote,
      String ingestNode,
      Supplier<String> sessionIds,
      Observer observer) {
    this.settings = settings;
    this.gateway = gateway;
    this.metrics = metrics;
    this.remote = remote;
    this.ingestNode = ingestNode;
    this.sessionIds = sessionIds;
    this.observer = observer;
  }

  @Override
  public FlowShape<ByteString, ByteString> shape() {
    return shape;
  }

  @Override
  public GraphStageLogic createLogic(Attributes inheritedAttributes) {
    return new Logic();
  }

  /** A gateway answer, tagged with the attempt it answers. */
  private record Decision(PublishReply reply, Throwable error, AtomicBoolean consumed) {}

  private final class Logic extends TimerGraphStageLogic implements InHandler, OutHandler {
    private static final ByteBuffer NO_INPUT = ByteBuffer.allocate(0);

    private final RtmpServerSession session =
        new RtmpServerSession(settings.session(), new Random());
    private final String remoteText = remote.getAddress().getHostAddress() + ":" + remote.getPort();
    private final long openedAt = System.nanoTime();
    private final AsyncCallback<Decision> onDecision = createAsyncCallback(this::decided);

    private Materializer mat;
    private ByteBuffer input;
    private long handshakeDoneNanos = -1;
    private boolean publishRequested;

    /**
     * When the stage last started waiting for input: right after it used the previous input, or
     * when it resumed reading after a pause (backpressure, a publish decision). Idle time counts
     * from here.
     */
    private long lastInputNanos;

    /** Reads wait for the deadline timer's ticks (while publishing, see {@code read-interval}). */
    private boolean readsPaced;

    private boolean pullDeferred;
    private int lastReadBytes;
    private KeyframeForecast keyframes;

    private boolean awaitingDecision;
    private CompletionStage<PublishReply> decision;
    private AtomicBoolean decisionConsumed;
    private SubSourceOutlet<MediaPacket> media;
    private MediaPacket pendingMedia;
    private boolean closing;
    private boolean finished;
    private String closeReason = "open";
    private String streamId;
    private String sessionId;
    private StreamKey publishKey;

    /**
     * The latest codec configuration of each track: a resumed session's new graph gets them first.
     */
    private MediaPacket videoConfig;

    private MediaPacket audioConfig;
    private final java.util.ArrayDeque<MediaPacket> replay = new java.util.ArrayDeque<>(2);

    /** Resumed: media waits for the next video keyframe (a new graph starts on one). */
    private boolean keyframeGate;

    private boolean resuming;

    Logic() {
      super(shape);
      setHandler(in, this);
      setHandler(out, this);
    }

    @Override
    public void preStart() {
      mat = materializer();
      metrics.connectionOpened();
      log.info("RTMP connection opened from {}", remoteText);
      Duration check = deadlineCheckInterval();
      scheduleWithFixedDelay(DEADLINE_TIMER, check, check);
      requestInput();
    }

    // ---- TCP in ---------------------------------------------------------------------------

    @Override
    public void onPush() {
      ByteString bytes = grab(in);
      lastReadBytes = bytes.size();
      metrics.bytesIn(lastReadBytes);
      input = bytes.asByteBuffer();
      drive();
    }

    /**
     * The peer closed its side. What it sent before (the last frames, deleteStream) may still sit
     * in {@code input} behind backpressure, so read that first.
     */
    @Override
    public void onUpstreamFinish() {
      if (closing) {
        finish();
      } else {
        drive();
      }
    }

    @Override
    public void onUpstreamFailure(Throwable ex) {
      peerGone("connection-failed", ex);
    }

    // ---- TCP out --------------------------------------------------------------------------

    @Override
    public void onPull() {
      flush();
      drive();
    }

    @Override
    public void onDownstreamFinish(Throwable cause) {
      if (closing) {
        finish();
      } else if (observer.serverStopping()) {
        serverShutdown();
      } else {
        drive();
      }
    }

    // ---- the session ----------------------------------------------------------------------

    /** Feeds the session until it needs input the stage may not read yet, or is done. */
    private void drive() {
      try {
        while (!closing && !awaitingDecision) {
          if (pendingMedia == null && !replay.isEmpty()) {
            pendingMedia = replay.poll();
          }
          if (pendingMedia != null) {
            if (!media.isAvailable()) {
              break;
            }
            media.push(pendingMedia);
            pendingMedia = null;
          }
          if (session.pendingOutputBytes() > MAX_OUTPUT_BACKLOG) {
            break;
          }
          RtmpServerSession.Signal signal = session.process(input != null ? input : NO_INPUT);
          if (handshakeDoneNanos < 0 && session.isHandshakeDone()) {
            handshakeDoneNanos = System.nanoTime();
          }
          switch (signal) {
            case NEED_INPUT -> {
              input = null;
              if (isClosed(in) || isClosed(out)) {
                peerGone("peer-closed", null);
                return;
              }
              if (readsPaced
                  && lastReadBytes < settings.tcpReadSize() / 2
                  && !keyframes.due(System.nanoTime())) {
                // wait for the next tick: by then the encoder's next writes are in one read
                pullDeferred = true;
              } else {
                requestInput();
              }
              flush();
              return;
            }
            case MEDIA -> {
              pendingMedia = session.takeMedia();
              if (pendingMedia.isConfig()) {
                if (pendingMedia.isVideo()) {
                  videoConfig = pendingMedia;
                } else {
                  audioConfig = pendingMedia;
                }
              } else if (keyframeGate) {
                if (pendingMedia.isVideo() && pendingMedia.isKeyframe()) {
                  keyframeGate = false;
                } else {
                  pendingMedia = null; // before the resumed graph's first keyframe
                  continue;
                }
              }
              if (readsPaced
                  && pendingMedia.isVideo()
                  && pendingMedia.isKeyframe()
                  && !pendingMedia.isConfig()) {
                keyframes.keyframe(pendingMedia.dts(), System.nanoTime());
              }
            }
            case PUBLISH_REQUESTED -> requestPublish();
            case METADATA -> logMetadata(session.metadata());
            case PUBLISH_ENDED -> endPublish();
          }
        }
      } catch (RtmpProtocolException e) {
        protocolError(e);
      } catch (RuntimeException e) {
        // a bug of ours must still cost only this connection
        log.error("RTMP connection from {}{} failed", remoteText, ids(), e);
        protocolError(new RtmpProtocolException("internal-error", e.toString(), e));
      }
      flush();
    }

    private void requestInput() {
      if (!hasBeenPulled(in) && !isClosed(in)) {
        pull(in);
        lastInputNanos = System.nanoTime();
      }
    }

    private void flush() {
      if (session.hasOutput() && isAvailable(out)) {
        push(out, ByteString.fromArrayUnsafe(session.takeOutput()));
      }
      if (closing && (!session.hasOutput() || isClosed(out))) {
        finish();
      }
    }

    // ---- publish --------------------------------------------------------------------------

    private void requestPublish() {
      awaitingDecision = true;
      publishRequested = true;
      Optional<StreamKey> key = session.requestedKey();
      if (key.isEmpty()) {
        reject("malformed-key", "NetStream.Publish.BadName", "Invalid stream key.");
        return;
      }
      streamId = key.get().streamId();
      publishKey = key.get();
      String refusal = observer.publishRefusal(streamId);
      if (refusal != null) {
        reject(refusal, "NetStream.Publish.BadName", "Too many failed attempts, try again later.");
        return;
      }
      sessionId = sessionIds.get();
      askStream(settings.publishTimeout());
    }

    /** Asks the stream to take this connection's session; the answer comes to {@link #decided}. */
    private void askStream(Duration timeout) {
      AtomicBoolean consumed = new AtomicBoolean();
      decisionConsumed = consumed;
      scheduleOnce(PUBLISH_TIMER, timeout);
      CompletionStage<PublishReply> answer;
      try {
        answer = gateway.publish(publishKey, new PublishSession(sessionId, remoteText, ingestNode));
      } catch (RuntimeException e) {
        answer = CompletableFuture.failedFuture(e);
      }
      decision = answer;
      answer.whenComplete(
          (reply, error) -> onDecision.invoke(new Decision(reply, error, consumed)));
    }

    private void decided(Decision d) {
      if (!d.consumed().compareAndSet(false, true)) {
        return; // abandoned: abandonDecision took care of it
      }
      if (!awaitingDecision || closing || d.consumed() != decisionConsumed) {
        discard(d.reply());
        return;
      }
      cancelTimer(PUBLISH_TIMER);
      if (d.error() != null) {
        log.warn(
            "RTMP publish from {}{}: the stream did not answer: {}",
            remoteText,
            ids(),
            d.error().toString());
        reject("gateway-error", "NetStream.Publish.BadName", "The stream is not available.");
      } else if (d.reply() instanceof PublishAccepted accepted) {
        accept(accepted);
      } else if (d.reply() instanceof PublishRejected rejected) {
        reject(
            rejected.reason().name().toLowerCase(Locale.ROOT).replace('_', '-'),
            "NetStream.Publish.BadName",
            "Stream key rejected.");
      } else {
        reject("gateway-error", "NetStream.Publish.BadName", "The stream is not available.");
      }
    }

    private void accept(PublishAccepted accepted) {
      streamId = accepted.streamId();
      media = new SubSourceOutlet<>("RtmpConnection.media");
      media.setHandler(
          new OutHandler() {
            @Override
            public void onPull() {
              drive();
            }

            @Override
            public void onDownstreamFinish(Throwable cause) {
              sinkClosed(cause);
            }
          });
      try {
        Source.fromGraph(media.source())
            .runWith(accepted.sink().getSink(), subFusingMaterializer());
      } catch (RuntimeException e) {
        log.warn("RTMP publish from {}{}: the stream's sink failed: {}", remoteText, ids(), e);
        media = null;
        reject("gateway-error", "NetStream.Publish.BadName", "The stream is not available.");
        return;
      }
      awaitingDecision = false;
      if (resuming) {
        resuming = false;
        if (videoConfig != null) {
          replay.add(videoConfig);
          keyframeGate = true;
        }
        if (audioConfig != null) {
          replay.add(audioConfig);
        }
        metrics.publishResumed();
        log.info("RTMP publish from {}{} resumed: the stream runs on again", remoteText, ids());
        drive();
        return;
      }
      if (!settings.readInterval().isZero()) {
        readsPaced = true;
        // Around each forecast keyframe reads are not paced: the segment it closes is listed
        // without waiting for the next tick. The window opens two ticks early, so a read deferred
        // just before it opens is done in time.
        long tick = settings.readInterval().toNanos();
        keyframes = new KeyframeForecast(2 * tick, KEYFRAME_GRACE.toNanos(), System.nanoTime());
        scheduleWithFixedDelay(DEADLINE_TIMER, settings.readInterval(), settings.readInterval());
      }
      session.publishAccepted();
      metrics.publishAccepted();
      log.info("RTMP publish accepted from {}{}", remoteText, ids());
      drive();
    }

    private void reject(String reason, String code, String description) {
      awaitingDecision = false;
      metrics.publishRejected(reason);
      observer.publishRejected(reason, streamId);
      log.info("RTMP publish rejected from {}{}: {}", remoteText, ids(), reason);
      session.publishRejected(code, description);
      close("publish-rejected");
    }

    /** Gives up on a pending answer: an accepted sink that arrives later is failed, not leaked. */
    private void abandonDecision() {
      if (decision != null) {
        AtomicBoolean consumed = decisionConsumed;
        decision.thenAccept(
            reply -> {
              if (consumed.compareAndSet(false, true)) {
                discard(reply);
              }
            });
      }
    }

    private void discard(PublishReply reply) {
      if (reply instanceof PublishAccepted accepted) {
        Source.<MediaPacket>failed(
                new IllegalStateException("the publisher left before the publish started"))
            .runWith(accepted.sink().getSink(), mat);
      }
    }

    private void endPublish() {
      log.info("RTMP publish ended by the publisher from {}{}", remoteText, ids());
      media.complete();
    }

    private void sinkClosed(Throwable cause) {
      if (closing) {
        return;
      }
      if (resumable(cause)) {
        resume(cause);
        return;
      }
      if (cause instanceof SubscriptionWithCancelException.NonFailureCancellation) {
        log.info(
            "RTMP publish from {}{}: the stream closed its input (stopped or taken over by a new"
                + " publish), closing the connection",
            remoteText,
            ids());
      } else {
        log.info(
            "RTMP publish from {}{}: the stream's input failed ({}), closing the connection",
            remoteText,
            ids(),
            cause.getMessage());
      }
      close("sink-closed");
    }

    /**
     * The stream's graph went away without ending the session: its node died (the StreamRef's
     * partner terminated) or it moved off a node that is leaving (the graph was failed, not closed,
     * which is what a stop or a takeover does).
     */
    private boolean resumable(Throwable cause) {
      if (settings.resumeTimeout().isZero()
          || publishKey == null
          || cause instanceof SubscriptionWithCancelException.NonFailureCancellation) {
        return false;
      }
      for (Throwable t = cause; t != null; t = t.getCause()) {
        if (t instanceof RemoteStreamRefActorTerminatedException) {
          return true;
        }
      }
      return false;
    }

    /**
     * Asks the stream to take this session back (its entity, started again on another node, waits
     * for that); reads pause meanwhile, so the encoder holds its media. What was on its way to the
     * lost graph is dropped; the new graph starts with the codec configurations and the next
     * keyframe.
     */
    private void resume(Throwable cause) {
      resuming = true;
      awaitingDecision = true;
      media = null;
      pendingMedia = null;
      replay.clear();
      log.info(
          "RTMP publish from {}{}: the stream's node was lost ({}), resuming on its next node",
          remoteText,
          ids(),
          cause.getClass().getSimpleName());
      askStream(settings.resumeTimeout());
    }

    private void logMetadata(StreamMetadata m) {
      log.info(
          "RTMP metadata from {}{}: {}x{} {} fps, video {} kbit/s, audio {} kbit/s, encoder '{}'",
          remoteText,
          ids(),
          m.width(),
          m.height(),
          m.frameRate(),
          m.videoDataRate(),
          m.audioDataRate(),
          m.encoder());
    }

    // ---- ending ---------------------------------------------------------------------------

    @Override
    public void onTimer(Object key) {
      switch ((String) key) {
        case DEADLINE_TIMER -> {
          checkDeadlines(System.nanoTime());
          if (pullDeferred && !closing) {
            pullDeferred = false;
            requestInput();
          }
        }
        case PUBLISH_TIMER -> {
          if (awaitingDecision && !closing) {
            abandonDecision();
            reject("publish-timeout", "NetStream.Publish.BadName", "The stream did not answer.");
          }
        }
        case CLOSE_TIMER -> finish();
        default -> throw new IllegalStateException("unknown timer " + key);
      }
    }

    private void checkDeadlines(long now) {
      if (closing) {
        return;
      }
      if (handshakeDoneNanos < 0) {
        if (now - openedAt > settings.handshakeTimeout().toNanos()) {
          protocolError(
              new RtmpProtocolException(
                  "handshake-timeout",
                  "no complete handshake within " + settings.handshakeTimeout()));
        }
      } else if (!publishRequested
          && now - handshakeDoneNanos > settings.publishDeadline().toNanos()) {
        protocolError(
            new RtmpProtocolException(
                "no-publish", "no publish within " + settings.publishDeadline()));
      } else if (hasBeenPulled(in)
          && !awaitingDecision
          && now - lastInputNanos > settings.idleTimeout().toNanos()) {
        protocolError(
            new RtmpProtocolException(
                "idle-timeout", "nothing received for " + settings.idleTimeout()));
      }
    }

    /** A quarter of the shortest deadline, so each is met within a quarter of its length. */
    private Duration deadlineCheckInterval() {
      Duration quarter =
          Stream.of(settings.handshakeTimeout(), settings.idleTimeout(), settings.publishDeadline())
              .min(Comparator.naturalOrder())
              .orElseThrow()
              .dividedBy(4);
      if (quarter.compareTo(MAX_DEADLINE_CHECK_INTERVAL) > 0) {
        return MAX_DEADLINE_CHECK_INTERVAL;
      }
      return quarter.isZero() ? Duration.ofMillis(1) : quarter;
    }

    private void protocolError(RtmpProtocolException e) {
      metrics.protocolError(e.reason());
      log.warn(
          "RTMP protocol error from {}{}: {}: {}", remoteText, ids(), e.reason(), e.getMessage());
      failMedia(e);
      close(e.reason());
    }

    /** Closes after the queued replies are sent (or after a grace period if nobody reads). */
    private void close(String reason) {
      if (closing) {
        return;
      }
      closing = true;
      closeReason = reason;
      cancelTimer(DEADLINE_TIMER);
      cancelTimer(PUBLISH_TIMER);
      if (awaitingDecision) {
        abandonDecision();
      }
      scheduleOnce(CLOSE_TIMER, CLOSE_GRACE);
      flush();
    }

    /**
     * The server cancelled the TCP output (it is shutting down): the publisher did nothing wrong,
     * so its media ends normally, and nothing more can be sent to it.
     */
    private void serverShutdown() {
      if (media != null && !media.isClosed()) {
        log.info("RTMP publish from {}{} ended: the server is shutting down", remoteText, ids());
        media.complete();
      }
      close("server-shutdown");
    }

    /** The TCP connection ended under us. */
    private void peerGone(String reason, Throwable cause) {
      if (!closing) {
        closeReason = reason;
        if (cause != null) {
          log.info("RTMP connection from {}{} failed: {}", remoteText, ids(), cause.toString());
        }
        if (media != null && !media.isClosed()) {
          failMedia(
              new RtmpProtocolException(
                  reason, "the publisher's connection ended without deleteStream"));
        }
        if (awaitingDecision) {
          abandonDecision();
        }
        closing = true;
      }
      finish();
    }

    /** Stops the stage once: completes the TCP output (the socket closes) and cancels the input. */
    private void finish() {
      if (!finished) {
        finished = true;
        completeStage();
      }
    }

    private void failMedia(Throwable cause) {
      if (media != null && !media.isClosed()) {
        media.fail(cause);
      }
    }

    @Override
    public void postStop() {
      long millis = (System.nanoTime() - openedAt) / 1_000_000;
      metrics.connectionClosed(closeReason, Duration.ofMillis(millis), session.bytesReceived());
      log.info(
          "RTMP connection closed from {}{} after {} ms, {} bytes in: {}",
          remoteText,
          ids(),
          millis,
          session.bytesReceived(),
          closeReason);
      observer.closed();
    }

    private String ids() {
      if (streamId == null) {
        return "";
      }
      return sessionId == null
          ? " stream " + streamId
          : " stream " + streamId + " session " + sessionId;
    }
  }
}

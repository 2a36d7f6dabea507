package com.nrsgirls.streaming.pipeline.stream;

import static com.nrsgirls.streaming.core.stream.LiveStreamProtocol.*;

import com.nrsgirls.streaming.core.stream.HealthStats;
import com.nrsgirls.streaming.core.stream.LiveStreamProtocol;
import com.nrsgirls.streaming.core.stream.PublishRejection;
import com.nrsgirls.streaming.core.stream.StreamKey;
import com.nrsgirls.streaming.pipeline.graph.MediaGraphFactory;
import com.nrsgirls.streaming.pipeline.graph.SessionGraph;
import com.nrsgirls.streaming.pipeline.stream.LiveStreamState.Channel;
import com.nrsgirls.streaming.pipeline.stream.LiveStreamState.Session;
import com.nrsgirls.streaming.pipeline.stream.LiveStreamState.Uncreated;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.RecoveryCompleted;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReplyBuilder;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;

/**
 * One live stream (channel), sharded by stream id and event-sourced. It owns the stream's key (as a
 * hash), checks it when a publisher asks to go live, and owns the media graph of the current
 * session: it materializes the graph on publish, hands ingest the graph's sink, and closes it on
 * stop or takeover. The journal keeps lifecycle facts only; health snapshots stay in memory.
 *
 * <p>A publish while a session is live is a takeover (an OBS reconnect after a network drop): the
 * old session is ended and its graph closed, and once the graph has flushed its branches (so the
 * HLS playlist is complete) the new session starts on the same playlist.
 */
public final class LiveStream
    extends EventSourcedBehaviorWithEnforcedReplies<
        LiveStreamProtocol.Command, LiveStreamProtocol.Event, LiveStreamState> {

  /** What every entity needs from the node it runs on. */
  public record Dependencies(
      MediaGraphFactory graphs,
      LiveStreamSettings settings,
      Clock clock,
      Supplier<String> ownerNode) {}

  private static final SecureRandom RANDOM = new SecureRandom();
  private static final String STOPPED_BY_OPERATOR = "stopped by operator";

  private final ActorContext<LiveStreamProtocol.Command> context;
  private final TimerScheduler<LiveStreamProtocol.Command> timers;
  private final String streamId;
  private final Dependencies deps;

  // Runtime resources of the current session, deliberately not part of the persistent state.
  private SessionGraph running;
  private Publish waitingForTakeover;
  private HealthStats health;
  // Ending the outputs rewrites playlists; a new session waits for it so it cannot race it.
  private CompletableFuture<Done> endingOutputs =
      CompletableFuture.completedFuture(Done.getInstance());

  public static void init(ActorSystem<?> system, Dependencies deps) {
    ClusterSharding.get(system)
        .init(
            Entity.of(ENTITY_TYPE_KEY, entityContext -> create(entityContext.getEntityId(), deps)));
  }

  public static Behavior<LiveStreamProtocol.Command> create(String streamId, Dependencies deps) {
    return Behaviors.withTimers(
        timers -> Behaviors.setup(context -> new LiveStream(context, timers, streamId, deps)));
  }

  private LiveStream(
      ActorContext<LiveStreamProtocol.Command> context,
      TimerScheduler<LiveStreamProtocol.Command> timers,
      String streamId,
      Dependencies deps) {
    super(PersistenceId.of(ENTITY_TYPE_KEY.name(), streamId));
    this.context = context;
    this.timers = timers;
    this.streamId = streamId;
    this.deps = deps;
  }

  @Override
  public LiveStreamState emptyState() {
    return new Uncreated();
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    return RetentionCriteria.snapshotEvery(deps.settings().snapshotEvery(), 2);
  }

  @Override
  public SignalHandler<LiveStreamState> signalHandler() {
    return newSignalHandlerBuilder()
        .onSignal(RecoveryCompleted.instance(), this::onRecoveryCompleted)
        .onSignal(PostStop.instance(), state -> stopRunning("stream entity stopped"))
        .build();
  }

  // ---- commands ----------------------------------------------------------------------------

  @Override
  public CommandHandlerWithReply<
          LiveStreamProtocol.Command, LiveStreamProtocol.Event, LiveStreamState>
      commandHandler() {
    CommandHandlerWithReplyBuilder<
            LiveStreamProtocol.Command, LiveStreamProtocol.Event, LiveStreamState>
        builder = newCommandHandlerWithReplyBuilder();
    builder
        .forStateType(Uncreated.class)
        .onCommand(Create.class, this::onCreate)
        .onCommand(GetState.class, (s, c) -> notFound(c.replyTo()))
        .onCommand(RotateKey.class, (s, c) -> notFound(c.replyTo()))
        .onCommand(RevokeKey.class, (s, c) -> notFound(c.replyTo()))
        .onCommand(Stop.class, (s, c) -> notFound(c.replyTo()))
        .onCommand(
            Publish.class, (s, c) -> reject(c, PublishRejection.UNKNOWN_STREAM, "no such stream"))
        .onAnyCommand(c -> Effect().none().thenNoReply());
    builder
        .forStateType(Channel.class)
        .onCommand(
            Create.class,
            (s, c) -> Effect().reply(c.replyTo(), new Conflict("stream already exists")))
        .onCommand(GetState.class, (s, c) -> Effect().reply(c.replyTo(), new StateView(view(s))))
        .onCommand(RotateKey.class, this::onRotateKey)
        .onCommand(RevokeKey.class, this::onRevokeKey)
        .onCommand(Stop.class, this::onStop)
        .onCommand(Publish.class, this::onPublish)
        .onCommand(TakeoverReady.class, this::onTakeoverReady)
        .onCommand(SessionMediaDetected.class, this::onMediaDetected)
        .onCommand(SessionHealth.class, this::onHealth)
        .onCommand(SessionEnded.class, this::onSessionEnded)
        .onCommand(EndOutputsIfIdle.class, this::onEndOutputsIfIdle)
        .onCommand(CloseOrphanedSession.class, this::onOrphanedSession);
    return builder.build();
  }

  private ReplyEffect<LiveStreamProtocol.Event, LiveStreamState> onCreate(
      Uncreated state, Create cmd) {
    StreamKey key = StreamKey.generate(streamId, RANDOM);
    Instant now = deps.clock().instant();
    Instant expires = now.plus(deps.settings().keyTtl());
    context
        .getLog()
        .info(
            "stream={} created for creator={} ({})", streamId, cmd.creatorId(), cmd.creatorType());
    return Effect()
        .persist(
            new StreamCreated(
                streamId,
                cmd.creatorId(),
                cmd.creatorType(),
                cmd.title(),
                key.hash(),
                expires,
                now))
        .thenReply(cmd.replyTo(), s -> new Created(streamId, new Key(key), expires));
  }

  private ReplyEffect<LiveStreamProtocol.Event, LiveStreamState> onRotateKey(
      Channel state, RotateKey cmd) {
    StreamKey key = StreamKey.generate(streamId, RANDOM);
    Instant now = deps.clock().instant();
    Instant expires = now.plus(deps.settings().keyTtl());
    context.getLog().info("stream={} key rotated", streamId);
    return Effect()
        .persist(new KeyRotated(key.hash(), expires, now))
        .thenReply(cmd.replyTo(), s -> new KeyIssued(new Key(key), expires));
  }

  private ReplyEffect<LiveStreamProtocol.Event, LiveStreamState> onRevokeKey(
      Channel state, RevokeKey cmd) {
    context.getLog().info("stream={} key revoked", streamId);
    return Effect()
        .persist(new KeyRevoked(deps.clock().instant()))
        .thenReply(cmd.replyTo(), s -> new Accepted());
  }

  private ReplyEffect<LiveStreamProtocol.Event, LiveStreamState> onStop(Channel state, Stop cmd) {
    if (running != null) {
      context.getLog().info("stream={} session={} stop requested", streamId, running.sessionId());
      running.stop(STOPPED_BY_OPERATOR);
    }
    return Effect().reply(cmd.replyTo(), new Accepted());
  }

  private ReplyEffect<LiveStreamProtocol.Event, LiveStreamState> onPublish(
      Channel state, Publish cmd) {
    PublishRejection rejection = checkKey(state, cmd.key().value());
    if (rejection != null) {
      return reject(cmd, rejection, "key check failed");
    }
    if (running != null) {
      return beginTakeover(state, cmd);
    }
    if (waitingForTakeover != null) {
      // A newer reconnect while an older one waits for the same takeover: the newest wins.
      reject(waitingForTakeover, PublishRejection.UNAVAILABLE, "replaced by a newer publish");
      waitingForTakeover = cmd;
      return Effect().none().thenNoReply();
    }
    if (!endingOutputs.isDone()) {
      waitingForTakeover = cmd;
      context.pipeToSelf(endingOutputs, (ok, err) -> new TakeoverReady(cmd));
      return Effect().none().thenNoReply();
    }
    return startSession(state, cmd);
  }

  private PublishRejection checkKey(Channel state, StreamKey key) {
    if (!key.matches(state.keyHash())) {
      return PublishRejection.WRONG_KEY;
    }
    if (state.keyRevoked()) {
      return PublishRejection.KEY_REVOKED;
    }
    if (!deps.clock().instant().isBefore(state.keyExpiresAt())) {
      return PublishRejection.KEY_EXPIRED;
    }
    return null;
  }

  private ReplyEffect<LiveStreamProtocol.Event, LiveStreamState> beginTakeover(
      Channel state, Publish cmd) {
    SessionGraph old = running;
    running = null;
    health = null;
    if (waitingForTakeover != null) {
      reject(waitingForTakeover, PublishRejection.UNAVAILABLE, "replaced by a newer publish");
    }
    waitingForTakeover = cmd;
    context
        .getLog()
        .info(
            "stream={} session={} taken over by session={} from {}",
            streamId,
            old.sessionId(),
            cmd.session().sessionId(),
            cmd.session().remoteAddress());
    old.stop("taken over by a new publish");
    context.pipeToSelf(
        old.completion()
            .toCompletableFuture()
            .orTimeout(deps.settings().takeoverTimeout().toMillis(), TimeUnit.MILLISECONDS),
        (ok, err) -> new TakeoverReady(cmd));
    List<LiveStreamProtocol.Event> events =
        state.live()
            ? List.of(
                new PublishEnded(state.current().sessionId(), "taken over by a new publish", now()))
            : List.of();
    return Effect().persist(events).thenNoReply();
  }

  private ReplyEffect<LiveStreamProtocol.Event, LiveStreamState> onTakeoverReady(
      Channel state, TakeoverReady cmd) {
    if (waitingForTakeover == null
        || !waitingForTakeover.session().sessionId().equals(cmd.publish().session().sessionId())
        || running != null) {
      return Effect().none().thenNoReply();
    }
    waitingForTakeover = null;
    return startSession(state, cmd.publish());
  }

  private ReplyEffect<LiveStreamProtocol.Event, LiveStreamState> startSession(
      Channel state, Publish cmd) {
    PublishSession session = cmd.session();
    SessionGraph graph;
    try {
      graph = deps.graphs().start(streamId, session.sessionId(), context.getSelf());
    } catch (RuntimeException e) {
      context
          .getLog()
          .error(
              "stream={} session={} media graph failed to start", streamId, session.sessionId(), e);
      return reject(cmd, PublishRejection.UNAVAILABLE, "media graph failed to start");
    }
    running = graph;
    health = null;
    timers.cancelAll();
    context
        .getLog()
        .info(
            "stream={} session={} live from {} via {}",
            streamId,
            session.sessionId(),
            session.remoteAddress(),
            session.ingestNode());
    List<LiveStreamProtocol.Event> events =
        state.live()
            ? List.of(
                new PublishEnded(state.current().sessionId(), "superseded", now()),
                started(session))
            : List.of(started(session));
    return Effect()
        .persist(events)
        .thenReply(cmd.replyTo(), s -> new PublishAccepted(streamId, graph.sink()));
  }

  private PublishStarted started(PublishSession session) {
    return new PublishStarted(
        session.sessionId(), session.remoteAddress(), session.ingestNode(), now());
  }

  private ReplyEffect<LiveStreamProtocol.Event, LiveStreamState> onMediaDetected(
      Channel state, SessionMediaDetected cmd) {
    Session current = state.current();
    if (current == null
        || !current.sessionId().equals(cmd.sessionId())
        || (java.util.Objects.equals(current.video(), cmd.video())
            && java.util.Objects.equals(current.audio(), cmd.audio()))) {
      return Effect().none().thenNoReply();
    }
    return Effect()
        .persist(new MediaDetected(cmd.sessionId(), cmd.video(), cmd.audio(), now()))
        .thenNoReply();
  }

  private ReplyEffect<LiveStreamProtocol.Event, LiveStreamState> onHealth(
      Channel state, SessionHealth cmd) {
    if (running != null && running.sessionId().equals(cmd.sessionId())) {
      health = cmd.stats();
    }
    return Effect().none().thenNoReply();
  }

  private ReplyEffect<LiveStreamProtocol.Event, LiveStreamState> onSessionEnded(
      Channel state, SessionEnded cmd) {
    if (running != null && running.sessionId().equals(cmd.sessionId())) {
      running = null;
      health = null;
    }
    if (state.live() && state.current().sessionId().equals(cmd.sessionId())) {
      context
          .getLog()
          .info("stream={} session={} ended: {}", streamId, cmd.sessionId(), cmd.reason());
      if (STOPPED_BY_OPERATOR.equals(cmd.reason())) {
        endOutputs("stopped by operator");
      } else {
        timers.startSingleTimer(
            new EndOutputsIfIdle(cmd.sessionId()), deps.settings().reconnectGrace());
      }
      return Effect().persist(new PublishEnded(cmd.sessionId(), cmd.reason(), now())).thenNoReply();
    }
    return Effect().none().thenNoReply();
  }

  private ReplyEffect<LiveStreamProtocol.Event, LiveStreamState> onEndOutputsIfIdle(
      Channel state, EndOutputsIfIdle cmd) {
    if (!state.live() && running == null && waitingForTakeover == null) {
      endOutputs("publisher did not come back");
    }
    return Effect().none().thenNoReply();
  }

  private void endOutputs(String why) {
    context.getLog().info("stream={} outputs ended: {}", streamId, why);
    endingOutputs =
        deps.graphs()
            .endOutputs(streamId)
            .toCompletableFuture()
            .orTimeout(deps.settings().takeoverTimeout().toMillis(), TimeUnit.MILLISECONDS)
            .handle(
                (ok, err) -> {
                  if (err != null) {
                    context
                        .getSystem()
                        .log()
                        .warn("stream={} outputs could not be ended: {}", streamId, err.toString());
                  }
                  return Done.getInstance();
                });
  }

  private ReplyEffect<LiveStreamProtocol.Event, LiveStreamState> onOrphanedSession(
      Channel state, CloseOrphanedSession cmd) {
    if (running == null && state.live() && state.current().sessionId().equals(cmd.sessionId())) {
      context
          .getLog()
          .info(
              "stream={} session={} ended: its node restarted or the stream moved",
              streamId,
              cmd.sessionId());
      endOutputs("its session was lost with a node");
      return Effect()
          .persist(new PublishEnded(cmd.sessionId(), "node restarted or stream moved", now()))
          .thenNoReply();
    }
    return Effect().none().thenNoReply();
  }

  private void onRecoveryCompleted(LiveStreamState state) {
    if (state instanceof Channel channel && channel.live() && running == null) {
      context.getSelf().tell(new CloseOrphanedSession(channel.current().sessionId()));
    }
  }

  private void stopRunning(String reason) {
    if (running != null) {
      running.stop(reason);
      running = null;
    }
    if (waitingForTakeover != null) {
      reject(waitingForTakeover, PublishRejection.UNAVAILABLE, reason);
      waitingForTakeover = null;
    }
  }

  private ReplyEffect<LiveStreamProtocol.Event, LiveStreamState> reject(
      Publish cmd, PublishRejection rejection, String why) {
    context
        .getLog()
        .warn(
            "stream={} publish refused from {}: {} ({})",
            streamId,
            cmd.session().remoteAddress(),
            rejection,
            why);
    return Effect().reply(cmd.replyTo(), new PublishRejected(rejection));
  }

  private ReplyEffect<LiveStreamProtocol.Event, LiveStreamState> notFound(
      org.apache.pekko.actor.typed.ActorRef<OperatorReply> replyTo) {
    return Effect().reply(replyTo, new NotFound(streamId));
  }

  private StreamView view(Channel s) {
    Session current = s.current();
    return new StreamView(
        s.streamId(),
        s.creatorId(),
        s.creatorType(),
        s.title(),
        s.createdAt(),
        current != null ? "live" : "idle",
        deps.ownerNode().get(),
        s.keyExpiresAt(),
        s.keyRevoked(),
        current != null ? current.view() : null,
        current != null ? current.video() : null,
        current != null ? current.audio() : null,
        current != null ? List.of("source") : List.of(),
        current != null ? health : null,
        s.last() != null ? s.last().view() : null);
  }

  private Instant now() {
    return deps.clock().instant();
  }

  // ---- events ------------------------------------------------------------------------------

  @Override
  public EventHandler<LiveStreamState, LiveStreamProtocol.Event> eventHandler() {
    var builder = newEventHandlerBuilder();
    builder
        .forStateType(Uncreated.class)
        .onEvent(
            StreamCreated.class,
            (s, e) ->
                new Channel(
                    e.streamId(),
                    e.creatorId(),
                    e.creatorType(),
                    e.title(),
                    e.at(),
                    e.keyHash(),
                    e.keyExpiresAt(),
                    false,
                    null,
                    null));
    builder
        .forStateType(Channel.class)
        .onEvent(KeyRotated.class, (s, e) -> s.withKey(e.keyHash(), e.keyExpiresAt(), false))
        .onEvent(KeyRevoked.class, (s, e) -> s.withKey(s.keyHash(), s.keyExpiresAt(), true))
        .onEvent(
            PublishStarted.class,
            (s, e) ->
                s.withSessions(
                    new Session(
                        e.sessionId(),
                        e.remoteAddress(),
                        e.ingestNode(),
                        e.at(),
                        null,
                        null,
                        null,
                        null),
                    s.last()))
        .onEvent(
            MediaDetected.class,
            (s, e) ->
                s.live() && s.current().sessionId().equals(e.sessionId())
                    ? s.withSessions(s.current().withMedia(e.video(), e.audio()), s.last())
                    : s)
        .onEvent(
            PublishEnded.class,
            (s, e) ->
                s.live() && s.current().sessionId().equals(e.sessionId())
                    ? s.withSessions(null, s.current().ended(e.reason(), e.at()))
                    : s);
    return builder.build();
  }
}

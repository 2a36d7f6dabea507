package com.nrsgirls.streaming.pipeline.stream;

import static com.nrsgirls.streaming.core.stream.LiveStreamProtocol.*;

import com.nrsgirls.streaming.core.stream.HealthStats;
import com.nrsgirls.streaming.core.stream.LiveStreamProtocol;
import com.nrsgirls.streaming.core.stream.OutputSettings;
import com.nrsgirls.streaming.core.stream.OutputStatus;
import com.nrsgirls.streaming.core.stream.PublishRejection;
import com.nrsgirls.streaming.core.stream.RestreamTarget;
import com.nrsgirls.streaming.core.stream.StreamAlert;
import com.nrsgirls.streaming.core.stream.StreamKey;
import com.nrsgirls.streaming.pipeline.graph.MediaGraphFactory;
import com.nrsgirls.streaming.pipeline.graph.SessionGraph;
import com.nrsgirls.streaming.pipeline.stream.LiveStreamState.Channel;
import com.nrsgirls.streaming.pipeline.stream.LiveStreamState.Recording;
import com.nrsgirls.streaming.pipeline.stream.LiveStreamState.Session;
import com.nrsgirls.streaming.pipeline.stream.LiveStreamState.Uncreated;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.cluster.sharding.typed.ClusterShardingSettings;
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
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

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

  /**
   * What every entity needs from the node it runs on.
   *
   * @param ownerNode this node's cluster address, {@code host:port}
   * @param ownerHttpUrl this node's HTTP server as other nodes reach it; null before it is bound
   * @param othersInCluster whether other nodes of the cluster are up: a publisher that loses its
   *     connection when this node stops reconnects to one of them
   */
  public record Dependencies(
      MediaGraphFactory graphs,
      LiveStreamSettings settings,
      Clock clock,
      Supplier<String> ownerNode,
      Supplier<String> ownerHttpUrl,
      java.util.function.BooleanSupplier othersInCluster) {
    /** A node whose cluster has no other member to fail over to. */
    public Dependencies(
        MediaGraphFactory graphs,
        LiveStreamSettings settings,
        Clock clock,
        Supplier<String> ownerNode,
        Supplier<String> ownerHttpUrl) {
      this(graphs, settings, clock, ownerNode, ownerHttpUrl, () -> false);
    }

    /** A node whose HTTP server nobody else reaches (tests of the entity alone). */
    public Dependencies(
        MediaGraphFactory graphs,
        LiveStreamSettings settings,
        Clock clock,
        Supplier<String> ownerNode) {
      this(graphs, settings, clock, ownerNode, () -> null);
    }
  }

  private static final Logger log = LoggerFactory.getLogger(LiveStream.class);
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final String STOPPED_BY_OPERATOR = "stopped by operator";
  private static final String KEY_REVOKED = "key revoked";
  private static final String ORPHANED = "node restarted or stream moved";

  /**
   * A session whose publisher was connected to a node that stopped while the cluster goes on: the
   * publisher reconnects to another node (through the balancer) within the reconnect grace.
   */
  static final String NODE_LEFT = "its node left the cluster";

  /** How often an awake entity deletes the recordings its retention no longer keeps. */
  private static final Duration RETENTION_CHECK = Duration.ofHours(1);

  /** How long after a failed end of the outputs (the store failed) it is tried again. */
  private static final Duration OUTPUTS_END_RETRY = Duration.ofSeconds(10);

  /** Session end reasons after which the outputs end at once, without a reconnect grace. */
  private static final Set<String> ENDS_OUTPUTS_AT_ONCE =
      Set.of(STOPPED_BY_OPERATOR, KEY_REVOKED, SessionGraph.NODE_SHUT_DOWN, ORPHANED);

  private final ActorContext<LiveStreamProtocol.Command> context;
  private final TimerScheduler<LiveStreamProtocol.Command> timers;
  private final ActorRef<ClusterSharding.ShardCommand> shard;
  private final String streamId;
  private final String tag;
  private final Dependencies deps;

  // Runtime resources of the current session, deliberately not part of the persistent state.
  private SessionGraph running;

  /**
   * The recording whose run this incarnation started on its node: only that one is continued by a
   * later session. An open recording the journal names but this incarnation did not start (its node
   * stopped, or the stream moved) is ended instead, and the session starts a new one.
   */
  private String recordingHere;

  private HealthStats health;

  /** Judges the running session's health against the alert thresholds; null when none runs. */
  private HealthAlerts healthAlerts;

  /** The live session's HLS viewers; null until the first is seen. */
  private ViewerSessions viewers;

  private Instant viewersPersistedAt = Instant.EPOCH;

  /** How often the viewer figures are persisted while they change. */
  private static final Duration VIEWER_SNAPSHOT = Duration.ofMinutes(1);

  /** The last state recorded per restream target, until the stream's outputs end. */
  private final java.util.Map<String, String> targetStates = new java.util.HashMap<>();

  // The newest publish waiting for the previous session to settle; older ones were refused.
  private Publish waiting;
  // What a new session must wait for: the previous graph flushing its outputs, or the outputs
  // being ended (both rewrite the playlist a new session continues).
  private CompletableFuture<Done> previousSettled =
      CompletableFuture.completedFuture(Done.getInstance());
  private boolean activeSinceLastIdleCheck = true;

  /**
   * Starts sharding of the entity. Entities are never passivated by sharding's idle strategy (a
   * live stream's own messages do not count as activity there); each one passivates itself when it
   * is not live and nobody asked anything of it for {@code idle-passivation}.
   *
   * <p>Sharding remembers the running entities (in the journal, {@code remember-entities-store =
   * eventsourced}) and starts them again when their shard starts after a crash: a stream that was
   * live, or whose outputs were still open, is woken by that and ends what died with the node
   * without anyone asking (see {@link #onRecoveryCompleted}). Shards are placed by {@link
   * IdleShardRebalance}.
   */
  public static void init(ActorSystem<?> system, Dependencies deps) {
    ClusterSharding.get(system)
        .init(
            Entity.of(
                    ENTITY_TYPE_KEY,
                    entityContext ->
                        create(entityContext.getEntityId(), deps, entityContext.getShard()))
                .withSettings(
                    ClusterShardingSettings.create(system)
                        .withNoPassivationStrategy()
                        .withRememberEntities(true))
                .withAllocationStrategy(
                    new IdleShardRebalance(
                        system.settings().config().getInt(REBALANCE + ".absolute-limit"),
                        system.settings().config().getDouble(REBALANCE + ".relative-limit"))));
  }

  private static final String REBALANCE = "nrs.streaming.cluster.rebalance";

  /** An entity outside sharding (tests): it never passivates. */
  public static Behavior<LiveStreamProtocol.Command> create(String streamId, Dependencies deps) {
    return create(streamId, deps, null);
  }

  /** An entity that passivates itself through {@code shard} when idle. */
  static Behavior<LiveStreamProtocol.Command> create(
      String streamId, Dependencies deps, ActorRef<ClusterSharding.ShardCommand> shard) {
    return Behaviors.withTimers(
        timers ->
            Behaviors.setup(context -> new LiveStream(context, timers, shard, streamId, deps)));
  }

  private LiveStream(
      ActorContext<LiveStreamProtocol.Command> context,
      TimerScheduler<LiveStreamProtocol.Command> timers,
      ActorRef<ClusterSharding.ShardCommand> shard,
      String streamId,
      Dependencies deps) {
    super(PersistenceId.of(ENTITY_TYPE_KEY.name(), streamId));
    this.context = context;
    this.timers = timers;
    this.shard = shard;
    this.streamId = streamId;
    this.tag = LiveStreamProtocol.tag(streamId);
    this.deps = deps;
    if (shard != null) {
      Duration idle = deps.settings().idlePassivation();
      timers.startTimerWithFixedDelay(new PassivateIfIdle(), idle, idle);
    }
    timers.startTimerWithFixedDelay(new ApplyRetention(), RETENTION_CHECK, RETENTION_CHECK);
  }

  @Override
  public LiveStreamState emptyState() {
    return new Uncreated();
  }

  /** One tag per stream, its slice: projections read the journal by tag (see the API module). */
  @Override
  public Set<String> tagsFor(LiveStreamProtocol.Event event) {
    return Set.of(tag);
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    return RetentionCriteria.snapshotEvery(deps.settings().snapshotEvery(), 2);
  }

  @Override
  public SignalHandler<LiveStreamState> signalHandler() {
    return newSignalHandlerBuilder()
        .onSignal(RecoveryCompleted.instance(), this::onRecoveryCompleted)
        .onSignal(PostStop.instance(), state -> moveRunning())
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
        .onCommand(SetOutputs.class, (s, c) -> notFound(c.replyTo()))
        .onCommand(SetAlertWebhooks.class, (s, c) -> notFound(c.replyTo()))
        .onCommand(GetRecordings.class, (s, c) -> notFound(c.replyTo()))
        .onCommand(PutRestreamTarget.class, (s, c) -> notFound(c.replyTo()))
        .onCommand(RemoveRestreamTarget.class, (s, c) -> notFound(c.replyTo()))
        .onCommand(
            Publish.class, (s, c) -> reject(c, PublishRejection.UNKNOWN_STREAM, "no such stream"))
        .onCommand(PassivateIfIdle.class, (s, c) -> onPassivateIfIdle(s))
        .onAnyCommand(c -> Effect().none().thenNoReply());
    builder
        .forStateType(Channel.class)
        .onCommand(
            Create.class,
            (s, c) -> Effect().reply(c.replyTo(), new Conflict("stream already exists")))
        .onCommand(GetState.class, this::onGetState)
        .onCommand(RotateKey.class, this::onRotateKey)
        .onCommand(RevokeKey.class, this::onRevokeKey)
        .onCommand(Stop.class, this::onStop)
        .onCommand(SetOutputs.class, this::onSetOutputs)
        .onCommand(
            SetAlertWebhooks.class,
            (s, c) -> {
              activeSinceLastIdleCheck = true;
              return Effect()
                  .persist(new AlertWebhooksSet(List.copyOf(c.urls()), now()))
                  .thenReply(c.replyTo(), st -> new Accepted());
            })
        .onCommand(PutRestreamTarget.class, this::onPutRestreamTarget)
        .onCommand(RemoveRestreamTarget.class, this::onRemoveRestreamTarget)
        .onCommand(Publish.class, this::onPublish)
        .onCommand(PreviousSessionSettled.class, this::onPreviousSessionSettled)
        .onCommand(SessionMediaDetected.class, this::onMediaDetected)
        .onCommand(SessionHealth.class, this::onHealth)
        .onCommand(ViewersSeen.class, this::onViewersSeen)
        .onCommand(
            RecordChatStats.class,
            (s, c) ->
                Effect()
                    .persist(new ChatStats(c.messages(), c.deleted(), c.bans(), now()))
                    .thenNoReply())
        .onCommand(SessionEnded.class, this::onSessionEnded)
        .onCommand(EndOutputsIfIdle.class, this::onEndOutputsIfIdle)
        .onCommand(CloseOrphanedSession.class, this::onOrphanedSession)
        .onCommand(OutputsWereEnded.class, this::onOutputsWereEnded)
        .onCommand(GetRecordings.class, this::onGetRecordings)
        .onCommand(RecordingPartUploaded.class, this::onRecordingPartUploaded)
        .onCommand(RecordingFinished.class, this::onRecordingFinished)
        .onCommand(ApplyRetention.class, (s, c) -> onApplyRetention(s))
        .onCommand(PassivateIfIdle.class, (s, c) -> onPassivateIfIdle(s));
    return builder.build();
  }

  private ReplyEffect<LiveStreamProtocol.Event, LiveStreamState> onCreate(
      Uncreated state, Create cmd) {
    activeSinceLastIdleCheck = true;
    StreamKey key = StreamKey.generate(streamId, RANDOM);
    Instant now = now();
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

  private ReplyEffect<LiveStreamProtocol.Event, LiveStreamState> onGetState(
      Channel state, GetState cmd) {
    activeSinceLastIdleCheck = true;
    return Effect().reply(cmd.replyTo(), new StateView(view(state)));
  }

  private ReplyEffect<LiveStreamProtocol.Event, LiveStreamState> onRotateKey(
      Channel state, RotateKey cmd) {
    activeSinceLastIdleCheck = true;
    StreamKey key = StreamKey.generate(streamId, RANDOM);
    Instant now = now();
    Instant expires = now.plus(deps.settings().keyTtl());
    context.getLog().info("stream={} key rotated", streamId);
    return Effect()
        .persist(new KeyRotated(key.hash(), expires, now))
        .thenReply(cmd.replyTo(), s -> new KeyIssued(new Key(key), expires));
  }

  /**
   * Revoking a key also takes its publisher off the air: a leaked key must stop working now.
   * Revoking a revoked key changes nothing and records nothing.
   */
  private ReplyEffect<LiveStreamProtocol.Event, LiveStreamState> onRevokeKey(
      Channel state, RevokeKey cmd) {
    activeSinceLastIdleCheck = true;
    if (state.keyRevoked()) {
      return Effect().reply(cmd.replyTo(), new Accepted());
    }
    context.getLog().info("stream={} key revoked", streamId);
    disconnect(KEY_REVOKED);
    return Effect().persist(new KeyRevoked(now())).thenReply(cmd.replyTo(), s -> new Accepted());
  }

  /**
   * Disconnects the publisher. The key stays valid, so an encoder that reconnects by itself goes
   * live again: revoke the key to keep a creator off the air.
   */
  private ReplyEffect<LiveStreamProtocol.Event, LiveStreamState> onStop(Channel state, Stop cmd) {
    activeSinceLastIdleCheck = true;
    disconnect(STOPPED_BY_OPERATOR);
    Session last = state.last();
    if (!state.live()
        && running == null
        && waiting == null
        && last != null
        && !last.outputsEnded()
        && timers.isTimerActive(EndOutputsIfIdle.class)) {
      // within a dropped publisher's reconnect grace: the operator ends the stream now
      timers.cancel(EndOutputsIfIdle.class);
      endOutputs(state, STOPPED_BY_OPERATOR, last.sessionId());
    }
    return Effect().reply(cmd.replyTo(), new Accepted());
  }

  private ReplyEffect<LiveStreamProtocol.Event, LiveStreamState> onSetOutputs(
      Channel state, SetOutputs cmd) {
    activeSinceLastIdleCheck = true;
    if (cmd.settings().equals(state.outputSettings())) {
      return Effect().reply(cmd.replyTo(), new StateView(view(state)));
    }
    boolean recordedBefore = recorded(state.outputSettings());
    boolean recordedAfter = recorded(cmd.settings());
    Recording open = state.openRecording();
    List<LiveStreamProtocol.Event> events = new ArrayList<>();
    events.add(new OutputsChanged(cmd.settings(), now()));
    String newRecording = null;
    if (!recordedBefore && recordedAfter && state.live() && running != null && open == null) {
      newRecording = newRecordingId();
      events.add(new RecordingStarted(newRecording, state.current().sessionId(), now()));
      recordingHere = newRecording;
    }
    String started = newRecording;
    return Effect()
        .persist(events)
        .thenRun(
            s -> {
              if (recordedBefore && !recordedAfter && open != null) {
                context
                    .getLog()
                    .info("stream={} recording {} switched off", streamId, open.recordingId());
                endingRecordings.add(open.recordingId());
                recordingHere = null;
                if (running != null) {
                  running.changeRecording(null);
                } else {
                  deps.graphs()
                      .endRecording(streamId, open.recordingId(), open.parts(), context.getSelf());
                }
              } else if (started != null) {
                context.getLog().info("stream={} recording {} switched on", streamId, started);
                running.changeRecording(started);
              }
              if (running != null) {
                context
                    .getLog()
                    .info(
                        "stream={} session={} outputs changed: {}",
                        streamId,
                        running.sessionId(),
                        cmd.settings());
                running.changeOutputs(cmd.settings());
              }
            })
        .thenReply(cmd.replyTo(), s -> new StateView(view((Channel) s)));
  }

  private ReplyEffect<LiveStreamProtocol.Event, LiveStreamState> onPutRestreamTarget(
      Channel state, PutRestreamTarget cmd) {
    activeSinceLastIdleCheck = true;
    RestreamTarget target = cmd.target();
    int i = state.indexOf(target.targetId());
    if (cmd.keepKey()) {
      if (i < 0) {
        return Effect().reply(cmd.replyTo(), new TargetNotFound(target.targetId()));
      }
      RestreamTarget kept = state.restreamTargets().get(i);
      target =
          new RestreamTarget(
              target.targetId(),
              target.platform(),
              target.url(),
              kept.sealedKey(),
              target.enabled(),
              kept.sealedAccessToken());
    }
    RestreamTarget put = target;
    if (i >= 0 && state.restreamTargets().get(i).equals(target)) {
      return Effect().reply(cmd.replyTo(), new StateView(view(state)));
    }
    if (i < 0 && state.restreamTargets().size() >= RestreamTarget.MAX_PER_STREAM) {
      return Effect()
          .reply(
              cmd.replyTo(),
              new Conflict(
                  "a stream has at most " + RestreamTarget.MAX_PER_STREAM + " restream targets"));
    }
    return Effect()
        .persist(new RestreamTargetSet(put, now()))
        .thenRun(s -> targetsChanged((Channel) s, "restream target set: " + put))
        .thenReply(cmd.replyTo(), s -> new StateView(view((Channel) s)));
  }

  private ReplyEffect<LiveStreamProtocol.Event, LiveStreamState> onRemoveRestreamTarget(
      Channel state, RemoveRestreamTarget cmd) {
    activeSinceLastIdleCheck = true;
    if (state.indexOf(cmd.targetId()) < 0) {
      return Effect().reply(cmd.replyTo(), new TargetNotFound(cmd.targetId()));
    }
    return Effect()
        .persist(new RestreamTargetRemoved(cmd.targetId(), now()))
        .thenRun(s -> targetsChanged((Channel) s, "restream target removed: " + cmd.targetId()))
        .thenReply(cmd.replyTo(), s -> new StateView(view((Channel) s)));
  }

  private void targetsChanged(Channel state, String what) {
    if (running != null) {
      context.getLog().info("stream={} session={} {}", streamId, running.sessionId(), what);
      running.changeTargets(state.restreamTargets());
    }
  }

  private void disconnect(String reason) {
    if (running != null) {
      context.getLog().info("stream={} session={} {}", streamId, running.sessionId(), reason);
      running.stop(reason);
    }
    if (waiting != null) {
      refuse(waiting, PublishRejection.UNAVAILABLE, reason);
      waiting = null;
    }
  }

  private ReplyEffect<LiveStreamProtocol.Event, LiveStreamState> onPublish(
      Channel state, Publish cmd) {
    activeSinceLastIdleCheck = true;
    PublishRejection rejection = checkKey(state, cmd.key().value());
    if (rejection != null) {
      return reject(cmd, rejection, "key check failed");
    }
    String sessionId = cmd.session().sessionId();
    if (state.live() && state.current().sessionId().equals(sessionId)) {
      // ingest asks to resume a session whose graph was lost (its node died or left)
      if (running != null) {
        return reject(cmd, PublishRejection.UNAVAILABLE, "its session runs here already");
      }
      if (waiting == null && previousSettled.isDone()) {
        return startSession(state, cmd, true);
      }
    } else if (state.last() != null && state.last().sessionId().equals(sessionId)) {
      return reject(cmd, PublishRejection.UNAVAILABLE, "its session has ended");
    }
    if (running != null) {
      return beginTakeover(state, cmd);
    }
    if (waiting != null) {
      // A newer publish while an older one waits: the newest wins (the settled signal that the
      // older one waits for is already on its way).
      refuse(waiting, PublishRejection.UNAVAILABLE, "replaced by a newer publish");
      waiting = cmd;
      return Effect().none().thenNoReply();
    }
    if (!previousSettled.isDone()) {
      waiting = cmd;
      context.pipeToSelf(previousSettled, (ok, err) -> new PreviousSessionSettled());
      return Effect().none().thenNoReply();
    }
    return startSession(state, cmd, false);
  }

  private PublishRejection checkKey(Channel state, StreamKey key) {
    if (!key.matches(state.keyHash())) {
      return PublishRejection.WRONG_KEY;
    }
    if (state.keyRevoked()) {
      return PublishRejection.KEY_REVOKED;
    }
    if (!now().isBefore(state.keyExpiresAt())) {
      return PublishRejection.KEY_EXPIRED;
    }
    return null;
  }

  private ReplyEffect<LiveStreamProtocol.Event, LiveStreamState> beginTakeover(
      Channel state, Publish cmd) {
    SessionGraph old = running;
    running = null;
    health = null;
    healthAlerts = null;
    if (waiting != null) {
      refuse(waiting, PublishRejection.UNAVAILABLE, "replaced by a newer publish");
    }
    waiting = cmd;
    context
        .getLog()
        .info(
            "stream={} session={} taken over by session={} from {}",
            streamId,
            old.sessionId(),
            cmd.session().sessionId(),
            cmd.session().remoteAddress());
    old.stop("taken over by a new publish");
    previousSettled = settle(old.completion());
    context.pipeToSelf(previousSettled, (ok, err) -> new PreviousSessionSettled());
    List<LiveStreamProtocol.Event> events =
        state.live() ? ending(state, "taken over by a new publish") : List.of();
    return Effect().persist(events).thenNoReply();
  }

  /**
   * A copy of {@code work} that completes normally when it does, or after the takeover timeout: a
   * stuck previous session delays a reconnect, it never blocks it.
   */
  private CompletableFuture<Done> settle(CompletionStage<Done> work) {
    return work.toCompletableFuture()
        .copy()
        .orTimeout(deps.settings().takeoverTimeout().toMillis(), TimeUnit.MILLISECONDS)
        .handle(
            (ok, err) -> {
              if (err != null) {
                log.warn(
                    "stream={} previous session did not settle in time: {}",
                    streamId,
                    err.toString());
              }
              return Done.getInstance();
            });
  }

  private ReplyEffect<LiveStreamProtocol.Event, LiveStreamState> onPreviousSessionSettled(
      Channel state, PreviousSessionSettled cmd) {
    if (waiting == null || running != null) {
      return Effect().none().thenNoReply();
    }
    if (!previousSettled.isDone()) {
      // the outputs started ending while this publish waited for the old graph
      context.pipeToSelf(previousSettled, (ok, err) -> new PreviousSessionSettled());
      return Effect().none().thenNoReply();
    }
    Publish next = waiting;
    waiting = null;
    return startSession(state, next, false);
  }

  /**
   * Starts the session's graph here: a new session, or ({@code resumed}) the live session the
   * journal names, whose graph was lost with its node, handed back by its publisher's node.
   */
  private ReplyEffect<LiveStreamProtocol.Event, LiveStreamState> startSession(
      Channel state, Publish cmd, boolean resumed) {
    PublishSession session = cmd.session();
    Recording open = state.openRecording();
    String recordingId = null;
    boolean continuing = open != null && open.recordingId().equals(recordingHere);
    if (open != null && !continuing) {
      endRecording(state); // left open by an earlier incarnation: ended, never written again
    }
    if (recorded(state.outputSettings())) {
      recordingId = continuing ? open.recordingId() : newRecordingId();
    }
    // The stream's playlists were last written on another node (it died or left, or the stream
    // moved): number the segments above anything listed there. At most one segment per half
    // second can have been listed since the epoch (segments last the target duration, 2 s and
    // more, but for a session's last), so this floor is above them all.
    Session previous = state.live() ? state.current() : state.last();
    String here = deps.ownerNode().get();
    boolean writtenElsewhere =
        previous != null && previous.graphNode() != null && !previous.graphNode().equals(here);
    long sequenceFloor = writtenElsewhere ? now().toEpochMilli() / 500 : 0;
    SessionGraph graph;
    try {
      graph =
          deps.graphs()
              .start(
                  streamId,
                  session.sessionId(),
                  context.getSelf(),
                  state.outputSettings(),
                  state.restreamTargets(),
                  recordingId,
                  sequenceFloor);
    } catch (RuntimeException e) {
      log.error(
          "stream={} session={} media graph failed to start", streamId, session.sessionId(), e);
      return reject(cmd, PublishRejection.UNAVAILABLE, "media graph failed to start");
    }
    running = graph;
    health = null;
    healthAlerts = null;
    timers.cancel(EndOutputsIfIdle.class);
    timers.cancel(CloseOrphanedSession.class);
    context
        .getLog()
        .info(
            resumed
                ? "stream={} session={} resumed here: publisher {} via {}"
                : "stream={} session={} live from {} via {}",
            streamId,
            session.sessionId(),
            session.remoteAddress(),
            session.ingestNode());
    List<LiveStreamProtocol.Event> events = new ArrayList<>();
    if (state.live() && !resumed) {
      events.addAll(ending(state, "superseded"));
    }
    events.add(resumed ? new SessionMoved(session.sessionId(), here, now()) : started(session));
    if (recordingId != null && !continuing) {
      events.add(new RecordingStarted(recordingId, session.sessionId(), now()));
    }
    recordingHere = recordingId;
    return Effect()
        .persist(events)
        .thenReply(cmd.replyTo(), s -> new PublishAccepted(streamId, graph.sink()));
  }

  private PublishStarted started(PublishSession session) {
    return new PublishStarted(
        session.sessionId(),
        session.remoteAddress(),
        session.ingestNode(),
        deps.ownerNode().get(),
        now());
  }

  private ReplyEffect<LiveStreamProtocol.Event, LiveStreamState> onMediaDetected(
      Channel state, SessionMediaDetected cmd) {
    Session current = state.current();
    if (current == null
        || !current.sessionId().equals(cmd.sessionId())
        || (Objects.equals(current.video(), cmd.video())
            && Objects.equals(current.audio(), cmd.audio()))) {
      return Effect().none().thenNoReply();
    }
    return Effect()
        .persist(new MediaDetected(cmd.sessionId(), cmd.video(), cmd.audio(), now()))
        .thenNoReply();
  }

  private ReplyEffect<LiveStreamProtocol.Event, LiveStreamState> onHealth(
      Channel state, SessionHealth cmd) {
    if (running == null || !running.sessionId().equals(cmd.sessionId())) {
      return Effect().none().thenNoReply();
    }
    health = cmd.stats();
    List<LiveStreamProtocol.Event> changes = new ArrayList<>();
    Session current = state.current();
    if (current != null && current.sessionId().equals(cmd.sessionId())) {
      if (healthAlerts == null || !healthAlerts.sessionId().equals(cmd.sessionId())) {
        healthAlerts = new HealthAlerts(deps.settings().alerts(), cmd.sessionId());
      }
      for (LiveStreamProtocol.Event e : healthAlerts.evaluate(health, current.alertMap(), now())) {
        changes.add(e);
        if (e instanceof AlertRaised raised) {
          context
              .getLog()
              .warn(
                  "stream={} session={} alert {} raised: {}",
                  streamId,
                  raised.sessionId(),
                  raised.alert(),
                  raised.detail());
        } else if (e instanceof AlertCleared cleared) {
          context
              .getLog()
              .info(
                  "stream={} session={} alert {} cleared: {}",
                  streamId,
                  cleared.sessionId(),
                  cleared.alert(),
                  cleared.reason());
        }
      }
    }
    if (viewers != null && current != null) {
      Instant now = now();
      viewers.expire(now.toEpochMilli());
      if (viewers.changed() && !now.isBefore(viewersPersistedAt.plus(VIEWER_SNAPSHOT))) {
        changes.add(viewerStats(current.sessionId(), now));
      }
    }
    for (RestreamTargetView t : targetViews(state, health)) {
      if (!t.enabled() || t.state().equals("idle")) {
        continue;
      }
      if (!t.state().equals(targetStates.put(t.targetId(), t.state()))) {
        boolean failing =
            t.state().equals(OutputStatus.RETRYING) || t.state().equals(OutputStatus.FAILED);
        changes.add(
            new RestreamTargetStateChanged(
                cmd.sessionId(), t.targetId(), t.state(), failing ? t.lastError() : null, now()));
      }
    }
    if (changes.isEmpty()) {
      return Effect().none().thenNoReply();
    }
    for (LiveStreamProtocol.Event e : changes) {
      if (!(e instanceof RestreamTargetStateChanged c)) {
        continue;
      }
      context
          .getLog()
          .info(
              "stream={} session={} restream target {} is {}{}",
              streamId,
              c.sessionId(),
              c.targetId(),
              c.state(),
              c.lastError() != null ? ": " + c.lastError() : "");
    }
    return Effect().persist(changes).thenNoReply();
  }

  /**
   * The events that end the live session: its raised alerts cleared (so webhook receivers hear that
   * they are over), then {@code PublishEnded}.
   */
  private List<LiveStreamProtocol.Event> ending(Channel state, String reason) {
    Session current = state.current();
    List<LiveStreamProtocol.Event> events =
        new ArrayList<>(HealthAlerts.clearAll(current.sessionId(), current.alertMap(), now()));
    if (viewers != null) {
      events.add(viewerStats(current.sessionId(), now()));
      viewers = null;
    }
    events.add(new PublishEnded(current.sessionId(), reason, now()));
    return events;
  }

  private ViewerStats viewerStats(String sessionId, Instant now) {
    ViewerView v = viewers.view(now.toEpochMilli());
    viewers.snapshotTaken();
    viewersPersistedAt = now;
    return new ViewerStats(sessionId, v.current(), v.peak(), v.unique(), v.watchTimeSeconds(), now);
  }

  private ReplyEffect<LiveStreamProtocol.Event, LiveStreamState> onViewersSeen(
      Channel state, ViewersSeen cmd) {
    if (!state.live() || cmd.viewers() == null) {
      return Effect().none().thenNoReply();
    }
    if (viewers == null) {
      viewers = new ViewerSessions(deps.settings().viewerTimeout());
    }
    viewers.seen(cmd.viewers(), now().toEpochMilli());
    return Effect().none().thenNoReply();
  }

  private ReplyEffect<LiveStreamProtocol.Event, LiveStreamState> onSessionEnded(
      Channel state, SessionEnded original) {
    SessionEnded cmd =
        SessionGraph.NODE_SHUT_DOWN.equals(original.reason())
                && deps.othersInCluster().getAsBoolean()
            ? new SessionEnded(original.sessionId(), NODE_LEFT)
            : original;
    if (running != null && running.sessionId().equals(cmd.sessionId())) {
      running = null;
      health = null;
      healthAlerts = null;
    }
    if (SessionGraph.INGEST_NEVER_ATTACHED.equals(cmd.reason())
        && state.live()
        && state.current().sessionId().equals(cmd.sessionId())) {
      // Ingest's attach to the graph was lost on the way; it sees the graph end and asks to resume
      // the session, which starts a new graph as after a lost node.
      Duration grace = deps.settings().movedSessionGrace();
      context
          .getLog()
          .warn(
              "stream={} session={} its publisher's media never reached the graph: waiting {} for"
                  + " ingest to attach again",
              streamId,
              cmd.sessionId(),
              grace);
      timers.startSingleTimer(
          CloseOrphanedSession.class, new CloseOrphanedSession(cmd.sessionId()), grace);
      return Effect().none().thenNoReply();
    }
    if (state.live() && state.current().sessionId().equals(cmd.sessionId())) {
      context
          .getLog()
          .info("stream={} session={} ended: {}", streamId, cmd.sessionId(), cmd.reason());
      if (ENDS_OUTPUTS_AT_ONCE.contains(cmd.reason())) {
        endOutputs(state, cmd.reason(), cmd.sessionId());
      } else {
        timers.startSingleTimer(
            EndOutputsIfIdle.class,
            new EndOutputsIfIdle(cmd.sessionId()),
            deps.settings().reconnectGrace());
      }
      return Effect().persist(ending(state, cmd.reason())).thenNoReply();
    }
    return Effect().none().thenNoReply();
  }

  private ReplyEffect<LiveStreamProtocol.Event, LiveStreamState> onEndOutputsIfIdle(
      Channel state, EndOutputsIfIdle cmd) {
    if (!state.live() && running == null && waiting == null) {
      endOutputs(state, "publisher did not come back", cmd.sessionId());
    }
    return Effect().none().thenNoReply();
  }

  /** Ends the stream's outputs after {@code sessionId}; records it once they are ended. */
  private void endOutputs(Channel state, String why, String sessionId) {
    context.getLog().info("stream={} outputs ended: {}", streamId, why);
    endRecording(state);
    CompletionStage<Done> work = deps.graphs().endOutputs(streamId, state.outputSettings());
    previousSettled = settle(work);
    context.pipeToSelf(
        work, (ok, err) -> new OutputsWereEnded(sessionId, err == null ? null : err.toString()));
  }

  private ReplyEffect<LiveStreamProtocol.Event, LiveStreamState> onOutputsWereEnded(
      Channel state, OutputsWereEnded cmd) {
    if (cmd.failure() != null) {
      context
          .getLog()
          .warn(
              "stream={} session={} ending the outputs failed, trying again in {} s: {}",
              streamId,
              cmd.sessionId(),
              OUTPUTS_END_RETRY.toSeconds(),
              cmd.failure());
      timers.startSingleTimer(
          EndOutputsIfIdle.class, new EndOutputsIfIdle(cmd.sessionId()), OUTPUTS_END_RETRY);
      return Effect().none().thenNoReply();
    }
    Session last = state.last();
    if (last == null || !last.sessionId().equals(cmd.sessionId()) || last.outputsEnded()) {
      return Effect().none().thenNoReply();
    }
    targetStates.clear(); // the pushes ended with the outputs
    return Effect().persist(new OutputsEnded(cmd.sessionId(), now())).thenNoReply();
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
      endOutputs(state, "its session was lost with a node", cmd.sessionId());
      return Effect().persist(ending(state, ORPHANED)).thenNoReply();
    }
    return Effect().none().thenNoReply();
  }

  private ReplyEffect<LiveStreamProtocol.Event, LiveStreamState> onPassivateIfIdle(
      LiveStreamState state) {
    boolean live = state instanceof Channel c && c.live();
    // Outputs not yet recorded as ended keep the entity (and so sharding's memory of it): once it
    // is forgotten, nothing would end them.
    boolean outputsOpen =
        state instanceof Channel c
            && (c.last() != null && !c.last().outputsEnded() || c.openRecording() != null);
    if (shard != null
        && !activeSinceLastIdleCheck
        && !live
        && !outputsOpen
        && running == null
        && waiting == null
        && previousSettled.isDone()
        && !timers.isTimerActive(EndOutputsIfIdle.class)) {
      context.getLog().debug("stream={} idle, passivating", streamId);
      shard.tell(new ClusterSharding.Passivate<>(context.getSelf()));
    }
    activeSinceLastIdleCheck = false;
    return Effect().none().thenNoReply();
  }

  /**
   * Ends what the previous incarnation left open: a session the journal calls live has no graph
   * here, so it is closed; outputs not yet recorded as ended are ended once what is left of the
   * session's reconnect grace is over (at once after a stop or a lost node). Ending them twice (a
   * crash between the playlist's end and its record) is harmless.
   */
  private void onRecoveryCompleted(LiveStreamState state) {
    if (!(state instanceof Channel channel) || running != null) {
      return;
    }
    context.getSelf().tell(new ApplyRetention());
    if (channel.live()) {
      // Its node died or left while it was live. A publisher connected to another node asks to
      // resume it here (same session id) once the old graph is gone; otherwise it is ended.
      Duration grace = deps.settings().movedSessionGrace();
      context
          .getLog()
          .info(
              "stream={} session={} was live where the stream ran before; waiting {} for its"
                  + " publisher to resume it here",
              streamId,
              channel.current().sessionId(),
              grace);
      timers.startSingleTimer(
          CloseOrphanedSession.class,
          new CloseOrphanedSession(channel.current().sessionId()),
          grace);
      return;
    }
    Session last = channel.last();
    if (last == null || last.outputsEnded()) {
      // a recording whose outputs were ended but whose end never reached the journal
      endRecording(channel);
      return;
    }
    Duration left =
        ENDS_OUTPUTS_AT_ONCE.contains(last.endReason())
            ? Duration.ZERO
            : Duration.between(now(), last.endedAt().plus(deps.settings().reconnectGrace()));
    EndOutputsIfIdle end = new EndOutputsIfIdle(last.sessionId());
    if (left.isNegative() || left.isZero()) {
      context.getSelf().tell(end);
    } else {
      timers.startSingleTimer(EndOutputsIfIdle.class, end, left);
    }
  }

  /**
   * The entity stops with a session running (sharding hands it to another node, its node leaves):
   * the session is not ended but handed on. Its graph fails its input, so ingest asks the stream's
   * next incarnation to resume it.
   */
  private void moveRunning() {
    if (running != null) {
      running.move("stream entity stopped");
      running = null;
    }
    if (waiting != null) {
      refuse(waiting, PublishRejection.UNAVAILABLE, "stream entity stopped");
      waiting = null;
    }
  }

  private ReplyEffect<LiveStreamProtocol.Event, LiveStreamState> reject(
      Publish cmd, PublishRejection rejection, String why) {
    logRefusal(cmd, rejection, why);
    return Effect().reply(cmd.replyTo(), new PublishRejected(rejection));
  }

  /** Refuses a publish that is not the current command (one that was waiting). */
  private void refuse(Publish cmd, PublishRejection rejection, String why) {
    logRefusal(cmd, rejection, why);
    cmd.replyTo().tell(new PublishRejected(rejection));
  }

  private void logRefusal(Publish cmd, PublishRejection rejection, String why) {
    context
        .getLog()
        .warn(
            "stream={} publish refused from {}: {} ({})",
            streamId,
            cmd.session().remoteAddress(),
            rejection,
            why);
  }

  private ReplyEffect<LiveStreamProtocol.Event, LiveStreamState> notFound(
      ActorRef<OperatorReply> replyTo) {
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
        current != null && running != null ? running.renditions() : List.of(),
        current != null ? health : null,
        current != null ? List.copyOf(current.alertMap().values()) : List.of(),
        current != null && viewers != null
            ? viewers.view(now().toEpochMilli())
            : current != null ? new ViewerView(0, 0, 0, 0) : null,
        s.last() != null ? s.last().view() : null,
        s.outputSettings(),
        targetViews(s, current != null ? health : null),
        latestRecording(s),
        deps.ownerHttpUrl().get());
  }

  private static RecordingView latestRecording(Channel s) {
    List<Recording> all = s.recordingList();
    return all.isEmpty() ? null : all.get(all.size() - 1).view();
  }

  // ---- recording -----------------------------------------------------------------------------

  /** Whether sessions with these settings are recorded. */
  private boolean recorded(OutputSettings settings) {
    return settings.record() != null ? settings.record() : deps.settings().recordByDefault();
  }

  private static String newRecordingId() {
    byte[] random = new byte[6];
    RANDOM.nextBytes(random);
    return "rec_"
        + java.time.format.DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'")
            .withZone(java.time.ZoneOffset.UTC)
            .format(Instant.now())
        + "_"
        + java.util.HexFormat.of().formatHex(random);
  }

  /** Recordings this incarnation asked its node to end (once each). */
  private final Set<String> endingRecordings = new java.util.HashSet<>();

  /** Asks the node to finish the open recording, if there is one; it reports back. */
  private void endRecording(Channel state) {
    Recording open = state.openRecording();
    if (open != null && !endingRecordings.contains(open.recordingId())) {
      endingRecordings.add(open.recordingId());
      if (open.recordingId().equals(recordingHere)) {
        recordingHere = null;
      }
      deps.graphs().endRecording(streamId, open.recordingId(), open.parts(), context.getSelf());
    }
  }

  private ReplyEffect<LiveStreamProtocol.Event, LiveStreamState> onGetRecordings(
      Channel state, GetRecordings cmd) {
    activeSinceLastIdleCheck = true;
    List<RecordingView> views = new ArrayList<>();
    Instant cutoff = retentionCutoff(state);
    for (Recording r : state.recordingList()) {
      if (cutoff == null || r.open() || r.endedAt() == null || r.endedAt().isAfter(cutoff)) {
        views.add(0, r.view());
      }
    }
    return Effect().reply(cmd.replyTo(), new Recordings(streamId, views));
  }

  private ReplyEffect<LiveStreamProtocol.Event, LiveStreamState> onRecordingPartUploaded(
      Channel state, RecordingPartUploaded cmd) {
    Recording r = find(state, cmd.recordingId());
    if (r == null || cmd.part() <= r.parts()) {
      return Effect().none().thenNoReply();
    }
    return Effect()
        .persist(
            new RecordingPartStored(
                cmd.recordingId(), cmd.part(), cmd.durationMillis(), cmd.bytes(), now()))
        .thenNoReply();
  }

  private ReplyEffect<LiveStreamProtocol.Event, LiveStreamState> onRecordingFinished(
      Channel state, RecordingFinished cmd) {
    Recording r = find(state, cmd.recordingId());
    if (r == null || !r.open()) {
      return Effect().none().thenNoReply();
    }
    LiveStreamProtocol.Event event =
        switch (cmd.status()) {
          case "completed" ->
              new RecordingCompleted(cmd.recordingId(), cmd.durationMillis(), now());
          case "interrupted" ->
              new RecordingInterrupted(
                  cmd.recordingId(), cmd.reason(), cmd.durationMillis(), now());
          default -> new RecordingFailed(cmd.recordingId(), cmd.reason(), now());
        };
    context
        .getLog()
        .info(
            "stream={} recording {} {}{} ({} parts, {} s)",
            streamId,
            cmd.recordingId(),
            cmd.status(),
            cmd.reason() != null ? ": " + cmd.reason() : "",
            r.parts(),
            cmd.durationMillis() / 1000);
    return Effect().persist(event).thenNoReply();
  }

  private static Recording find(Channel state, String recordingId) {
    for (Recording r : state.recordingList()) {
      if (r.recordingId().equals(recordingId)) {
        return r;
      }
    }
    return null;
  }

  /** Recordings that ended before this are past the stream's retention; null keeps them all. */
  private Instant retentionCutoff(Channel state) {
    Integer days = state.outputSettings().recordingRetentionDays();
    Duration keep = days != null ? Duration.ofDays(days) : deps.settings().recordingRetention();
    return keep.isZero() ? null : now().minus(keep);
  }

  /**
   * Deletes the recordings past the retention: the journal forgets them first, then their objects
   * go (a failure there is logged; the store's own lifecycle rules are the backstop).
   */
  private ReplyEffect<LiveStreamProtocol.Event, LiveStreamState> onApplyRetention(
      LiveStreamState s) {
    if (!(s instanceof Channel state)) {
      return Effect().none().thenNoReply();
    }
    Instant cutoff = retentionCutoff(state);
    if (cutoff == null) {
      return Effect().none().thenNoReply();
    }
    List<LiveStreamProtocol.Event> events = new ArrayList<>();
    for (Recording r : state.recordingList()) {
      if (!r.open() && r.endedAt() != null && r.endedAt().isBefore(cutoff)) {
        events.add(new RecordingDeleted(r.recordingId(), now()));
      }
    }
    if (events.isEmpty()) {
      return Effect().none().thenNoReply();
    }
    return Effect()
        .persist(events)
        .thenRun(
            after -> {
              for (LiveStreamProtocol.Event e : events) {
                String id = ((RecordingDeleted) e).recordingId();
                context
                    .getLog()
                    .info("stream={} recording {} deleted: past its retention", streamId, id);
                deps.graphs()
                    .deleteRecording(streamId, id)
                    .whenComplete(
                        (ok, err) -> {
                          if (err != null) {
                            log.warn(
                                "stream={} recording {} objects not all deleted: {}",
                                streamId,
                                id,
                                err.toString());
                          }
                        });
              }
            })
        .thenNoReply();
  }

  /**
   * What a target's status says about its feed, and whether the source's measured bit rate is above
   * what its platform takes (the picture's height chose the feed; the rate is only known once the
   * stream runs).
   */
  private static String detail(RestreamTarget t, OutputStatus status, HealthStats health) {
    boolean fromSource = status.feed() == null || status.feed().equals("source");
    if (!fromSource || health == null || health.bitrateKbps() <= t.maxKbps()) {
      return status.detail();
    }
    String over =
        "the source's "
            + health.bitrateKbps()
            + " kbit/s is above "
            + t.platform()
            + "'s "
            + t.maxKbps()
            + " kbit/s: lower the encoder's bitrate";
    return status.detail() == null ? over : status.detail() + "; " + over;
  }

  /** The targets with how their pushes are doing in the current session, never their keys. */
  private static List<RestreamTargetView> targetViews(Channel s, HealthStats health) {
    List<RestreamTargetView> views = new ArrayList<>();
    for (RestreamTarget t : s.restreamTargets()) {
      OutputStatus status = null;
      if (health != null && health.outputs() != null) {
        for (OutputStatus o : health.outputs()) {
          if (o.name().equals(t.outputName())) {
            status = o;
          }
        }
      }
      String state =
          status == null || !t.enabled()
              ? "idle"
              : OutputStatus.STARTING.equals(status.state()) ? "connecting" : status.state();
      views.add(
          new RestreamTargetView(
              t.targetId(),
              t.platform(),
              t.url(),
              t.enabled(),
              state,
              status != null ? status.since() : null,
              status != null ? status.lastError() : null,
              status != null ? status.bytesSent() : 0,
              status != null ? status.feed() : null,
              status != null ? detail(t, status, health) : null,
              t.linked()));
    }
    return views;
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
                    null,
                    OutputSettings.NODE_DEFAULTS,
                    List.of(),
                    List.of()));
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
                        null,
                        false,
                        e.graphNode(),
                        List.of()),
                    s.last()))
        .onEvent(
            SessionMoved.class,
            (s, e) ->
                s.live() && s.current().sessionId().equals(e.sessionId())
                    ? s.withSessions(s.current().movedTo(e.graphNode()), s.last())
                    : s)
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
                    : s)
        .onEvent(OutputsChanged.class, (s, e) -> s.withOutputs(e.settings()))
        .onEvent(RestreamTargetSet.class, (s, e) -> s.withTarget(e.target()))
        .onEvent(RestreamTargetRemoved.class, (s, e) -> s.withoutTarget(e.targetId()))
        .onEvent(RestreamTargetStateChanged.class, (s, e) -> s)
        .onEvent(ViewerStats.class, (s, e) -> s)
        .onEvent(ChatStats.class, (s, e) -> s)
        .onEvent(AlertWebhooksSet.class, (s, e) -> s)
        .onEvent(
            AlertRaised.class,
            (s, e) ->
                s.live() && s.current().sessionId().equals(e.sessionId())
                    ? s.withSessions(
                        s.current()
                            .withAlert(
                                new StreamAlert(
                                    e.alert(), e.detail(), e.value(), e.threshold(), e.at())),
                        s.last())
                    : s)
        .onEvent(
            AlertCleared.class,
            (s, e) ->
                s.live() && s.current().sessionId().equals(e.sessionId())
                    ? s.withSessions(s.current().withoutAlert(e.alert()), s.last())
                    : s)
        .onEvent(
            RecordingStarted.class,
            (s, e) -> {
              List<Recording> next = new ArrayList<>(s.recordingList());
              next.add(
                  new Recording(
                      e.recordingId(),
                      e.sessionId(),
                      e.at(),
                      null,
                      Recording.RECORDING,
                      null,
                      0,
                      0,
                      0));
              return s.withRecordings(next);
            })
        .onEvent(
            RecordingPartStored.class,
            (s, e) ->
                s.withRecording(
                    e.recordingId(), r -> r.withPart(e.part(), e.durationMillis(), e.bytes())))
        .onEvent(
            RecordingCompleted.class,
            (s, e) ->
                s.withRecording(
                    e.recordingId(), r -> r.ended("completed", null, e.durationMillis(), e.at())))
        .onEvent(
            RecordingInterrupted.class,
            (s, e) ->
                s.withRecording(
                    e.recordingId(),
                    r -> r.ended("interrupted", e.reason(), e.durationMillis(), e.at())))
        .onEvent(
            RecordingFailed.class,
            (s, e) ->
                s.withRecording(e.recordingId(), r -> r.ended("failed", e.reason(), 0, e.at())))
        .onEvent(
            RecordingDeleted.class,
            (s, e) -> {
              List<Recording> next = new ArrayList<>(s.recordingList());
              next.removeIf(r -> r.recordingId().equals(e.recordingId()));
              return s.withRecordings(next);
            })
        .onEvent(
            OutputsEnded.class,
            (s, e) ->
                s.last() != null && s.last().sessionId().equals(e.sessionId())
                    ? s.withSessions(s.current(), s.last().withOutputsEnded())
                    : s);
    return builder.build();
  }
}

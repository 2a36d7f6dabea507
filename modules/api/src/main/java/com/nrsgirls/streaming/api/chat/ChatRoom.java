package com.nrsgirls.streaming.api.chat;

import static com.nrsgirls.streaming.api.chat.ChatProtocol.*;

import com.nrsgirls.streaming.core.stream.LiveStreamProtocol;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.javadsl.CommandHandler;
import org.apache.pekko.persistence.typed.javadsl.Effect;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehavior;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;

/**
 * The chat room of one stream, a sharded event-sourced entity (persistence id {@code
 * ChatRoom|streamId}). Every message and moderation of the room passes through it, so it orders
 * them once for the whole cluster: it writes them to its journal, then sends their frames to each
 * node's relay, and each relay hands them to its sockets in that order. Messages, deletions, bans
 * and slow mode are in its journal (a restart or a move to another node keeps them); who is
 * subscribed, the rate allowances and join/leave frames live in memory only.
 *
 * <p>Cost: one journal transaction per batch (what arrived while the previous one was written; a
 * busy room writes tens of messages at once), and per message one remote send per node with sockets
 * in the room, not per socket. A room is woken by its first socket and passivated by sharding two
 * minutes after its last node stopped resubscribing.
 */
public final class ChatRoom extends EventSourcedBehavior<Command, Event, ChatRoomState> {
  /** Longest ban reason kept. */
  static final int MAX_REASON = 200;

  /** Longest ban with an end (ten years); 0 is a ban without one. */
  static final long MAX_BAN_SECONDS = 10L * 365 * 24 * 3600;

  /** A user's join and leave are announced at most once per this (a reconnect loop is quiet). */
  static final long PRESENCE_GAP_NANOS = 10_000_000_000L;

  /** The history a node gets when it subscribes stays under this (Artery's frame is 256 KiB). */
  static final int MAX_HISTORY_BYTES = 192 * 1024;

  /** Longest slow mode a moderator may set. */
  static final int MAX_SLOW_MODE_SECONDS = 3600;

  private final ActorContext<Command> context;
  private final String streamId;
  private final ChatSettings settings;
  private final ChatMetrics metrics;
  private final Clock clock;

  /** Relays of the nodes with sockets here -> when they last resubscribed (nanoTime). */
  private final Map<ActorRef<RelayMessage>, Long> relays = new HashMap<>();

  /** When each user's join or leave was last announced (nanoTime). */
  private final Map<String, Long> presenceAnnounced = new HashMap<>();

  /** Rate allowances of users who wrote lately. */
  private final Map<String, Allowance> allowances = new HashMap<>();

  /**
   * Events accepted but not yet written, and what to do once they are (send their frames, answer).
   * Messages that arrive while a write is under way are written together in the next one: one
   * journal transaction per batch, not per message.
   */
  private final List<Event> pending = new ArrayList<>();

  private final List<Runnable> afterWrite = new ArrayList<>();

  /** The state with the pending events applied; what the next command is checked against. */
  private ChatRoomState projected;

  private boolean flushQueued;

  private long reportedMessages = -1;
  private long reportedDeleted = -1;
  private long reportedBans = -1;
  private long reportedAtNanos = System.nanoTime();

  private static final class Allowance {
    double tokens;
    long refilledAtNanos;
    long lastPostNanos;
  }

  public static void init(
      ActorSystem<?> system, ChatSettings settings, ChatMetrics metrics, Clock clock) {
    ClusterSharding.get(system)
        .init(
            Entity.of(ENTITY_TYPE_KEY, ctx -> create(ctx.getEntityId(), settings, metrics, clock)));
  }

  static Behavior<Command> create(
      String streamId, ChatSettings settings, ChatMetrics metrics, Clock clock) {
    return Behaviors.withTimers(
        timers -> {
          timers.startTimerWithFixedDelay(new Tick(), settings.resubscribeInterval());
          return Behaviors.setup(
              context -> new ChatRoom(context, streamId, settings, metrics, clock));
        });
  }

  private ChatRoom(
      ActorContext<Command> context,
      String streamId,
      ChatSettings settings,
      ChatMetrics metrics,
      Clock clock) {
    super(
        PersistenceId.of(ENTITY_TYPE_KEY.name(), streamId),
        SupervisorStrategy.restartWithBackoff(Duration.ofMillis(200), Duration.ofSeconds(5), 0.2));
    this.context = context;
    this.streamId = streamId;
    this.settings = settings;
    this.metrics = metrics;
    this.clock = clock;
  }

  @Override
  public ChatRoomState emptyState() {
    return ChatRoomState.EMPTY;
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    // the state holds all a room needs; older events only take room
    return RetentionCriteria.snapshotEvery(500, 2).withDeleteEventsOnSnapshot();
  }

  // ---- commands ----------------------------------------------------------------------------

  @Override
  public CommandHandler<Command, Event, ChatRoomState> commandHandler() {
    return newCommandHandlerBuilder()
        .forAnyState()
        .onCommand(Subscribe.class, this::onSubscribe)
        .onCommand(
            Unsubscribe.class,
            (s, c) -> {
              relays.remove(c.relay());
              return Effect().none();
            })
        .onCommand(Presence.class, this::onPresence)
        .onCommand(Post.class, this::onPost)
        .onCommand(Delete.class, this::onDelete)
        .onCommand(Ban.class, this::onBan)
        .onCommand(Unban.class, this::onUnban)
        .onCommand(SetSlowMode.class, this::onSlowMode)
        .onCommand(GetInfo.class, this::onInfo)
        .onCommand(Tick.class, this::onTick)
        .onCommand(Flush.class, this::onFlush)
        .build();
  }

  private ChatRoomState view(ChatRoomState persisted) {
    return pending.isEmpty() ? persisted : projected;
  }

  /** Accepts an event: written with the others pending at the next flush, then {@code after}. */
  private Effect<Event, ChatRoomState> write(ChatRoomState state, Event event, Runnable after) {
    projected = apply(state, event, settings.history());
    pending.add(event);
    afterWrite.add(after);
    if (!flushQueued) {
      flushQueued = true;
      context.getSelf().tell(new Flush());
    }
    return Effect().none();
  }

  private Effect<Event, ChatRoomState> onFlush(ChatRoomState state, Flush c) {
    flushQueued = false;
    if (pending.isEmpty()) {
      return Effect().none();
    }
    List<Event> events = List.copyOf(pending);
    List<Runnable> actions = List.copyOf(afterWrite);
    pending.clear();
    afterWrite.clear();
    return Effect().persist(events).thenRun(s -> actions.forEach(Runnable::run));
  }

  private Effect<Event, ChatRoomState> onSubscribe(ChatRoomState state, Subscribe c) {
    boolean known = relays.put(c.relay(), System.nanoTime()) != null;
    if (!known || c.needsHistory()) {
      // newest first until the size bound, then oldest first
      java.util.ArrayDeque<Frame> history = new java.util.ArrayDeque<>();
      int bytes = 0;
      for (int i = state.recent().size() - 1; i >= 0; i--) {
        Frame f = messageFrame(state.recent().get(i));
        bytes += f.json().length() * 3;
        if (bytes > MAX_HISTORY_BYTES) {
          break;
        }
        history.addFirst(f);
      }
      c.relay().tell(new Subscribed(List.copyOf(history)));
      if (!known) {
        context
            .getLog()
            .debug("chat stream={}: a node subscribed ({} nodes)", streamId, relays.size());
      }
    }
    return Effect().none();
  }

  private Effect<Event, ChatRoomState> onPresence(ChatRoomState state, Presence c) {
    long now = System.nanoTime();
    Long last = presenceAnnounced.get(c.user().id());
    if (settings.announcePresence() && (last == null || now - last > PRESENCE_GAP_NANOS)) {
      presenceAnnounced.put(c.user().id(), now);
      broadcast(
          frame(
              c.joined() ? "join" : "leave",
              0,
              c.user().id(),
              ChatFrames.presence(streamId, c.user(), c.joined(), clock.instant())));
    }
    return Effect().none();
  }

  private Effect<Event, ChatRoomState> onPost(ChatRoomState persisted, Post c) {
    ChatRoomState state = view(persisted);
    Instant now = clock.instant();
    if (state.banned(c.user().id(), now)) {
      return reject(c.replyTo(), "banned", "you are banned from this room", 0);
    }
    long nanos = System.nanoTime();
    Allowance a = allowances.computeIfAbsent(c.user().id(), u -> fresh(nanos));
    if (state.slowModeSeconds() > 0 && !c.user().role().moderates() && a.lastPostNanos != 0) {
      long wait = a.lastPostNanos + state.slowModeSeconds() * 1_000_000_000L - nanos;
      if (wait > 0) {
        return reject(
            c.replyTo(),
            "slow-mode",
            "slow mode: one message per " + state.slowModeSeconds() + " s",
            Math.max(1, wait / 1_000_000));
      }
    }
    a.tokens =
        Math.min(
            settings.rateBurst(),
            a.tokens + (nanos - a.refilledAtNanos) / 1e9 * settings.ratePerSecond());
    a.refilledAtNanos = nanos;
    if (a.tokens < 1) {
      long wait = (long) Math.ceil((1 - a.tokens) / settings.ratePerSecond() * 1000);
      return reject(c.replyTo(), "rate-limited", "too many messages; slow down", wait);
    }
    a.tokens -= 1;
    a.lastPostNanos = nanos;
    MessagePosted posted = new MessagePosted(state.lastId() + 1, c.user(), c.text(), now);
    return write(
        state,
        posted,
        () -> {
          metrics.posted();
          broadcast(messageFrame(posted));
          c.replyTo().tell(new ChatProtocol.Done(posted.id()));
        });
  }

  private Effect<Event, ChatRoomState> onDelete(ChatRoomState persisted, Delete c) {
    ChatRoomState state = view(persisted);
    if (!mayModerate(state, c.by())) {
      return reject(c.replyTo(), "forbidden", "only moderators delete messages", 0);
    }
    boolean inWindow = c.messageId() > state.lastId() - settings.history();
    if (c.messageId() < 1
        || c.messageId() > state.lastId()
        || (inWindow && state.recent().stream().noneMatch(m -> m.id() == c.messageId()))) {
      // within the kept window, a message not kept was deleted already (or its author banned)
      return reject(c.replyTo(), "not-found", "no such message", 0);
    }
    MessageDeleted deleted = new MessageDeleted(c.messageId(), c.by().id(), clock.instant());
    return write(
        state,
        deleted,
        () -> {
          metrics.deleted();
          context
              .getLog()
              .info(
                  "chat stream={}: message {} deleted by user={}",
                  streamId,
                  c.messageId(),
                  c.by().id());
          broadcast(deletedFrame(deleted));
          c.replyTo().tell(new ChatProtocol.Done(c.messageId()));
        });
  }

  private Effect<Event, ChatRoomState> onBan(ChatRoomState persisted, Ban c) {
    ChatRoomState state = view(persisted);
    if (!mayModerate(state, c.by())) {
      return reject(c.replyTo(), "forbidden", "only moderators ban users", 0);
    }
    if (c.userId() == null || c.userId().isBlank() || c.userId().length() > 64) {
      return reject(c.replyTo(), "bad-request", "userId must be 1 to 64 characters", 0);
    }
    if (c.userId().equals(c.by().id())) {
      return reject(c.replyTo(), "bad-request", "a moderator cannot ban themselves", 0);
    }
    if (c.seconds() < 0 || c.seconds() > MAX_BAN_SECONDS) {
      return reject(
          c.replyTo(), "bad-request", "seconds must be 0 (no end) to " + MAX_BAN_SECONDS, 0);
    }
    Instant now = clock.instant();
    String reason = c.reason() == null ? "" : truncate(c.reason().strip(), MAX_REASON);
    UserBanned banned =
        new UserBanned(
            c.userId(),
            c.by().id(),
            reason,
            c.seconds() == 0 ? null : now.plusSeconds(c.seconds()),
            now);
    List<MessagePosted> theirs =
        state.recent().stream().filter(m -> m.user().id().equals(c.userId())).toList();
    return write(
        state,
        banned,
        () -> {
          metrics.banned();
          context
              .getLog()
              .info(
                  "chat stream={}: user={} banned by user={} for {}",
                  streamId,
                  c.userId(),
                  c.by().id(),
                  c.seconds() == 0 ? "good" : c.seconds() + " s");
          broadcast(
              frame(
                  "banned",
                  0,
                  c.userId(),
                  ChatFrames.system(
                      streamId,
                      "ban",
                      c.userId(),
                      c.userId() + " was banned" + (reason.isEmpty() ? "" : ": " + reason),
                      now)));
          for (MessagePosted m : theirs) {
            broadcast(deletedFrame(new MessageDeleted(m.id(), c.by().id(), now)));
          }
          c.replyTo().tell(new ChatProtocol.Done(0));
        });
  }

  private Effect<Event, ChatRoomState> onUnban(ChatRoomState persisted, Unban c) {
    ChatRoomState state = view(persisted);
    if (!mayModerate(state, c.by())) {
      return reject(c.replyTo(), "forbidden", "only moderators unban users", 0);
    }
    if (!state.bans().containsKey(c.userId())) {
      return reject(c.replyTo(), "not-found", "that user is not banned", 0);
    }
    if (c.userId().equals(c.by().id())) {
      return reject(c.replyTo(), "forbidden", "a ban is lifted by another moderator", 0);
    }
    Instant now = clock.instant();
    UserUnbanned unbanned = new UserUnbanned(c.userId(), c.by().id(), now);
    return write(
        state,
        unbanned,
        () -> {
          context
              .getLog()
              .info(
                  "chat stream={}: user={} unbanned by user={}", streamId, c.userId(), c.by().id());
          broadcast(
              frame(
                  "system",
                  0,
                  c.userId(),
                  ChatFrames.system(
                      streamId, "unban", c.userId(), c.userId() + " may write again", now)));
          c.replyTo().tell(new ChatProtocol.Done(0));
        });
  }

  private Effect<Event, ChatRoomState> onSlowMode(ChatRoomState persisted, SetSlowMode c) {
    ChatRoomState state = view(persisted);
    if (!mayModerate(state, c.by())) {
      return reject(c.replyTo(), "forbidden", "only moderators set slow mode", 0);
    }
    if (c.seconds() < 0 || c.seconds() > MAX_SLOW_MODE_SECONDS) {
      return reject(c.replyTo(), "bad-request", "seconds must be 0 to " + MAX_SLOW_MODE_SECONDS, 0);
    }
    Instant now = clock.instant();
    SlowModeSet slow = new SlowModeSet(c.seconds(), c.by().id(), now);
    return write(
        state,
        slow,
        () -> {
          context
              .getLog()
              .info(
                  "chat stream={}: slow mode {} s set by user={}",
                  streamId,
                  c.seconds(),
                  c.by().id());
          broadcast(
              frame(
                  "system",
                  0,
                  null,
                  ChatFrames.system(
                      streamId,
                      "slow-mode",
                      null,
                      c.seconds() == 0
                          ? "slow mode is off"
                          : "slow mode: one message per " + c.seconds() + " s",
                      now)));
          c.replyTo().tell(new ChatProtocol.Done(c.seconds()));
        });
  }

  private Effect<Event, ChatRoomState> onInfo(ChatRoomState persisted, GetInfo c) {
    ChatRoomState state = view(persisted);
    Instant now = clock.instant();
    Map<String, BanView> bans = new java.util.LinkedHashMap<>();
    state
        .bans()
        .forEach(
            (u, b) -> {
              if (b.until() == null || now.isBefore(b.until())) {
                bans.put(u, b);
              }
            });
    c.replyTo()
        .tell(
            new Info(
                state.slowModeSeconds(),
                bans,
                state.messages(),
                state.deleted(),
                state.bansIssued(),
                relays.size()));
    return Effect().none();
  }

  private Effect<Event, ChatRoomState> onTick(ChatRoomState state, Tick c) {
    long now = System.nanoTime();
    long silent = settings.resubscribeInterval().multipliedBy(4).toNanos();
    relays.values().removeIf(heard -> now - heard > silent);
    // a user's last post time is slow mode's memory: kept at least as long as slow mode's gap
    long idle = Math.max(Duration.ofMinutes(1).toNanos(), state.slowModeSeconds() * 1_000_000_000L);
    Iterator<Allowance> it = allowances.values().iterator();
    while (it.hasNext()) {
      Allowance a = it.next();
      if (now - a.refilledAtNanos > idle && now - a.lastPostNanos > idle) {
        it.remove();
      }
    }
    presenceAnnounced.values().removeIf(at -> now - at > PRESENCE_GAP_NANOS);
    boolean changed =
        state.messages() != reportedMessages
            || state.deleted() != reportedDeleted
            || state.bansIssued() != reportedBans;
    if (changed
        && state.messages() + state.deleted() + state.bansIssued() > 0
        && now - reportedAtNanos >= settings.statsInterval().toNanos()) {
      reportedMessages = state.messages();
      reportedDeleted = state.deleted();
      reportedBans = state.bansIssued();
      reportedAtNanos = now;
      ClusterSharding.get(context.getSystem())
          .entityRefFor(LiveStreamProtocol.ENTITY_TYPE_KEY, streamId)
          .tell(
              new LiveStreamProtocol.RecordChatStats(
                  state.messages(), state.deleted(), state.bansIssued()));
    }
    return Effect().none();
  }

  private Effect<Event, ChatRoomState> reject(
      ActorRef<Reply> replyTo, String error, String message, long retryAfterMillis) {
    metrics.rejected(error);
    replyTo.tell(new Rejected(error, message, retryAfterMillis));
    return Effect().none();
  }

  /** Moderators and the creator may, unless they are banned themselves; the operator always. */
  private static boolean mayModerate(ChatRoomState state, ChatUser by) {
    return by.role().moderates()
        && (by.equals(ChatUser.OPERATOR) || !state.banned(by.id(), Instant.now()));
  }

  private Allowance fresh(long nanos) {
    Allowance a = new Allowance();
    a.tokens = settings.rateBurst();
    a.refilledAtNanos = nanos;
    return a;
  }

  private void broadcast(Frame frame) {
    for (ActorRef<RelayMessage> relay : relays.keySet()) {
      relay.tell(frame);
    }
  }

  private Frame frame(String kind, long messageId, String userId, String json) {
    return new Frame(kind, messageId, userId, json, clock.millis());
  }

  private Frame messageFrame(MessagePosted m) {
    return frame(
        "message",
        m.id(),
        m.user().id(),
        ChatFrames.message(streamId, m.id(), m.user(), m.text(), m.at()));
  }

  private Frame deletedFrame(MessageDeleted d) {
    return frame("deleted", d.id(), null, ChatFrames.deleted(streamId, d.id(), d.by(), d.at()));
  }

  private static String truncate(String s, int max) {
    return s.length() <= max ? s : s.substring(0, max);
  }

  // ---- events ------------------------------------------------------------------------------

  @Override
  public EventHandler<ChatRoomState, Event> eventHandler() {
    return newEventHandlerBuilder()
        .forAnyState()
        .onAnyEvent((s, e) -> apply(s, e, settings.history()));
  }

  static ChatRoomState apply(ChatRoomState s, Event e, int keep) {
    if (e instanceof MessagePosted m) {
      return s.posted(m, keep);
    } else if (e instanceof MessageDeleted d) {
      return s.deleted(d.id());
    } else if (e instanceof UserBanned b) {
      return s.banned(b.userId(), new BanView(b.reason(), b.by(), b.at(), b.until()));
    } else if (e instanceof UserUnbanned u) {
      return s.unbanned(u.userId());
    } else if (e instanceof SlowModeSet m) {
      return s.slowMode(m.seconds());
    }
    throw new IllegalArgumentException("unknown chat event " + e.getClass().getName());
  }
}

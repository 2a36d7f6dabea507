package com.nrsgirls.streaming.api.chat;

import static com.nrsgirls.streaming.api.chat.ChatProtocol.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayDeque;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.Done;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.http.javadsl.model.ws.BinaryMessage;
import org.apache.pekko.http.javadsl.model.ws.Message;
import org.apache.pekko.http.javadsl.model.ws.TextMessage;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's chat sockets: each WebSocket becomes a {@link ChatConnection} in its room's relay
 * (frames out, through a bounded queue) and a reader of client frames (one at a time: a client that
 * floods waits on TCP, it does not queue work here). Client frames are checked here (size, JSON,
 * type, length, role) before anything reaches the room; the room checks bans, slow mode and rate.
 * Every refusal is an error frame on that socket alone, and a socket that keeps causing them is
 * closed.
 */
public final class ChatSockets {
  private static final Logger log = LoggerFactory.getLogger(ChatSockets.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  private final ActorSystem<?> system;
  private final ClusterSharding sharding;
  private final ChatSettings settings;
  private final ChatMetrics metrics;
  private final ActorRef<ChatHub.Command> hub;
  private final AtomicInteger open = new AtomicInteger();
  private final Map<String, AtomicInteger> perAddress = new ConcurrentHashMap<>();

  public ChatSockets(ActorSystem<?> system, ChatSettings settings, ChatMetrics metrics) {
    this.system = system;
    this.sharding = ClusterSharding.get(system);
    this.settings = settings;
    this.metrics = metrics;
    this.hub = system.systemActorOf(ChatHub.create(settings), "chat-hub", Props.empty());
  }

  public ChatSettings settings() {
    return settings;
  }

  /**
   * Whether {@code remote} may open another socket: the node's and the address's socket limits
   * ({@code max-sockets}, {@code max-sockets-per-address}). Checked before the upgrade; a socket
   * takes its place only once its WebSocket runs.
   */
  public boolean admits(String remote) {
    if (settings.maxSockets() > 0 && open.get() >= settings.maxSockets()) {
      return false;
    }
    AtomicInteger n = perAddress.get(remote);
    return settings.maxSocketsPerAddress() <= 0
        || n == null
        || n.get() < settings.maxSocketsPerAddress();
  }

  /**
   * The WebSocket of one client in {@code streamId}'s room; {@code user} null: read only. Nothing
   * happens until pekko-http runs the flow (after the upgrade): a request that is never upgraded
   * leaves nothing behind. The socket's queue is the flow's own source (no stream boundary between
   * the relay's offer and the socket).
   */
  public Flow<Message, Message, NotUsed> open(String streamId, ChatUser user, String remote) {
    CompletableFuture<Reader> reader = new CompletableFuture<>();
    Sink<Message, NotUsed> in =
        Flow.<Message>create()
            .mapAsync(1, this::text)
            .mapAsync(1, frame -> reader.thenCompose(r -> r.handle(frame)))
            .to(Sink.ignore());
    return Flow.fromSinkAndSourceCoupledMat(
            in, Source.<Message>queue(settings.outBuffer() + 1), Keep.right())
        .mapMaterializedValue(
            queue -> {
              ChatConnection c =
                  new ChatConnection(streamId, user, remote, settings.outBuffer(), queue, metrics);
              metrics.opened();
              if (reserve(remote)) {
                c.admitted = true;
                hub.tell(new ChatHub.Join(c));
                log.debug("chat: socket opened, {}", c.describe());
              } else {
                // over a limit since admits() said yes (others opened meanwhile): told, closed
                c.closeWith(
                    "limit",
                    ChatFrames.error(
                        streamId, "limit", "too many chat sockets; try again later", 0));
              }
              reader.complete(new Reader(c));
              return c;
            })
        .watchTermination(
            (c, done) -> {
              done.whenComplete((ok, err) -> closed(c));
              return NotUsed.getInstance();
            });
  }

  private boolean reserve(String remote) {
    if (settings.maxSockets() > 0 && open.incrementAndGet() > settings.maxSockets()) {
      open.decrementAndGet();
      return false;
    } else if (settings.maxSockets() <= 0) {
      open.incrementAndGet();
    }
    AtomicInteger n = perAddress.computeIfAbsent(remote, a -> new AtomicInteger());
    if (n.incrementAndGet() > settings.maxSocketsPerAddress()
        && settings.maxSocketsPerAddress() > 0) {
      release(remote);
      return false;
    }
    return true;
  }

  private void release(String remote) {
    open.decrementAndGet();
    perAddress.computeIfPresent(remote, (a, n) -> n.decrementAndGet() <= 0 ? null : n);
  }

  private void closed(ChatConnection connection) {
    if (connection.admitted) {
      release(connection.remote);
      hub.tell(new ChatHub.Leave(connection));
    }
    String reason = connection.closeReason();
    metrics.closed(reason);
    if (reason.equals("client")) {
      log.debug("chat: socket closed, {}", connection.describe());
    } else {
      log.info("chat: socket closed by the server ({}), {}", reason, connection.describe());
    }
  }

  /**
   * A client frame's text, or null for one that is not text or too large (its bytes are skipped,
   * never held: a streamed frame is cut at the limit).
   */
  private CompletionStage<Object> text(Message m) {
    if (m instanceof BinaryMessage b) {
      b.getStreamedData().runWith(Sink.ignore(), system);
      return CompletableFuture.completedFuture(Refusal.BINARY);
    }
    TextMessage t = (TextMessage) m;
    if (t.isStrict()) {
      String s = t.getStrictText();
      return CompletableFuture.completedFuture(
          utf8Length(s) > settings.maxFrameBytes() ? Refusal.TOO_LARGE : s);
    }
    int max = settings.maxFrameBytes();
    return t.getStreamedText()
        .limitWeighted(max, s -> (long) utf8Length(s))
        .runFold(new StringBuilder(), StringBuilder::append, system)
        .<Object>thenApply(StringBuilder::toString)
        .exceptionally(e -> Refusal.TOO_LARGE);
  }

  private enum Refusal {
    BINARY,
    TOO_LARGE
  }

  /** Reads one socket's frames, in order. */
  private final class Reader {
    private final ChatConnection c;
    private final ArrayDeque<Long> strikes = new ArrayDeque<>();

    Reader(ChatConnection c) {
      this.c = c;
    }

    CompletionStage<Done> handle(Object frame) {
      if (frame == Refusal.BINARY) {
        return refuse("bad-frame", "frames are JSON text", 0);
      }
      if (frame == Refusal.TOO_LARGE) {
        return refuse("too-large", "frames are at most " + settings.maxFrameBytes() + " bytes", 0);
      }
      JsonNode f;
      try {
        f = JSON.readTree((String) frame);
      } catch (java.io.IOException e) {
        f = null;
      }
      if (f == null || !f.isObject()) {
        return refuse("bad-frame", "a frame is a JSON object with a type", 0);
      }
      String type = f.path("type").asText("");
      switch (type) {
        case "message":
          return message(f);
        case "ping":
          c.deliver("{\"type\":\"pong\"}");
          return done();
        case "delete":
          {
            long id =
                f.path("id").asLong(f.path("id").isTextual() ? parse(f.path("id").asText()) : 0);
            return moderate(ref -> new Delete(c.user, id, ref));
          }
        case "ban":
          {
            String userId = f.path("userId").asText("");
            String reason = f.path("reason").asText("");
            long seconds = f.path("seconds").asLong(0);
            return moderate(ref -> new Ban(c.user, userId, reason, seconds, ref));
          }
        case "unban":
          {
            String userId = f.path("userId").asText("");
            return moderate(ref -> new Unban(c.user, userId, ref));
          }
        case "slow-mode":
          {
            int seconds = f.path("seconds").asInt(-1);
            return moderate(ref -> new SetSlowMode(c.user, seconds, ref));
          }
        default:
          return refuse(
              "unknown-type", "type must be message, delete, ban, unban, slow-mode or ping", 0);
      }
    }

    private CompletionStage<Done> message(JsonNode f) {
      if (c.user == null) {
        return refuse("read-only", "reading without a chat token; writing needs one", 0);
      }
      JsonNode t = f.path("text");
      if (!t.isTextual()) {
        return refuse("bad-frame", "a message has a text", 0);
      }
      String text = t.asText().strip();
      if (text.isEmpty()) {
        return refuse("empty", "the message is empty", 0);
      }
      if (text.codePointCount(0, text.length()) > settings.maxMessageChars()) {
        return refuse(
            "too-long", "messages are at most " + settings.maxMessageChars() + " characters", 0);
      }
      if (text.chars().anyMatch(ch -> Character.isISOControl(ch) && ch != '\n')) {
        return refuse("bad-text", "the message holds control characters", 0);
      }
      return ask(ref -> new Post(c.user, text, ref));
    }

    private CompletionStage<Done> moderate(
        org.apache.pekko.japi.function.Function<ActorRef<Reply>, Command> command) {
      if (c.user == null || !c.user.role().moderates()) {
        return refuse("forbidden", "only the creator and moderators moderate", 0);
      }
      return ask(command);
    }

    private CompletionStage<Done> ask(
        org.apache.pekko.japi.function.Function<ActorRef<Reply>, Command> command) {
      return sharding
          .entityRefFor(ENTITY_TYPE_KEY, c.streamId)
          .ask(command, settings.askTimeout())
          .handle(
              (reply, err) -> {
                if (err != null) {
                  metrics.rejected("unavailable");
                  c.deliver(
                      ChatFrames.error(
                          c.streamId, "unavailable", "the room did not answer; try again", 0));
                } else if (reply instanceof Rejected r) {
                  c.deliver(
                      ChatFrames.error(c.streamId, r.error(), r.message(), r.retryAfterMillis()));
                  if (!r.error().equals("not-found")) {
                    strike();
                  }
                }
                return Done.getInstance();
              });
    }

    private CompletionStage<Done> refuse(String error, String message, long retryAfterMillis) {
      metrics.rejected(error);
      c.deliver(ChatFrames.error(c.streamId, error, message, retryAfterMillis));
      strike();
      return done();
    }

    /** Counts an error against the socket; too many within the window close it. */
    private void strike() {
      long now = System.nanoTime();
      long window = settings.strikeWindow().toNanos();
      strikes.addLast(now);
      while (!strikes.isEmpty() && now - strikes.peekFirst() > window) {
        strikes.removeFirst();
      }
      if (strikes.size() > settings.maxStrikes()) {
        c.closeWith(
            "abuse",
            ChatFrames.error(
                c.streamId,
                "abuse",
                "too many errors in "
                    + settings.strikeWindow().toSeconds()
                    + " s; this socket is closed",
                0));
      }
    }
  }

  /** The UTF-8 length of {@code s}, without encoding it. */
  static int utf8Length(String s) {
    int n = 0;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < 0x80) {
        n++;
      } else if (c < 0x800) {
        n += 2;
      } else if (Character.isHighSurrogate(c)) {
        n += 4;
        i++;
      } else {
        n += 3;
      }
    }
    return n;
  }

  private static long parse(String s) {
    try {
      return Long.parseLong(s);
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  private static CompletionStage<Done> done() {
    return CompletableFuture.completedFuture(Done.getInstance());
  }
}

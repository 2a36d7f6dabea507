package com.nrsgirls.streaming.api.chat;

import com.nrsgirls.streaming.core.CborSerializable;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;

/**
 * The messages of the sharded {@code ChatRoom} entity (one per stream, keyed by stream id) and of
 * the relays it fans out to (one per node that has sockets in the room).
 */
public final class ChatProtocol {
  public static final EntityTypeKey<Command> ENTITY_TYPE_KEY =
      EntityTypeKey.create(Command.class, "ChatRoom");

  private ChatProtocol() {}

  // ---- commands to the room -----------------------------------------------------------------

  public sealed interface Command extends CborSerializable {}

  /**
   * A node has sockets in the room. Sent again every resubscribe interval; a room that does not
   * know the relay (it is new, or it restarted on another node), or a relay that still waits for
   * it, gets {@link Subscribed} with the recent history.
   */
  public record Subscribe(ActorRef<RelayMessage> relay, boolean needsHistory) implements Command {}

  /** The node's last socket in the room closed. */
  public record Unsubscribe(ActorRef<RelayMessage> relay) implements Command {}

  /** A user with a token opened their first socket on a node, or closed their last one there. */
  public record Presence(ChatUser user, boolean joined) implements Command {}

  public record Post(ChatUser user, String text, ActorRef<Reply> replyTo) implements Command {}

  public record Delete(ChatUser by, long messageId, ActorRef<Reply> replyTo) implements Command {}

  /** Bans {@code userId} for {@code seconds} (0: until unbanned). */
  public record Ban(
      ChatUser by, String userId, String reason, long seconds, ActorRef<Reply> replyTo)
      implements Command {}

  public record Unban(ChatUser by, String userId, ActorRef<Reply> replyTo) implements Command {}

  /** Viewers may send one message per {@code seconds} (0: off). */
  public record SetSlowMode(ChatUser by, int seconds, ActorRef<Reply> replyTo) implements Command {}

  public record GetInfo(ActorRef<Reply> replyTo) implements Command {}

  /** The room's own message: write the events accepted since the last write. */
  public record Flush() implements Command {}

  /** The room's own timer: record counts, forget idle users and silent relays. */
  public record Tick() implements Command {}

  // ---- replies ------------------------------------------------------------------------------

  public sealed interface Reply extends CborSerializable {}

  public record Done(long id) implements Reply {}

  /**
   * @param error {@code rate-limited}, {@code slow-mode}, {@code banned}, {@code forbidden}, {@code
   *     not-found} or {@code bad-request}
   * @param retryAfterMillis when the user may try again, for rate limits; else 0
   */
  public record Rejected(String error, String message, long retryAfterMillis) implements Reply {}

  /** What the operator API shows of a room. */
  public record Info(
      int slowModeSeconds,
      Map<String, BanView> bans,
      long messages,
      long deleted,
      long bansIssued,
      int nodes)
      implements Reply {}

  public record BanView(String reason, String by, Instant at, Instant until)
      implements CborSerializable {}

  // ---- from the room to the relays ----------------------------------------------------------

  /** What a relay receives; relays also take local messages that never leave their node. */
  public interface RelayMessage {}

  /**
   * One frame for every socket in the room, already JSON.
   *
   * @param kind {@code message}, {@code deleted}, {@code banned}, {@code join}, {@code leave} or
   *     {@code system}
   * @param messageId the message's id for {@code message} and {@code deleted}; else 0
   * @param userId the author of a {@code message}, or the banned user of {@code banned}
   * @param sentAtMillis when the room sent it (wall clock): a relay that gets it much later is
   *     overloaded
   */
  public record Frame(String kind, long messageId, String userId, String json, long sentAtMillis)
      implements RelayMessage, CborSerializable {}

  /** The answer to a relay the room did not know: the recent messages, oldest first. */
  public record Subscribed(List<Frame> history) implements RelayMessage, CborSerializable {}

  // ---- events -------------------------------------------------------------------------------

  public sealed interface Event extends CborSerializable {}

  public record MessagePosted(long id, ChatUser user, String text, Instant at) implements Event {}

  public record MessageDeleted(long id, String by, Instant at) implements Event {}

  public record UserBanned(String userId, String by, String reason, Instant until, Instant at)
      implements Event {}

  public record UserUnbanned(String userId, String by, Instant at) implements Event {}

  public record SlowModeSet(int seconds, String by, Instant at) implements Event {}
}

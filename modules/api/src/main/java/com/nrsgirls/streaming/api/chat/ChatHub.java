package com.nrsgirls.streaming.api.chat;

import java.util.HashMap;
import java.util.Map;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;

/**
 * The node's chat sockets by room: starts a room's {@link ChatRelay} with its first socket here and
 * stops it with its last. Sockets join and leave through here, so a socket never reaches a relay
 * that is stopping.
 */
final class ChatHub extends AbstractBehavior<ChatHub.Command> {
  sealed interface Command {}

  record Join(ChatConnection connection) implements Command {}

  record Leave(ChatConnection connection) implements Command {}

  /** A relay stopped: asked to, or it failed. */
  record RelayStopped(String streamId, ActorRef<ChatProtocol.RelayMessage> relay)
      implements Command {}

  private static final class Room {
    final ActorRef<ChatProtocol.RelayMessage> relay;
    final java.util.Set<ChatConnection> sockets = new java.util.HashSet<>();

    Room(ActorRef<ChatProtocol.RelayMessage> relay) {
      this.relay = relay;
    }
  }

  private final ChatSettings settings;
  private final Map<String, Room> rooms = new HashMap<>();
  private long started;

  static Behavior<Command> create(ChatSettings settings) {
    return Behaviors.setup(context -> new ChatHub(context, settings));
  }

  private ChatHub(ActorContext<Command> context, ChatSettings settings) {
    super(context);
    this.settings = settings;
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Join.class, this::onJoin)
        .onMessage(Leave.class, this::onLeave)
        .onMessage(RelayStopped.class, this::onRelayStopped)
        .build();
  }

  private Behavior<Command> onJoin(Join m) {
    String streamId = m.connection().streamId;
    Room room = rooms.get(streamId);
    if (room == null) {
      ActorRef<ChatProtocol.RelayMessage> relay =
          getContext()
              .spawn(ChatRelay.create(streamId, settings), "room-" + streamId + "-" + ++started);
      getContext().watchWith(relay, new RelayStopped(streamId, relay));
      room = new Room(relay);
      rooms.put(streamId, room);
    }
    room.sockets.add(m.connection());
    room.relay.tell(new ChatRelay.ClientJoined(m.connection()));
    return this;
  }

  private Behavior<Command> onLeave(Leave m) {
    String streamId = m.connection().streamId;
    Room room = rooms.get(streamId);
    if (room == null || !room.sockets.remove(m.connection())) {
      return this;
    }
    room.relay.tell(new ChatRelay.ClientLeft(m.connection()));
    if (room.sockets.isEmpty()) {
      room.relay.tell(new ChatRelay.Stop());
      rooms.remove(streamId);
    }
    return this;
  }

  /**
   * A relay that failed takes its sockets down with it (told why; their clients reconnect to a new
   * one), rather than leaving them open and silent.
   */
  private Behavior<Command> onRelayStopped(RelayStopped m) {
    Room room = rooms.get(m.streamId());
    if (room == null || !room.relay.equals(m.relay())) {
      return this; // stopped as asked
    }
    rooms.remove(m.streamId());
    getContext()
        .getLog()
        .warn(
            "chat stream={}: the node's relay failed; closing its {} sockets",
            m.streamId(),
            room.sockets.size());
    String error =
        ChatFrames.error(m.streamId(), "unavailable", "the room failed on this node; reconnect", 0);
    for (ChatConnection c : room.sockets) {
      c.closeWith("relay-failed", error);
    }
    return this;
  }
}

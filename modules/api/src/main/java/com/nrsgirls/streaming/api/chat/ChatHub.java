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

  private static final class Room {
    final ActorRef<ChatProtocol.RelayMessage> relay;
    int sockets;

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
        .build();
  }

  private Behavior<Command> onJoin(Join m) {
    String streamId = m.connection().streamId;
    Room room =
        rooms.computeIfAbsent(
            streamId,
            id ->
                new Room(
                    getContext()
                        .spawn(ChatRelay.create(id, settings), "room-" + id + "-" + ++started)));
    room.sockets++;
    room.relay.tell(new ChatRelay.ClientJoined(m.connection()));
    return this;
  }

  private Behavior<Command> onLeave(Leave m) {
    String streamId = m.connection().streamId;
    Room room = rooms.get(streamId);
    if (room == null) {
      return this;
    }
    room.relay.tell(new ChatRelay.ClientLeft(m.connection()));
    if (--room.sockets <= 0) {
      room.relay.tell(new ChatRelay.Stop());
      rooms.remove(streamId);
    }
    return this;
  }
}

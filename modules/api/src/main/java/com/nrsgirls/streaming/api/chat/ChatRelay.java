package com.nrsgirls.streaming.api.chat;

import static com.nrsgirls.streaming.api.chat.ChatProtocol.*;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;
import org.apache.pekko.http.javadsl.model.ws.Message;
import org.apache.pekko.http.javadsl.model.ws.TextMessage;

/**
 * A room's presence on one node: subscribed to the room (wherever in the cluster it runs), it hands
 * each frame to every socket of the room on this node, in the room's order, and answers joining
 * sockets with the recent history it keeps. Started by {@link ChatHub} with the room's first socket
 * here and stopped with its last.
 */
final class ChatRelay extends AbstractBehavior<RelayMessage> {
  record ClientJoined(ChatConnection connection) implements RelayMessage {}

  record ClientLeft(ChatConnection connection) implements RelayMessage {}

  record Resubscribe() implements RelayMessage {}

  record Stop() implements RelayMessage {}

  private final String streamId;
  private final ChatSettings settings;
  private final EntityRef<Command> room;
  private final Set<ChatConnection> sockets = new LinkedHashSet<>();
  private final Map<String, Integer> socketsPerUser = new HashMap<>();
  private final ArrayDeque<Frame> history = new ArrayDeque<>();
  private List<ChatConnection> waiting = new ArrayList<>();
  private boolean subscribed;
  private long lastMessageId;

  static Behavior<RelayMessage> create(String streamId, ChatSettings settings) {
    return Behaviors.setup(
        context ->
            Behaviors.withTimers(
                timers -> {
                  timers.startTimerWithFixedDelay(
                      new Resubscribe(), settings.resubscribeInterval());
                  return new ChatRelay(context, streamId, settings);
                }));
  }

  private ChatRelay(ActorContext<RelayMessage> context, String streamId, ChatSettings settings) {
    super(context);
    this.streamId = streamId;
    this.settings = settings;
    this.room = ClusterSharding.get(context.getSystem()).entityRefFor(ENTITY_TYPE_KEY, streamId);
    room.tell(new Subscribe(context.getSelf(), true));
  }

  @Override
  public Receive<RelayMessage> createReceive() {
    return newReceiveBuilder()
        .onMessage(Frame.class, this::onFrame)
        .onMessage(ClientJoined.class, this::onJoined)
        .onMessage(ClientLeft.class, this::onLeft)
        .onMessage(Subscribed.class, this::onSubscribed)
        .onMessage(
            Resubscribe.class,
            m -> {
              room.tell(new Subscribe(getContext().getSelf(), !subscribed));
              return this;
            })
        .onMessage(
            Stop.class,
            m -> {
              room.tell(new Unsubscribe(getContext().getSelf()));
              return Behaviors.stopped();
            })
        .build();
  }

  private Behavior<RelayMessage> onJoined(ClientJoined m) {
    ChatConnection c = m.connection();
    sockets.add(c);
    if (subscribed) {
      sendHistory(c);
    } else {
      waiting.add(c);
    }
    if (c.user != null && socketsPerUser.merge(c.user.id(), 1, Integer::sum) == 1) {
      room.tell(new Presence(c.user, true));
    }
    return this;
  }

  private Behavior<RelayMessage> onLeft(ClientLeft m) {
    ChatConnection c = m.connection();
    if (!sockets.remove(c)) {
      return this;
    }
    waiting.remove(c);
    if (c.user != null) {
      Integer left = socketsPerUser.merge(c.user.id(), -1, Integer::sum);
      if (left != null && left <= 0) {
        socketsPerUser.remove(c.user.id());
        room.tell(new Presence(c.user, false));
      }
    }
    return this;
  }

  private Behavior<RelayMessage> onSubscribed(Subscribed m) {
    if (subscribed) {
      // the room restarted (or moved) and did not know us: what it wrote meanwhile is news here,
      // and its history replaces ours (deletions we missed are not in it)
      List<Frame> news = new ArrayList<>();
      for (Frame f : m.history()) {
        if (f.messageId() > lastMessageId) {
          news.add(f);
        }
      }
      history.clear();
      history.addAll(m.history());
      for (Frame f : news) {
        lastMessageId = f.messageId();
        send(f);
      }
      return this;
    }
    subscribed = true;
    for (Frame f : m.history()) {
      remember(f);
    }
    for (ChatConnection c : waiting) {
      sendHistory(c);
    }
    waiting = new ArrayList<>();
    return this;
  }

  private Behavior<RelayMessage> onFrame(Frame f) {
    long lag = System.currentTimeMillis() - f.sentAtMillis();
    if (lag > settings.maxRelayLag().toMillis()) {
      // the node cannot keep up with the room: frames wait in this mailbox, which would grow
      // without bound. Its sockets are closed (their clients reconnect, to a node with room).
      getContext()
          .getLog()
          .warn(
              "chat stream={}: frames reach this node {} ms after the room sent them; closing its {}"
                  + " sockets",
              streamId,
              lag,
              sockets.size());
      String error =
          ChatFrames.error(streamId, "overloaded", "this node cannot keep up; reconnect", 0);
      for (ChatConnection c : sockets) {
        c.closeWith("overloaded", error);
      }
      room.tell(new Unsubscribe(getContext().getSelf()));
      return Behaviors.stopped();
    }
    switch (f.kind()) {
      case "message" -> {
        if (f.messageId() <= lastMessageId) {
          return this; // sent before the room's restart and again in its history: seen already
        }
        remember(f);
      }
      case "deleted" -> history.removeIf(h -> h.messageId() == f.messageId());
      case "banned" -> history.removeIf(h -> f.userId().equals(h.userId()));
      default -> {}
    }
    send(f);
    if (f.kind().equals("banned")) {
      String error = ChatFrames.error(streamId, "banned", "you were banned from this room", 0);
      for (ChatConnection c : sockets) {
        if (c.user != null && c.user.id().equals(f.userId())) {
          c.closeWith("banned", error);
        }
      }
    }
    return this;
  }

  private void send(Frame f) {
    if (subscribed) {
      Message frame = TextMessage.create(f.json());
      for (ChatConnection c : sockets) {
        c.deliver(frame);
      }
    }
  }

  private void remember(Frame f) {
    if (f.messageId() <= lastMessageId) {
      return;
    }
    lastMessageId = f.messageId();
    history.addLast(f);
    while (history.size() > settings.history()) {
      history.removeFirst();
    }
  }

  private void sendHistory(ChatConnection c) {
    Iterator<Frame> it = history.iterator();
    while (it.hasNext()) {
      if (!c.deliver(it.next().json())) {
        return;
      }
    }
  }
}

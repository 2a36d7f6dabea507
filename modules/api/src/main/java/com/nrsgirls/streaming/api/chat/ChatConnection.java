package com.nrsgirls.streaming.api.chat;

import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.pekko.http.javadsl.model.ws.Message;
import org.apache.pekko.http.javadsl.model.ws.TextMessage;
import org.apache.pekko.stream.BoundedSourceQueue;
import org.apache.pekko.stream.QueueOfferResult;

/**
 * One chat socket's way out: a bounded queue of frames its WebSocket sends as the client reads
 * them. Whoever has a frame for the socket (the room's relay, the socket's own error answers)
 * offers it here without waiting: a client that lets {@code outBuffer} frames pile up is cut off,
 * and nobody else waits for it.
 */
final class ChatConnection {
  /** Thrown into a slow consumer's stream: its socket is aborted, not flushed. */
  static final class SlowConsumer extends RuntimeException {
    SlowConsumer() {
      super("the client did not read its chat frames", null, false, false);
    }
  }

  final String streamId;

  /** Null for an anonymous reader. */
  final ChatUser user;

  final String remote;

  /** Whether it took a place under the socket limits (and joined its room). */
  volatile boolean admitted;

  private final int limit;
  private final BoundedSourceQueue<Message> out;
  private final ChatMetrics metrics;
  private final AtomicBoolean closing = new AtomicBoolean();
  private volatile String closeReason = "client";

  ChatConnection(
      String streamId,
      ChatUser user,
      String remote,
      int limit,
      BoundedSourceQueue<Message> out,
      ChatMetrics metrics) {
    this.streamId = streamId;
    this.user = user;
    this.remote = remote;
    this.limit = limit;
    this.out = out;
    this.metrics = metrics;
  }

  /**
   * Queues a frame; false if the socket is closing (or closes now, being too far behind). Never
   * throws: the relay calls this for every socket of the room.
   */
  boolean deliver(Message frame) {
    if (closing.get()) {
      return false;
    }
    // one slot above the limit is left for the error frame of a socket that is closed for cause
    if (out.size() >= limit) {
      slowConsumer();
      return false;
    }
    QueueOfferResult result = out.offer(frame);
    if (result == QueueOfferResult.enqueued()) {
      metrics.framesSent(1);
      return true;
    }
    if (result == QueueOfferResult.dropped()) {
      slowConsumer();
    } else {
      closing.set(true); // the socket's stream is over already (the client went)
    }
    return false;
  }

  boolean deliver(String json) {
    return deliver(TextMessage.create(json));
  }

  /** Sends an error frame and closes the socket after it (the client sees why). */
  void closeWith(String reason, String errorJson) {
    if (closing.compareAndSet(false, true)) {
      closeReason = reason;
      try {
        out.offer(TextMessage.create(errorJson));
        out.complete();
      } catch (IllegalStateException alreadyOver) {
        // the client closed first
      }
    }
  }

  /** Aborts the socket: its client does not read, so no last frame would reach it. */
  private void slowConsumer() {
    if (closing.compareAndSet(false, true)) {
      closeReason = "slow-consumer";
      try {
        out.fail(new SlowConsumer());
      } catch (IllegalStateException alreadyOver) {
        closeReason = "client";
      }
    }
  }

  boolean closing() {
    return closing.get();
  }

  /** Why the socket closed: {@code client} unless the server closed it. */
  String closeReason() {
    return closeReason;
  }

  String describe() {
    return "stream="
        + streamId
        + (user == null ? " anonymous" : " user=" + user.id())
        + " from "
        + remote;
  }
}

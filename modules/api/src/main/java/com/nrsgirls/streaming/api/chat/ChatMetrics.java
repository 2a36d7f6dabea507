package com.nrsgirls.streaming.api.chat;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * Chat's side of {@code /metrics}. Messages, deletions and bans are counted by the node a room runs
 * on (once per cluster); sockets, frames and disconnects by the node the sockets are on.
 */
public final class ChatMetrics {
  private final MeterRegistry registry;
  private final Counter posted;
  private final Counter deleted;
  private final Counter bans;
  private final LongAdder framesSent = new LongAdder();
  private final AtomicInteger sockets = new AtomicInteger();
  private final Map<String, Counter> rejected = new ConcurrentHashMap<>();
  private final Map<String, Counter> closed = new ConcurrentHashMap<>();

  public ChatMetrics(MeterRegistry registry) {
    this.registry = registry;
    this.posted = Counter.builder("nrs_chat_messages_total").register(registry);
    this.deleted = Counter.builder("nrs_chat_messages_deleted_total").register(registry);
    this.bans = Counter.builder("nrs_chat_bans_total").register(registry);
    Gauge.builder("nrs_chat_sockets", sockets, AtomicInteger::get).register(registry);
    io.micrometer.core.instrument.FunctionCounter.builder(
            "nrs_chat_frames_sent_total", framesSent, LongAdder::doubleValue)
        .register(registry);
  }

  void posted() {
    posted.increment();
  }

  void deleted() {
    deleted.increment();
  }

  void banned() {
    bans.increment();
  }

  /** A client frame refused: {@code reason} is the error frame's code. */
  void rejected(String reason) {
    rejected
        .computeIfAbsent(
            reason,
            r -> Counter.builder("nrs_chat_rejected_total").tag("reason", r).register(registry))
        .increment();
  }

  void opened() {
    sockets.incrementAndGet();
  }

  /**
   * A socket closed: {@code reason} is {@code client}, {@code slow-consumer}, {@code abuse}, ...
   */
  void closed(String reason) {
    sockets.decrementAndGet();
    closed
        .computeIfAbsent(
            reason,
            r -> Counter.builder("nrs_chat_disconnects_total").tag("reason", r).register(registry))
        .increment();
  }

  void framesSent(int n) {
    framesSent.add(n);
  }
}

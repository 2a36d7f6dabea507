package com.nrsgirls.streaming.ingest;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

/** Counts metric events by name ("protocol-error:bad-handshake", ...) and lets tests await them. */
final class RecordingMetrics implements IngestMetrics {
  private final Map<String, Integer> counts = new HashMap<>();

  @Override
  public void connectionOpened() {
    record("opened");
  }

  @Override
  public void connectionClosed(String reason, Duration duration, long bytesIn) {
    record("closed:" + reason);
  }

  @Override
  public void connectionRefused(String reason) {
    record("refused:" + reason);
  }

  @Override
  public void protocolError(String reason) {
    record("protocol-error:" + reason);
  }

  @Override
  public void publishAccepted() {
    record("accepted");
  }

  @Override
  public void publishRejected(String reason) {
    record("rejected:" + reason);
  }

  /** One per TCP read. */
  @Override
  public void bytesIn(long bytes) {
    record("read");
  }

  private synchronized void record(String event) {
    counts.merge(event, 1, Integer::sum);
    notifyAll();
  }

  synchronized int count(String event) {
    return counts.getOrDefault(event, 0);
  }

  /** Waits until {@code event} was counted at least {@code n} times; false on timeout. */
  synchronized boolean await(String event, int n, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (count(event) < n) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        return false;
      }
      wait(Math.max(1, left / 1_000_000));
    }
    return true;
  }

  @Override
  public synchronized String toString() {
    return counts.toString();
  }
}

package com.nrsgirls.streaming.api;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import org.apache.pekko.actor.Cancellable;
import org.apache.pekko.actor.typed.ActorSystem;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where the journal's tags end, watched for the projections of one node: one small query per
 * interval, and only while a projection on this node waits, instead of each projection instance
 * asking the read journal for its tag's new events every interval (four slices of each projection
 * polling twice a second cost an idle node more CPU than the rest of it together).
 *
 * <p>Each poll reads the highest ordering of each tag among the rows above a lower bound on the
 * journal's primary key, so it reads only recent rows. The bound trails what earlier polls saw by
 * {@link #WINDOW_POLLS} polls: a transaction that took its ordering before another's but commits
 * after it is still seen. A waiter is woken when its tag's highest ordering passes its offset;
 * which events it then reads, gaps and all, the read journal decides as before.
 */
final class JournalHead {
  private static final Logger log = LoggerFactory.getLogger(JournalHead.class);

  /**
   * How many polls a late commit may trail the rows around it by and still be seen (a minute at the
   * default interval: beyond a commit stalled by a pause or a lock wait).
   */
  static final int WINDOW_POLLS = 120;

  private final JournalDb db;
  private final Executor blocking;
  private final ActorSystem<?> system;
  private final Duration interval;
  private final Map<String, Long> heads = new HashMap<>();
  private final List<Waiter> waiters = new ArrayList<>();
  private final ArrayDeque<Long> seen = new ArrayDeque<>();

  /** Polls have seen every tag's rows above this ordering (late commits within the window). */
  private long covered = Long.MAX_VALUE;

  /** Where the next poll must start for a waiter below {@link #covered}. */
  private long pending = Long.MAX_VALUE;

  private Cancellable polling;

  /** A read is under way: the next poll waits for it (reads never overlap). */
  private boolean reading;

  private record Waiter(String owner, String tag, long offset, CompletableFuture<Long> woken) {}

  JournalHead(ActorSystem<?> system, JournalDb db, Executor blocking, Duration interval) {
    this.system = system;
    this.db = db;
    this.blocking = blocking;
    this.interval = interval;
  }

  /**
   * For projection {@code owner}: completes with the tag's highest known ordering once it is above
   * {@code offset}: at once if a poll has already seen that and {@code now} allows, otherwise after
   * a later poll sees it. Pass {@code now = false} after a read that found nothing new, so the next
   * read waits a poll.
   */
  synchronized CompletionStage<Long> above(String owner, String tag, long offset, boolean now) {
    Long head = heads.get(tag);
    if (now && head != null && head > offset) {
      return CompletableFuture.completedFuture(head);
    }
    Waiter waiter = new Waiter(owner, tag, offset, new CompletableFuture<>());
    waiters.add(waiter);
    if (offset < covered) {
      pending = Math.min(pending, offset);
    }
    if (polling == null) {
      polling =
          system
              .scheduler()
              .scheduleWithFixedDelay(interval, interval, this::poll, system.executionContext());
    }
    return waiter.woken;
  }

  /** The highest ordering of {@code tag} a poll has seen; 0 if none. */
  synchronized long known(String tag) {
    Long head = heads.get(tag);
    return head == null ? 0 : head;
  }

  /** Forgets what {@code owner} waits for on {@code tag} (its projection instance stopped). */
  synchronized void cancel(String owner, String tag) {
    waiters.removeIf(w -> w.owner.equals(owner) && w.tag.equals(tag));
  }

  private void poll() {
    long from;
    synchronized (this) {
      if (waiters.isEmpty()) {
        polling.cancel();
        polling = null;
        return;
      }
      from = seen.isEmpty() ? pending : Math.min(pending, seen.peekFirst());
      if (reading || from == Long.MAX_VALUE) {
        return;
      }
      reading = true;
      pending = Long.MAX_VALUE;
    }
    CompletableFuture.supplyAsync(() -> read(from), blocking)
        .whenComplete(
            (found, failure) -> {
              if (failure != null) {
                log.warn("journal head: poll failed, trying again: {}", failure.toString());
                synchronized (this) {
                  pending = Math.min(pending, from);
                  reading = false;
                }
                return;
              }
              wake(from, found);
            });
  }

  private Map<String, Long> read(long from) {
    Map<String, Long> found = new HashMap<>();
    try (Connection c = db.connection();
        PreparedStatement st =
            c.prepareStatement(
                "SELECT \"tag\", MAX(\"event_id\") FROM \"event_tag\" WHERE \"event_id\" > ?"
                    + " GROUP BY \"tag\"")) {
      st.setLong(1, from);
      try (ResultSet rs = st.executeQuery()) {
        while (rs.next()) {
          found.put(rs.getString(1), rs.getLong(2));
        }
      }
    } catch (SQLException e) {
      throw new IllegalStateException(e.getMessage(), e);
    }
    return found;
  }

  private void wake(long from, Map<String, Long> found) {
    List<Map.Entry<Waiter, Long>> ready = new ArrayList<>();
    synchronized (this) {
      reading = false;
      covered = Math.min(covered, from);
      long top = seen.isEmpty() ? from : Math.max(from, seen.peekLast());
      for (Map.Entry<String, Long> e : found.entrySet()) {
        heads.merge(e.getKey(), e.getValue(), Math::max);
        top = Math.max(top, e.getValue());
      }
      seen.addLast(top);
      while (seen.size() > WINDOW_POLLS) {
        seen.removeFirst();
      }
      waiters.removeIf(
          w -> {
            Long head = heads.get(w.tag);
            if (head != null && head > w.offset) {
              ready.add(Map.entry(w, head));
              return true;
            }
            return false;
          });
    }
    for (Map.Entry<Waiter, Long> w : ready) {
      w.getKey().woken.complete(w.getValue());
    }
  }
}

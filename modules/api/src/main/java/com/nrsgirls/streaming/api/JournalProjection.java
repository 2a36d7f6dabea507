package com.nrsgirls.streaming.api;

import com.nrsgirls.streaming.core.stream.LiveStreamProtocol;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.pekko.Done;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.sharding.typed.javadsl.ShardedDaemonProcess;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.persistence.jdbc.query.javadsl.JdbcReadJournal;
import org.apache.pekko.persistence.query.EventEnvelope;
import org.apache.pekko.persistence.query.Offset;
import org.apache.pekko.persistence.query.PersistenceQuery;
import org.apache.pekko.persistence.query.Sequence;
import org.apache.pekko.stream.KillSwitches;
import org.apache.pekko.stream.RestartSettings;
import org.apache.pekko.stream.UniqueKillSwitch;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.RestartSource;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An offset-tracked reader of the journal: one instance per tag slice ({@link
 * LiveStreamProtocol#TAG_SLICES}), spread over the cluster by sharded daemon processes, each
 * reading its tag's events in journal order and handing them to a {@link Handler} in batches. A
 * batch and the offset after it are written in one transaction, so a read model is exactly as far
 * as its offset says; a node that dies hands the slice to another, which goes on from the stored
 * offset.
 *
 * <p>(Pekko Projections would serve, but its JDBC and Slick offset stores do not resolve here with
 * their dependencies.)
 */
final class JournalProjection {
  private static final Logger log = LoggerFactory.getLogger(JournalProjection.class);
  private static final int BATCH = 200;

  /** What a projection does with its events. Every method runs on the blocking-IO dispatcher. */
  interface Handler {
    /** Applies events in journal order, inside the caller's transaction. */
    void apply(Connection c, List<EventEnvelope> events) throws SQLException;

    /**
     * The first time the projection runs for {@code tag}: catches up with what the journal held
     * before its events were tagged (they are not in the tag's query), or decides to skip the
     * history. Completes with the journal ordering to read on from (0: all tagged events).
     */
    CompletionStage<Long> bootstrap(String tag);

    /**
     * Does what a batch asks outside the database (a webhook call, say) before {@link #apply}
     * stores its offset: at least once, as a failure here restarts the projection from its offset.
     * Runs on the blocking-IO dispatcher.
     */
    default CompletionStage<Done> deliver(List<EventEnvelope> events) {
      return CompletableFuture.completedFuture(Done.getInstance());
    }
  }

  private JournalProjection() {}

  /** Starts projection {@code name}'s instances, one per tag slice, somewhere in the cluster. */
  static void init(ActorSystem<?> system, JournalDb db, String name, Handler handler) {
    ShardedDaemonProcess.get(system)
        .init(
            Void.class,
            name,
            LiveStreamProtocol.TAG_SLICES,
            slice -> instance(system, db, name, "stream-" + slice, handler));
  }

  private static Behavior<Void> instance(
      ActorSystem<?> system, JournalDb db, String name, String tag, Handler handler) {
    return Behaviors.setup(
        context -> {
          Executor blocking = system.dispatchers().lookup(DispatcherSelector.blocking());
          JdbcReadJournal journal =
              PersistenceQuery.get(system)
                  .getReadJournalFor(JdbcReadJournal.class, JdbcReadJournal.Identifier());
          AtomicBoolean running = new AtomicBoolean(true);
          UniqueKillSwitch kill =
              RestartSource.withBackoff(
                      RestartSettings.create(Duration.ofSeconds(1), Duration.ofSeconds(30), 0.2),
                      () -> run(system, db, journal, blocking, name, tag, handler, running))
                  .viaMat(KillSwitches.single(), Keep.right())
                  .to(Sink.ignore())
                  .run(system);
          log.info("projection {} {}: started", name, tag);
          return Behaviors.receive(Void.class)
              .onSignal(
                  PostStop.class,
                  signal -> {
                    kill.shutdown();
                    db.head().cancel(name, tag);
                    db.stopped(name, tag, running);
                    return Behaviors.same();
                  })
              .build();
        });
  }

  /** How far an instance has applied, and whether its last read found anything. */
  private record Position(long offset, boolean progressed) {}

  /**
   * From the stored offset (after a bootstrap the first time), batches applied with offsets. The
   * tag is read again when the {@link JournalHead} sees events above the offset; a read that finds
   * none (the read journal holds back events behind a gap that may still fill) waits a poll.
   */
  private static Source<Long, NotUsed> run(
      ActorSystem<?> system,
      JournalDb db,
      JdbcReadJournal journal,
      Executor blocking,
      String name,
      String tag,
      Handler handler,
      AtomicBoolean running) {
    CompletionStage<Long> start =
        CompletableFuture.supplyAsync(() -> storedOffset(db, name, tag), blocking)
            .thenCompose(
                stored ->
                    stored.isPresent()
                        ? CompletableFuture.completedFuture(stored.get())
                        : handler
                            .bootstrap(tag)
                            .thenApplyAsync(
                                from -> {
                                  storeOffset(db, name, tag, from);
                                  log.info(
                                      "projection {} {}: caught up with the journal", name, tag);
                                  return from;
                                },
                                blocking));
    return Source.completionStageSource(
            start.thenApply(
                offset -> {
                  db.applied(name, tag, offset, running);
                  return Source.unfoldAsync(
                      new Position(offset, true),
                      at ->
                          db.head()
                              .above(name, tag, at.offset, at.progressed)
                              .thenCompose(
                                  head ->
                                      journal
                                          .currentEventsByTag(tag, Offset.sequence(at.offset))
                                          .grouped(BATCH)
                                          .mapAsync(
                                              1,
                                              batch ->
                                                  handler
                                                      .deliver(batch)
                                                      .thenApplyAsync(
                                                          done ->
                                                              applyBatch(
                                                                  db, name, tag, handler, batch,
                                                                  running),
                                                          blocking))
                                          .runWith(Sink.fold(at.offset, (a, b) -> b), system))
                              .thenApply(
                                  to ->
                                      Optional.of(
                                          Pair.create(new Position(to, to > at.offset), to))));
                }))
        .mapMaterializedValue(m -> NotUsed.getInstance())
        .mapError(
            new org.apache.pekko.japi.pf.PFBuilder<Throwable, Throwable>()
                .matchAny(
                    e -> {
                      log.warn("projection {} {}: failed, restarting: {}", name, tag, e.toString());
                      return e;
                    })
                .build());
  }

  private static long applyBatch(
      JournalDb db,
      String name,
      String tag,
      Handler handler,
      List<EventEnvelope> batch,
      AtomicBoolean running) {
    long last = ((Sequence) batch.get(batch.size() - 1).offset()).value();
    db.inTransaction(
        c -> {
          handler.apply(c, batch);
          upsertOffset(c, name, tag, last);
        });
    db.applied(name, tag, last, running);
    return last;
  }

  static Optional<Long> storedOffset(JournalDb db, String name, String tag) {
    try (Connection c = db.connection();
        PreparedStatement st =
            c.prepareStatement(
                "SELECT last_ordering FROM nrs_projection_offset WHERE projection = ? AND tag = ?")) {
      st.setString(1, name);
      st.setString(2, tag);
      try (ResultSet rs = st.executeQuery()) {
        return rs.next() ? Optional.of(rs.getLong(1)) : Optional.empty();
      }
    } catch (SQLException e) {
      throw new IllegalStateException(e.getMessage(), e);
    }
  }

  private static void storeOffset(JournalDb db, String name, String tag, long offset) {
    try (Connection c = db.connection()) {
      upsertOffset(c, name, tag, offset);
    } catch (SQLException e) {
      throw new IllegalStateException(e.getMessage(), e);
    }
  }

  private static void upsertOffset(Connection c, String name, String tag, long offset)
      throws SQLException {
    long now = System.currentTimeMillis();
    try (PreparedStatement update =
        c.prepareStatement(
            "UPDATE nrs_projection_offset SET last_ordering = ?, updated_at = ?"
                + " WHERE projection = ? AND tag = ?")) {
      update.setLong(1, offset);
      update.setLong(2, now);
      update.setString(3, name);
      update.setString(4, tag);
      if (update.executeUpdate() > 0) {
        return;
      }
    }
    try (PreparedStatement insert =
        c.prepareStatement(
            "INSERT INTO nrs_projection_offset (projection, tag, last_ordering, updated_at)"
                + " VALUES (?, ?, ?, ?)")) {
      insert.setString(1, name);
      insert.setString(2, tag);
      insert.setLong(3, offset);
      insert.setLong(4, now);
      insert.executeUpdate();
    }
  }
}

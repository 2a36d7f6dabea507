package com.nrsgirls.streaming.api;

import static com.nrsgirls.streaming.core.stream.LiveStreamProtocol.*;

import com.nrsgirls.streaming.core.stream.LiveStreamProtocol;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.persistence.jdbc.query.javadsl.JdbcReadJournal;
import org.apache.pekko.persistence.query.EventEnvelope;
import org.apache.pekko.persistence.query.PersistenceQuery;
import org.apache.pekko.stream.javadsl.Sink;

/**
 * The stream directory: one row per created stream in {@code nrs_stream_directory}, kept by a
 * {@link JournalProjection} of the LiveStream events, so that listing streams reads one table and
 * wakes no entity. A row holds what the list shows (who, title, status, the live session); a
 * stream's full state is still its entity's. Each row remembers the sequence number of the last
 * event applied to it, so an event seen twice (a batch retried after a crash, the bootstrap and the
 * tag's query overlapping) changes nothing. The list trails the journal by the read journal's
 * refresh interval.
 */
final class DirectoryProjection implements JournalProjection.Handler {
  static final String NAME = "stream-directory";
  private static final Object BOOTSTRAP_LOCK = new Object();
  private static final int BOOTSTRAP_BATCH = 500;
  private static final String PERSISTENCE_PREFIX = ENTITY_TYPE_KEY.name() + "|";
  private static final String COLUMNS =
      "stream_id, creator_id, creator_type, title, created_at, status, key_expires_at,"
          + " key_revoked, session_id, session_started_at, remote_address, ingest_node,"
          + " graph_node, updated_at";

  private final ActorSystem<?> system;
  private final JournalDb db;
  private final Executor blocking;

  DirectoryProjection(ActorSystem<?> system, JournalDb db) {
    this.system = system;
    this.db = db;
    this.blocking = system.dispatchers().lookup(DispatcherSelector.blocking());
  }

  void start() {
    JournalProjection.init(system, db, NAME, this);
  }

  // ---- write side ------------------------------------------------------------------------

  @Override
  public void apply(Connection c, List<EventEnvelope> events) throws SQLException {
    for (EventEnvelope e : events) {
      if (e.persistenceId().startsWith(PERSISTENCE_PREFIX)
          && e.event() instanceof LiveStreamProtocol.Event event) {
        apply(c, e.persistenceId().substring(PERSISTENCE_PREFIX.length()), e.sequenceNr(), event);
      }
    }
  }

  /**
   * Catches up with the streams of this tag from their whole history (events written before tagging
   * are not in the tag's query). One tag at a time in this node, streams read one after another and
   * applied 50 to a transaction: the journal's few connections stay free for the entities and
   * sharding (four bootstraps at once, each holding connections, starved sharding's own recovery on
   * a journal of 1,000 streams).
   */
  @Override
  public CompletionStage<Long> bootstrap(String tag) {
    return CompletableFuture.supplyAsync(
        () -> {
          synchronized (BOOTSTRAP_LOCK) {
            bootstrapNow(tag);
          }
          return 0L;
        },
        blocking);
  }

  private void bootstrapNow(String tag) {
    JdbcReadJournal journal =
        PersistenceQuery.get(system)
            .getReadJournalFor(JdbcReadJournal.class, JdbcReadJournal.Identifier());
    List<String> ids =
        journal
            .currentPersistenceIds()
            .filter(
                id ->
                    id.startsWith(PERSISTENCE_PREFIX)
                        && LiveStreamProtocol.tag(id.substring(PERSISTENCE_PREFIX.length()))
                            .equals(tag))
            .runWith(Sink.seq(), system)
            .toCompletableFuture()
            .join();
    for (String id : ids) {
      journal
          .currentEventsByPersistenceId(id, 0, Long.MAX_VALUE)
          .grouped(BOOTSTRAP_BATCH)
          .mapAsync(
              1,
              events ->
                  CompletableFuture.runAsync(
                      () -> db.inTransaction(c -> apply(c, events)), blocking))
          .runWith(Sink.ignore(), system)
          .toCompletableFuture()
          .join();
    }
  }

  private static void apply(Connection c, String streamId, long seq, LiveStreamProtocol.Event event)
      throws SQLException {
    long at = event.at().toEpochMilli();
    if (event instanceof StreamCreated e) {
      try (PreparedStatement st =
          c.prepareStatement(
              "INSERT INTO nrs_stream_directory (stream_id, creator_id, creator_type, title,"
                  + " created_at, status, key_expires_at, key_revoked, updated_at,"
                  + " last_sequence_nr) SELECT ?, ?, ?, ?, ?, 'idle', ?, FALSE, ?, ?"
                  + " WHERE NOT EXISTS (SELECT 1 FROM nrs_stream_directory WHERE stream_id = ?)")) {
        st.setString(1, streamId);
        st.setString(2, e.creatorId());
        st.setString(3, e.creatorType().name());
        st.setString(4, e.title());
        st.setLong(5, at);
        setInstant(st, 6, e.keyExpiresAt());
        st.setLong(7, at);
        st.setLong(8, seq);
        st.setString(9, streamId);
        st.executeUpdate();
      }
    } else if (event instanceof KeyRotated e) {
      update(
          c,
          streamId,
          seq,
          at,
          "key_expires_at = ?, key_revoked = FALSE",
          st -> setInstant(st, 1, e.keyExpiresAt()));
    } else if (event instanceof KeyRevoked) {
      update(c, streamId, seq, at, "key_revoked = TRUE", st -> {});
    } else if (event instanceof PublishStarted e) {
      update(
          c,
          streamId,
          seq,
          at,
          "status = 'live', session_id = ?, session_started_at = ?, remote_address = ?,"
              + " ingest_node = ?, graph_node = ?",
          st -> {
            st.setString(1, e.sessionId());
            st.setLong(2, at);
            st.setString(3, e.remoteAddress());
            st.setString(4, e.ingestNode());
            st.setString(5, e.graphNode());
          });
    } else if (event instanceof SessionMoved e) {
      update(c, streamId, seq, at, "graph_node = ?", st -> st.setString(1, e.graphNode()));
    } else if (event instanceof PublishEnded) {
      update(
          c,
          streamId,
          seq,
          at,
          "status = 'idle', session_id = NULL, session_started_at = NULL,"
              + " remote_address = NULL, ingest_node = NULL",
          st -> {});
    } else {
      update(c, streamId, seq, at, null, st -> {});
    }
  }

  private interface Binder {
    void bind(PreparedStatement st) throws SQLException;
  }

  /** Sets {@code assignments} (bound first) on the row if the event is newer than its last. */
  private static void update(
      Connection c, String streamId, long seq, long at, String assignments, Binder binder)
      throws SQLException {
    String sql =
        "UPDATE nrs_stream_directory SET "
            + (assignments == null ? "" : assignments + ", ")
            + "updated_at = ?, last_sequence_nr = ? WHERE stream_id = ? AND last_sequence_nr < ?";
    try (PreparedStatement st = c.prepareStatement(sql)) {
      binder.bind(st);
      int n = (int) sql.chars().filter(ch -> ch == '?').count();
      st.setLong(n - 3, at);
      st.setLong(n - 2, seq);
      st.setString(n - 1, streamId);
      st.setLong(n, seq);
      st.executeUpdate();
    }
  }

  private static void setInstant(PreparedStatement st, int index, Instant value)
      throws SQLException {
    if (value == null) {
      st.setNull(index, Types.BIGINT);
    } else {
      st.setLong(index, value.toEpochMilli());
    }
  }

  // ---- read side -------------------------------------------------------------------------

  /** Every stream in the directory (or only those with {@code status}), oldest first. */
  CompletionStage<List<Map<String, Object>>> list(Optional<String> status) {
    return CompletableFuture.supplyAsync(
        () -> {
          String sql =
              "SELECT "
                  + COLUMNS
                  + " FROM nrs_stream_directory"
                  + (status.isPresent() ? " WHERE status = ?" : "")
                  + " ORDER BY created_at, stream_id";
          List<Map<String, Object>> out = new ArrayList<>();
          try (Connection c = db.connection();
              PreparedStatement st = c.prepareStatement(sql)) {
            if (status.isPresent()) {
              st.setString(1, status.get());
            }
            try (ResultSet rs = st.executeQuery()) {
              while (rs.next()) {
                out.add(row(rs));
              }
            }
          } catch (SQLException e) {
            throw new IllegalStateException(e.getMessage(), e);
          }
          return out;
        },
        blocking);
  }

  private static Map<String, Object> row(ResultSet rs) throws SQLException {
    Map<String, Object> view = new LinkedHashMap<>();
    view.put("streamId", rs.getString("stream_id"));
    view.put("creatorId", rs.getString("creator_id"));
    view.put("creatorType", rs.getString("creator_type"));
    view.put("title", rs.getString("title"));
    view.put("createdAt", instant(rs, "created_at"));
    view.put("status", rs.getString("status"));
    view.put("keyExpiresAt", instant(rs, "key_expires_at"));
    view.put("keyRevoked", rs.getBoolean("key_revoked"));
    String sessionId = rs.getString("session_id");
    if (sessionId != null) {
      Map<String, Object> session = new LinkedHashMap<>();
      session.put("sessionId", sessionId);
      session.put("startedAt", instant(rs, "session_started_at"));
      session.put("remoteAddress", rs.getString("remote_address"));
      session.put("ingestNode", rs.getString("ingest_node"));
      view.put("session", session);
    }
    view.put("ownerNode", rs.getString("graph_node"));
    view.put("updatedAt", instant(rs, "updated_at"));
    return view;
  }

  private static String instant(ResultSet rs, String column) throws SQLException {
    long millis = rs.getLong(column);
    return rs.wasNull() ? null : Instant.ofEpochMilli(millis).toString();
  }
}

package com.nrsgirls.streaming.api;

import com.typesafe.config.Config;
import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.persistence.jdbc.db.SlickExtension$;
import org.apache.pekko.persistence.jdbc.db.SlickExtensionImpl;
import slick.jdbc.JdbcBackend;

/**
 * JDBC connections to the journal's database from the journal's own pool (the shared database
 * {@code nrs} of pekko-persistence-jdbc), for the read models projections keep beside the events.
 * Blocking: use it on the blocking-IO dispatcher.
 */
final class JournalDb {
  /** Connections the read models may hold at once, of the journal pool's four. */
  static final int PERMITS = 2;

  private final JdbcBackend.JdbcDatabaseDef db;
  private final Semaphore permits = new Semaphore(PERMITS, true);
  private final JournalHead head;

  JournalDb(ActorSystem<?> system) {
    SlickExtensionImpl slick =
        (SlickExtensionImpl) SlickExtension$.MODULE$.get(system.classicSystem());
    Config readJournal = system.settings().config().getConfig("jdbc-read-journal");
    this.db = slick.database(readJournal).database();
    this.head =
        new JournalHead(
            system,
            this,
            system.dispatchers().lookup(DispatcherSelector.blocking()),
            readJournal.getDuration("refresh-interval"));
  }

  /** Where the journal's tags end, polled every read-side refresh interval while anyone waits. */
  JournalHead head() {
    return head;
  }

  /** How far each projection instance running on this node has applied, by "name tag". */
  private final java.util.Map<String, Long> applied =
      new java.util.concurrent.ConcurrentHashMap<>();

  /**
   * An instance of {@code projection} on {@code tag} has applied up to {@code offset}; ignored once
   * the instance stopped ({@code running} false): a batch or a start still in flight when it
   * stopped must not bring its row back.
   */
  synchronized void applied(
      String projection,
      String tag,
      long offset,
      java.util.concurrent.atomic.AtomicBoolean running) {
    if (running.get()) {
      applied.put(projection + " " + tag, offset);
    }
  }

  synchronized void stopped(
      String projection, String tag, java.util.concurrent.atomic.AtomicBoolean running) {
    running.set(false);
    applied.remove(projection + " " + tag);
  }

  /**
   * The projection instances on this node ("name tag") and how far their offset is behind the
   * newest event of their tag the journal head has seen, in journal positions (0: caught up).
   */
  java.util.Map<String, Long> lag() {
    java.util.Map<String, Long> lag = new java.util.TreeMap<>();
    applied.forEach(
        (key, offset) -> {
          long head = this.head.known(key.substring(key.indexOf(' ') + 1));
          lag.put(key, Math.max(0, head - offset));
        });
    return lag;
  }

  /**
   * A connection from the journal's pool, at most {@link #PERMITS} at a time for the read models
   * (the pool has four, and the entities' journal writes must not queue behind a listing or a
   * projection's batch): the caller waits for a permit, given back when the connection is closed.
   */
  Connection connection() {
    permits.acquireUninterruptibly();
    Connection c;
    try {
      c = db.source().createConnection();
    } catch (Throwable e) { // Slick's Scala method may throw SQLException undeclared
      permits.release();
      throw e;
    }
    AtomicBoolean closed = new AtomicBoolean();
    return (Connection)
        Proxy.newProxyInstance(
            Connection.class.getClassLoader(),
            new Class<?>[] {Connection.class},
            (proxy, method, args) -> {
              if (method.getName().equals("close") && method.getParameterCount() == 0) {
                if (closed.compareAndSet(false, true)) {
                  try {
                    c.close();
                  } finally {
                    permits.release();
                  }
                }
                return null;
              }
              try {
                return method.invoke(c, args);
              } catch (InvocationTargetException e) {
                throw e.getCause();
              }
            });
  }

  /** What runs inside {@link #inTransaction}. */
  interface Work {
    void run(Connection c) throws SQLException;
  }

  /** Runs {@code work} in one transaction: committed, or rolled back if it throws. */
  void inTransaction(Work work) {
    try (Connection c = connection()) {
      c.setAutoCommit(false);
      try {
        work.run(c);
        c.commit();
      } catch (SQLException | RuntimeException e) {
        c.rollback();
        throw e;
      } finally {
        c.setAutoCommit(true);
      }
    } catch (SQLException e) {
      throw new IllegalStateException(e.getMessage(), e);
    }
  }

  /** Runs a classpath SQL script of statements ended by {@code ;} (comment lines skipped). */
  void runScript(String resource) throws SQLException, IOException {
    String script;
    try (InputStream in = JournalDb.class.getClassLoader().getResourceAsStream(resource)) {
      if (in == null) {
        throw new IOException("no such resource: " + resource);
      }
      script = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    StringBuilder sql = new StringBuilder();
    for (String line : script.split("\n")) {
      if (!line.strip().startsWith("--")) {
        sql.append(line).append('\n');
      }
    }
    try (Connection c = connection();
        Statement st = c.createStatement()) {
      for (String statement : sql.toString().split(";")) {
        if (!statement.isBlank()) {
          st.execute(statement);
        }
      }
    }
  }
}

package com.nrsgirls.streaming.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.typesafe.config.ConfigFactory;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The journal head wakes a projection when its tag passes its offset, including for a row that
 * commits after a higher ordering of another tag was already seen (a late commit).
 */
class JournalHeadTest {
  private static final String URL = "jdbc:h2:mem:journal-head;DB_CLOSE_DELAY=-1";
  private static ActorSystem<Void> system;
  private static Connection sql;

  @BeforeAll
  static void start() throws SQLException {
    sql = DriverManager.getConnection(URL, "sa", "");
    try (Statement st = sql.createStatement()) {
      st.execute(
          "CREATE TABLE \"event_tag\" (\"event_id\" BIGINT NOT NULL, \"tag\" VARCHAR NOT NULL,"
              + " PRIMARY KEY (\"event_id\", \"tag\"))");
    }
    system =
        ActorSystem.create(
            Behaviors.empty(),
            "journal-head",
            ConfigFactory.parseString(
                    "pekko-persistence-jdbc.shared-databases.nrs.db.url = \""
                        + URL
                        + "\"\njdbc-read-journal.refresh-interval = 100ms")
                .withFallback(ConfigFactory.load()));
  }

  @AfterAll
  static void stop() throws SQLException {
    system.terminate();
    sql.close();
  }

  private static void tag(long eventId, String tag) throws SQLException {
    try (Statement st = sql.createStatement()) {
      st.execute("INSERT INTO \"event_tag\" VALUES (" + eventId + ", '" + tag + "')");
    }
  }

  @Test
  void wakesOnItsTagAndSeesLateCommits() throws Exception {
    JournalHead head = new JournalDb(system).head();
    CompletableFuture<Long> zero = head.above("p", "stream-0", 0, true).toCompletableFuture();
    CompletableFuture<Long> one = head.above("p", "stream-1", 0, true).toCompletableFuture();
    tag(5, "stream-0");
    assertEquals(5L, zero.get(10, TimeUnit.SECONDS));
    assertFalse(one.isDone(), "no event of stream-1 yet");

    // Ordering 20 of stream-0 is seen first; 10 of stream-1 commits after it.
    CompletableFuture<Long> zeroAgain = head.above("p", "stream-0", 5, true).toCompletableFuture();
    tag(20, "stream-0");
    assertEquals(20L, zeroAgain.get(10, TimeUnit.SECONDS));
    tag(10, "stream-1");
    assertEquals(10L, one.get(10, TimeUnit.SECONDS));

    // Known already: at once when allowed; after the next poll when the last read found nothing.
    assertEquals(20L, head.above("p", "stream-0", 5, true).toCompletableFuture().getNow(-1L));
    CompletableFuture<Long> later = head.above("p", "stream-0", 5, false).toCompletableFuture();
    assertFalse(later.isDone());
    assertEquals(20L, later.get(10, TimeUnit.SECONDS));

    // A cancelled waiter is never woken.
    CompletableFuture<Long> cancelled = head.above("q", "stream-2", 0, true).toCompletableFuture();
    head.cancel("q", "stream-2");
    tag(30, "stream-2");
    CompletableFuture<Long> other = head.above("p", "stream-2", 0, true).toCompletableFuture();
    assertEquals(30L, other.get(10, TimeUnit.SECONDS));
    assertFalse(cancelled.isDone());
  }
}

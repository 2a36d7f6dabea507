package com.nrsgirls.streaming.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.nrsgirls.streaming.testkit.PostgresServer;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The PostgreSQL journal's migrations, on a real server: nodes starting at once, an old schema. */
class JournalSchemaTest {
  /** V1 the journal, V2 the projections' tables. */
  private static final int MIGRATIONS = 2;

  private static PostgresServer postgres;

  @BeforeAll
  static void startPostgres() throws Exception {
    assumeTrue(PostgresServer.available(), "PostgreSQL server binaries are not installed");
    postgres = PostgresServer.start();
  }

  @AfterAll
  static void stopPostgres() throws Exception {
    if (postgres != null) {
      postgres.close();
    }
  }

  /**
   * Several rounds, each on a fresh database: the race that failed a cluster's start (a node
   * finding Flyway's history table created by another and still empty) is a matter of timing.
   */
  @Test
  void nodesMigratingAtOnceApplyTheSchemaOnceAndAllSucceed() throws Exception {
    for (int round = 0; round < 8; round++) {
      String url = postgres.createDatabase("race" + round);
      int nodes = 6;
      CyclicBarrier start = new CyclicBarrier(nodes);
      ExecutorService pool = Executors.newFixedThreadPool(nodes);
      try {
        List<Future<Integer>> applied = new ArrayList<>();
        for (int i = 0; i < nodes; i++) {
          applied.add(
              pool.submit(
                  () -> {
                    start.await(30, TimeUnit.SECONDS);
                    return JournalSchema.migratePostgres(url, PostgresServer.USER, "");
                  }));
        }
        int total = 0;
        for (Future<Integer> f : applied) {
          total += f.get(120, TimeUnit.SECONDS); // throws if any node's migration failed
        }
        assertEquals(
            MIGRATIONS, total, "round " + round + ": exactly one node applies each version");
      } finally {
        pool.shutdownNow();
      }
      assertEquals(List.of("event_journal", "event_tag", "snapshot"), journalTables(url));
      assertEquals(MIGRATIONS, count(url, "select count(*) from nrs_schema_history where success"));
    }
  }

  @Test
  void aJournalCreatedBeforeMigrationsIsKeptAndBaselined() throws Exception {
    String url = postgres.createDatabase("legacy");
    // what the persistence testkit's SchemaUtils ran on PostgreSQL before migrations existed
    String script;
    try (InputStream in =
        Class.forName("org.apache.pekko.persistence.jdbc.testkit.javadsl.SchemaUtils")
            .getClassLoader()
            .getResourceAsStream("schema/postgres/postgres-create-schema.sql")) {
      script = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    try (Connection c = DriverManager.getConnection(url, PostgresServer.USER, "");
        Statement st = c.createStatement()) {
      for (String sql : script.split(";")) {
        if (!sql.isBlank()) {
          st.execute(sql);
        }
      }
      st.execute(
          "insert into event_journal (persistence_id, sequence_number, writer, event_ser_id,"
              + " event_ser_manifest, event_payload) values ('LiveStream|s1', 1, 'w', 1, 'm', 'x')");
    }

    assertEquals(MIGRATIONS, JournalSchema.migratePostgres(url, PostgresServer.USER, ""));
    assertEquals(0, JournalSchema.migratePostgres(url, PostgresServer.USER, ""), "nothing twice");
    assertEquals(1, count(url, "select count(*) from event_journal"), "the old events are kept");
  }

  private static List<String> journalTables(String url) throws Exception {
    List<String> tables = new ArrayList<>();
    try (Connection c = DriverManager.getConnection(url, PostgresServer.USER, "");
        ResultSet rs =
            c.createStatement()
                .executeQuery(
                    "select table_name from information_schema.tables where table_schema ="
                        + " 'public' and table_name not like 'nrs_%' order by table_name")) {
      while (rs.next()) {
        tables.add(rs.getString(1));
      }
    }
    return tables;
  }

  private static long count(String url, String sql) throws Exception {
    try (Connection c = DriverManager.getConnection(url, PostgresServer.USER, "");
        ResultSet rs = c.createStatement().executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }
}

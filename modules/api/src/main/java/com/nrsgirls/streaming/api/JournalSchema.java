package com.nrsgirls.streaming.api;

import com.typesafe.config.Config;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.persistence.jdbc.testkit.javadsl.SchemaUtils;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.output.MigrateResult;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Brings the journal's schema up to date before anything reads it (sharding reads the entities it
 * remembers as it starts).
 *
 * <p>PostgreSQL, which every node of a cluster shares: Flyway runs the versioned migrations under
 * {@code db/migration/postgres}, each node holding a PostgreSQL advisory lock while it does, so
 * nodes starting at once take turns: the first creates the tables, the others find them done. A
 * schema that holds tables but no migration history (a journal created by the persistence testkit's
 * {@code SchemaUtils} before migrations existed, or a schema shared with other tables) is baselined
 * at version 0, and version 1 creates only the tables it lacks. The embedded H2 journal belongs to
 * one process (its file is locked), so there is nobody to race and the testkit's idempotent create
 * serves, with the projections' tables created if absent by migration V2's own script.
 */
final class JournalSchema {
  private static final Logger log = LoggerFactory.getLogger(JournalSchema.class);

  /**
   * The projections' tables, a PostgreSQL migration that H2 runs as it is at every start (its
   * statements are all {@code IF NOT EXISTS}).
   */
  private static final String READ_MODELS = "db/migration/postgres/V2__stream_directory.sql";

  /** The advisory lock key nodes take turns on: "nrs-schema" in ASCII. */
  private static final long SCHEMA_LOCK = 0x6e72732d736368L;

  private JournalSchema() {}

  static CompletionStage<Done> migrate(ActorSystem<?> system, Config config) {
    if (!config.getString("nrs.streaming.journal").equals("postgres")) {
      return SchemaUtils.createIfNotExists(system)
          .thenApplyAsync(
              done -> {
                try {
                  new JournalDb(system).runScript(READ_MODELS);
                } catch (Exception e) {
                  throw new IllegalStateException("read models: " + e.getMessage(), e);
                }
                return done;
              },
              system.dispatchers().lookup(DispatcherSelector.blocking()));
    }
    return CompletableFuture.supplyAsync(
        () -> {
          migratePostgres(
              config.getString("nrs.streaming.jdbc.url"),
              config.getString("nrs.streaming.jdbc.user"),
              config.getString("nrs.streaming.jdbc.password"));
          return Done.getInstance();
        },
        system.dispatchers().lookup(DispatcherSelector.blocking()));
  }

  /**
   * Runs the pending migrations; returns how many it applied (0 when another node had). The whole
   * run holds an advisory lock of our own: Flyway's lock covers applying migrations, not creating
   * its history table, and a node that found that table just created and still empty failed to
   * baseline it ("already exists, and is empty") when three nodes started at once.
   */
  static int migratePostgres(String url, String user, String password) {
    try (Connection lockHolder = DriverManager.getConnection(url, user, password)) {
      try (PreparedStatement lock = lockHolder.prepareStatement("SELECT pg_advisory_lock(?)")) {
        lock.setLong(1, SCHEMA_LOCK);
        lock.execute();
      }
      try {
        return migrateLocked(url, user, password);
      } finally {
        try (PreparedStatement unlock =
            lockHolder.prepareStatement("SELECT pg_advisory_unlock(?)")) {
          unlock.setLong(1, SCHEMA_LOCK);
          unlock.execute();
        }
      }
    } catch (SQLException e) {
      throw new IllegalStateException("journal schema: " + e.getMessage(), e);
    }
  }

  private static int migrateLocked(String url, String user, String password) {
    MigrateResult result =
        Flyway.configure()
            .dataSource(url, user, password)
            .locations("classpath:db/migration/postgres")
            .table("nrs_schema_history")
            .baselineOnMigrate(true)
            .baselineVersion("0")
            .baselineDescription("schema found without migration history")
            .load()
            .migrate();
    log.info(
        "journal schema: version {} ({} migration(s) applied by this node)",
        result.targetSchemaVersion != null
            ? result.targetSchemaVersion
            : result.initialSchemaVersion,
        result.migrationsExecuted);
    return result.migrationsExecuted;
  }
}

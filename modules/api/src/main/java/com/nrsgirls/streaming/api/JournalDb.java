package com.nrsgirls.streaming.api;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.persistence.jdbc.db.SlickExtension$;
import org.apache.pekko.persistence.jdbc.db.SlickExtensionImpl;
import slick.jdbc.JdbcBackend;

/**
 * JDBC connections to the journal's database from the journal's own pool (the shared database
 * {@code nrs} of pekko-persistence-jdbc), for the read models projections keep beside the events.
 * Blocking: use it on the blocking-IO dispatcher.
 */
final class JournalDb {
  private final JdbcBackend.JdbcDatabaseDef db;

  JournalDb(ActorSystem<?> system) {
    SlickExtensionImpl slick =
        (SlickExtensionImpl) SlickExtension$.MODULE$.get(system.classicSystem());
    this.db = slick.database(system.settings().config().getConfig("jdbc-read-journal")).database();
  }

  Connection connection() throws SQLException {
    return db.source().createConnection();
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

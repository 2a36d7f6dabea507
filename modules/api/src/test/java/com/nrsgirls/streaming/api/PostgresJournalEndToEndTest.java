package com.nrsgirls.streaming.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.nrsgirls.streaming.testkit.PostgresServer;
import com.nrsgirls.streaming.testkit.TestClips;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The node on a real PostgreSQL journal ({@code NRS_JOURNAL=postgres}), as a cluster deployment
 * runs it: the schema is created on first start, a stream's events land in PostgreSQL, and a node
 * started afresh (a new data directory, no H2 anywhere) recovers the stream from there.
 */
class PostgresJournalEndToEndTest {
  @TempDir static Path work;
  private static PostgresServer postgres;
  private static Path clip;

  @BeforeAll
  static void startPostgres() throws Exception {
    postgres = PostgresServer.start();
    clip = TestClips.flv(3, 640, 360);
  }

  @AfterAll
  static void stopPostgres() throws Exception {
    if (postgres != null) {
      postgres.close();
    }
  }

  @Test
  void streamsLiveInThePostgresJournalAndSurviveANewNode() throws Exception {
    String journal =
        "nrs.streaming.journal = postgres\n"
            + "nrs.streaming.jdbc.url = \""
            + postgres.jdbcUrl()
            + "\"\n"
            + "nrs.streaming.jdbc.user = "
            + PostgresServer.USER
            + "\n";
    String streamId;
    String key;
    try (TestNode node = TestNode.start(work.resolve("first"), journal)) {
      JsonNode created = node.createStream("on postgres");
      streamId = created.get("streamId").asText();
      key = created.get("streamKey").asText();
      node.publishOnce(clip, key, streamId);
    }
    assertTrue(eventRows(streamId) >= 3, "created, publish started and ended are in PostgreSQL");

    try (TestNode node = TestNode.start(work.resolve("second"), journal)) {
      JsonNode state =
          node.awaitState(
              streamId, Duration.ofSeconds(10), s -> s.get("status").asText().equals("idle"));
      assertEquals("on postgres", state.get("title").asText());
      assertEquals("publisher disconnected", state.get("lastSession").get("endReason").asText());
      // The key's hash came back from PostgreSQL: the same key goes live again.
      node.publishOnce(clip, key, streamId);
      List<String> types = node.eventTypes(streamId);
      assertEquals(2, types.stream().filter("PublishStarted"::equals).count(), types.toString());
    }
  }

  private static long eventRows(String streamId) throws Exception {
    try (Connection c = DriverManager.getConnection(postgres.jdbcUrl(), PostgresServer.USER, "");
        var statement =
            c.prepareStatement("select count(*) from event_journal where persistence_id like ?")) {
      statement.setString(1, "%" + streamId);
      try (ResultSet rs = statement.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    }
  }
}

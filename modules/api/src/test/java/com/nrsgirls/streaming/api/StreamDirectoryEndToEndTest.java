package com.nrsgirls.streaming.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.nrsgirls.streaming.testkit.TestClips;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Listing streams reads the directory projection, never the entities: a node with 1,000 streams
 * lists them all with none of them awake. The list follows a publish and its end, survives a
 * restart without duplicates, and a directory lost with its offsets (a journal written before
 * events were tagged) is rebuilt from the journal at the next start.
 */
class StreamDirectoryEndToEndTest {
  private static final String TOKEN = "directory-test-operator-token-0123456789";
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int STREAMS = 1000;
  private static final List<String> PROPERTIES =
      List.of(
          "-Dnrs.streaming.pipeline.abr.enabled=off",
          "-Dnrs.streaming.pipeline.idle-passivation=1s");

  @TempDir Path work;

  @Test
  void listingAThousandStreamsWakesNoEntity() throws Exception {
    Map<String, String> env = new java.util.HashMap<>(NodeProcess.environment(work.resolve("n")));
    env.put("NRS_ADMIN_TOKEN", TOKEN);
    Set<String> created = new HashSet<>();
    String[] live;
    try (NodeProcess node =
        NodeProcess.start(env, work.resolve("node-1.log"), PROPERTIES)
            .awaitReady(Duration.ofSeconds(90))) {
      for (int i = 0; i < STREAMS; i++) {
        created.add(create(node, "dj-" + i)[0]);
      }
      awaitAwake(node, 0);
      JsonNode all = awaitList(node, "", list -> list.size() == STREAMS);
      Set<String> listed = ids(all);
      assertEquals(created, listed);
      assertEquals(0, awake(node), "listing woke no entity");
      assertEquals(0, list(node, "?status=live").size());

      // a publish shows in the list with its session, and its end too
      live = create(node, "live");
      Process publisher = Publisher.start(TestClips.flv(10, 640, 360), node.rtmpUrl(live[1]), 1);
      JsonNode liveList = awaitList(node, "?status=live", list -> ids(list).contains(live[0]));
      JsonNode row = liveList.get(0);
      assertEquals("live", row.get("status").asText());
      assertTrue(row.get("session").hasNonNull("sessionId"), row.toString());
      assertTrue(row.get("session").hasNonNull("ingestNode"), row.toString());
      assertTrue(Publisher.await(publisher, 60).exitCode() == 0, "the publish completed");
      awaitList(node, "?status=live", list -> list.size() == 0);
    }

    // a restart: the projection goes on from its offsets; nothing listed twice
    try (NodeProcess node =
        NodeProcess.start(env, work.resolve("node-2.log"), PROPERTIES)
            .awaitReady(Duration.ofSeconds(90))) {
      String after = create(node, "after-restart")[0];
      JsonNode all = awaitList(node, "", list -> ids(list).contains(after));
      assertEquals(STREAMS + 2, all.size(), "every stream once");
      assertTrue(!node.logText().contains("caught up with the journal"), "no second bootstrap");
    }

    // the directory and its offsets lost, and no event tagged (as in a journal from before tags):
    // the next start rebuilds the directory from the journal
    try (Connection c =
            DriverManager.getConnection(
                "jdbc:h2:file:" + work.resolve("n").resolve("journal").resolve("nrs"), "sa", "");
        Statement st = c.createStatement()) {
      st.execute("DELETE FROM \"event_tag\""); // the testkit created it quoted
      st.execute("DELETE FROM nrs_projection_offset");
      st.execute("DELETE FROM nrs_stream_directory");
    }
    try (NodeProcess node =
        NodeProcess.start(env, work.resolve("node-3.log"), PROPERTIES)
            .awaitReady(Duration.ofSeconds(90))) {
      JsonNode all = awaitList(node, "", list -> list.size() == STREAMS + 2);
      assertTrue(ids(all).containsAll(created));
      assertTrue(ids(all).contains(live[0]));
    }
  }

  private static String[] create(NodeProcess node, String title) throws Exception {
    HttpResponse<String> r =
        node.send(
            "POST",
            "/api/v1/streams",
            TOKEN,
            "{\"creatorId\":\"dj\",\"creatorType\":\"DJ\",\"title\":\"" + title + "\"}");
    assertEquals(201, r.statusCode(), r.body());
    JsonNode body = JSON.readTree(r.body());
    return new String[] {body.get("streamId").asText(), body.get("streamKey").asText()};
  }

  private static JsonNode list(NodeProcess node, String query) throws Exception {
    HttpResponse<String> r = node.send("GET", "/api/v1/streams" + query, TOKEN, null);
    assertEquals(200, r.statusCode(), r.body());
    return JSON.readTree(r.body()).get("streams");
  }

  private static JsonNode awaitList(NodeProcess node, String query, Predicate<JsonNode> ok)
      throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    JsonNode last;
    do {
      last = list(node, query);
      if (ok.test(last)) {
        return last;
      }
      Thread.sleep(100); // poll interval of a probe
    } while (System.nanoTime() < deadline);
    throw new AssertionError("the list never became as expected: " + last.size() + " streams");
  }

  private static Set<String> ids(JsonNode list) {
    Set<String> ids = new HashSet<>();
    list.forEach(s -> ids.add(s.get("streamId").asText()));
    return ids;
  }

  /** The stream entities awake on the node, from the cluster view. */
  private static int awake(NodeProcess node) throws Exception {
    JsonNode view = JSON.readTree(node.send("GET", "/api/v1/cluster", TOKEN, null).body());
    return view.get("members").get(0).path("streamsAwake").asInt(-1);
  }

  private static void awaitAwake(NodeProcess node, int expected) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    int last;
    do {
      last = awake(node);
      if (last == expected) {
        return;
      }
      Thread.sleep(200); // poll interval of a probe
    } while (System.nanoTime() < deadline);
    throw new AssertionError("entities awake: " + last + ", expected " + expected);
  }
}

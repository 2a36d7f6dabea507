package com.nrsgirls.streaming.api;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.nrsgirls.streaming.testkit.PostgresServer;
import com.nrsgirls.streaming.testkit.TestClips;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

/**
 * A node with live publishers and an operator script writing to it is SIGKILLed at a random moment,
 * again and again, on the embedded H2 journal and on PostgreSQL. After every restart each event
 * whose persist the node had acknowledged (a 201 or 200 from the API, an "RTMP publish accepted"
 * log line) is in the journal, in order, and every stream that was live when the node died is ended
 * within seconds without anyone asking: {@code EXT-X-ENDLIST} on its playlist, idle in its state.
 *
 * <p>{@code -Dnrs.crash.rounds=N} runs more rounds than the default; the seed of the kill moments
 * is printed with every failure.
 */
class JournalCrashTest {
  /**
   * A session live at the crash waits moved-session-grace (10 s by default) before it ends: a
   * single node has nobody to hand it back, and 40 rounds need not wait that long each.
   */
  private static final List<String> SHORT_GRACE =
      List.of("-Dnrs.streaming.pipeline.moved-session-grace=1s");

  private static final int ROUNDS = Integer.getInteger("nrs.crash.rounds", 20);
  private static final String TOKEN = "crash-test-operator-token";
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern ACCEPTED =
      Pattern.compile("RTMP publish accepted from \\S+ stream (\\S+) session (\\S+)");
  private static final String CREATE =
      "{\"creatorId\":\"dj-crash\",\"creatorType\":\"DJ\",\"title\":\"crash\"}";

  /** The nodes' logs and data: kept under target/ when a round fails, deleted otherwise. */
  private Path work;

  @BeforeEach
  void workDirectory(TestInfo test) throws Exception {
    work =
        Files.createDirectories(Path.of("target", "journal-crash"))
            .resolve(
                test.getTestMethod().orElseThrow().getName() + "-" + System.currentTimeMillis())
            .toAbsolutePath();
    Files.createDirectories(work);
  }

  @AfterEach
  void deleteWorkDirectoryUnlessFailed() throws Exception {
    if (!failed) {
      try (Stream<Path> files = Files.walk(work)) {
        for (Path f : files.sorted(Comparator.reverseOrder()).toList()) {
          Files.delete(f);
        }
      }
    }
  }

  private boolean failed = true;

  @Test
  void acknowledgedEventsSurviveSigkillOnH2() throws Exception {
    crashRepeatedly(NodeProcess.environment(work.resolve("data")));
    failed = false;
  }

  @Test
  void acknowledgedEventsSurviveSigkillOnPostgres() throws Exception {
    try (PostgresServer postgres = PostgresServer.start()) {
      Map<String, String> env = NodeProcess.environment(work.resolve("data"));
      env.put("NRS_JOURNAL", "postgres");
      env.put("NRS_JDBC_URL", postgres.jdbcUrl());
      env.put("NRS_JDBC_USER", PostgresServer.USER);
      crashRepeatedly(env);
      failed = false;
    }
  }

  private void crashRepeatedly(Map<String, String> env) throws Exception {
    env.put("NRS_ADMIN_TOKEN", TOKEN);
    long seed = System.nanoTime();
    Random random = new Random(seed);
    Path clip = TestClips.flv(10, 320, 180);
    Ledger ledger = new Ledger();
    List<String> publishing = new ArrayList<>();
    Map<String, String> keys = new HashMap<>();
    List<String> rotating = new ArrayList<>();
    Set<String> liveAtCrash = Set.of();

    for (int round = 0; round < ROUNDS; round++) {
      String context = "round " + round + " of seed " + seed + " (logs and data in " + work + ")";
      try (NodeProcess node =
          NodeProcess.start(env, work.resolve("node-" + round + ".log"), SHORT_GRACE)
              .awaitReady(Duration.ofSeconds(60))) {
        if (round == 0) {
          for (int i = 0; i < 2; i++) {
            JsonNode created = create(node, ledger);
            publishing.add(created.get("streamId").asText());
            keys.put(created.get("streamId").asText(), created.get("streamKey").asText());
          }
          for (int i = 0; i < 3; i++) {
            rotating.add(create(node, ledger).get("streamId").asText());
          }
        } else {
          afterRestart(node, ledger, liveAtCrash, context);
        }

        List<Process> publishers = new ArrayList<>();
        AtomicBoolean writing = new AtomicBoolean(true);
        Thread writer = new Thread(() -> writeUntilStopped(node, ledger, rotating, writing));
        try {
          for (String streamId : publishing) {
            publishers.add(Publisher.start(clip, node.rtmpUrl(keys.get(streamId)), 100));
          }
          writer.start();
          for (String streamId : publishing) {
            node.awaitLog(
                Pattern.compile("RTMP publish accepted from \\S+ stream " + streamId + " "),
                Duration.ofSeconds(20));
          }
          Thread.sleep(random.nextInt(1500)); // the crash lands at a random moment
          node.kill();
        } finally {
          writing.set(false);
          writer.join();
          publishers.forEach(Publisher::kill);
        }
        Matcher accepted = ACCEPTED.matcher(node.logText());
        Set<String> live = new HashSet<>();
        while (accepted.find()) {
          ledger.sessionStarted(accepted.group(1), accepted.group(2));
          live.add(accepted.group(1));
        }
        liveAtCrash = live;
      }
    }
    try (NodeProcess node =
        NodeProcess.start(env, work.resolve("node-final.log"), SHORT_GRACE)
            .awaitReady(Duration.ofSeconds(60))) {
      afterRestart(
          node, ledger, liveAtCrash, "after the last crash (logs and data in " + work + ")");
    }
  }

  /**
   * Checks a restarted node: the acknowledged events are all there, and the streams that were live
   * when it died end by themselves (nothing asks them anything before their playlists end), once
   * nobody has resumed them within moved-session-grace.
   */
  private static void afterRestart(
      NodeProcess node, Ledger ledger, Set<String> liveAtCrash, String context) throws Exception {
    ledger.verify(node, context, false);
    for (String streamId : liveAtCrash) {
      if (!Files.exists(node.mediaPlaylist(streamId))) {
        continue; // killed before its first segment: there is no playlist to end
      }
      NodeProcess.awaitFile(
          node.mediaPlaylist(streamId),
          Duration.ofSeconds(15),
          text -> text.contains("#EXT-X-ENDLIST"));
    }
    // a session still live in the journal waits moved-session-grace for a publisher's node to hand
    // it back (there is none: a single node), then ends
    for (String streamId : liveAtCrash) {
      long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
      HttpResponse<String> r;
      boolean idle;
      do {
        // a stream still recovering may answer 503 (its entity did not answer within the ask
        // timeout on a busy machine): that is "not yet", like live
        r = node.send("GET", "/api/v1/streams/" + streamId, TOKEN, null);
        idle =
            r.statusCode() == 200 && "idle".equals(JSON.readTree(r.body()).path("status").asText());
        if (!idle) {
          Thread.sleep(100); // poll interval of a probe
        }
      } while (!idle && System.nanoTime() < deadline);
      assertTrue(idle, context + ": stream " + streamId + " " + r.statusCode() + " " + r.body());
    }
    ledger.verify(node, context, true);
  }

  /** Operator writes as fast as the node answers: key rotations, and now and then a new stream. */
  private void writeUntilStopped(
      NodeProcess node, Ledger ledger, List<String> rotating, AtomicBoolean writing) {
    for (int i = 0; writing.get(); i++) {
      try {
        if (i % 4 == 3) {
          HttpResponse<String> r = node.send("POST", "/api/v1/streams", TOKEN, CREATE);
          if (r.statusCode() == 201) {
            ledger.created(JSON.readTree(r.body()).get("streamId").asText());
          }
        } else {
          String streamId = rotating.get(i % rotating.size());
          if (node.send("POST", "/api/v1/streams/" + streamId + "/key/rotate", TOKEN, "")
                  .statusCode()
              == 200) {
            ledger.rotated(streamId);
          }
        }
      } catch (Exception killedMidRequest) {
        return;
      }
    }
  }

  private static JsonNode create(NodeProcess node, Ledger ledger) throws Exception {
    HttpResponse<String> r = node.send("POST", "/api/v1/streams", TOKEN, CREATE);
    assertEquals(201, r.statusCode(), r.body());
    JsonNode created = JSON.readTree(r.body());
    ledger.created(created.get("streamId").asText());
    return created;
  }

  /** What the node acknowledged, and the check that its journal still holds all of it. */
  private static final class Ledger {
    private final Map<String, Integer> rotations = new ConcurrentHashMap<>();
    private final Map<String, List<String>> sessions = new ConcurrentHashMap<>();

    void created(String streamId) {
      rotations.putIfAbsent(streamId, 0);
    }

    void rotated(String streamId) {
      rotations.merge(streamId, 1, Integer::sum);
    }

    void sessionStarted(String streamId, String sessionId) {
      sessions.computeIfAbsent(streamId, id -> new ArrayList<>()).add(sessionId);
    }

    /**
     * @param sessionsEnded whether every session the ledger knows must have ended by now (after a
     *     restart, once the node has ended what died with the previous one)
     */
    void verify(NodeProcess node, String context, boolean sessionsEnded) throws Exception {
      for (Map.Entry<String, Integer> stream : new LinkedHashMap<>(rotations).entrySet()) {
        String streamId = stream.getKey();
        // a page at a time, as a client reads a long history
        com.fasterxml.jackson.databind.node.ArrayNode events = JSON.createArrayNode();
        for (long from = 1; ; ) {
          HttpResponse<String> r =
              node.send(
                  "GET",
                  "/api/v1/streams/" + streamId + "/events?from=" + from + "&limit=500",
                  TOKEN,
                  null);
          assertEquals(200, r.statusCode(), context + ": " + r.body());
          JsonNode page = JSON.readTree(r.body());
          if (page.isEmpty()) {
            break;
          }
          events.addAll((com.fasterxml.jackson.databind.node.ArrayNode) page);
          from = page.get(page.size() - 1).get("sequenceNr").asLong() + 1;
        }
        List<String> types = new ArrayList<>();
        events.forEach(e -> types.add(e.get("sequenceNr") + ":" + e.get("type").asText()));
        String where = context + ", stream " + streamId + " " + types;
        assertTrue(events.size() > 0, where + ": its creation was acknowledged");
        assertEquals("StreamCreated", events.get(0).get("type").asText(), where);
        int rotated = 0;
        Map<String, Integer> started = new HashMap<>();
        Map<String, Integer> ended = new HashMap<>();
        for (int i = 0; i < events.size(); i++) {
          JsonNode e = events.get(i);
          assertEquals(i + 1, e.get("sequenceNr").asInt(), where + ": sequence numbers in order");
          switch (e.get("type").asText()) {
            case "KeyRotated" -> rotated++;
            case "PublishStarted" -> started.put(e.get("sessionId").asText(), i);
            case "PublishEnded" -> ended.put(e.get("sessionId").asText(), i);
            default -> {}
          }
        }
        assertTrue(
            rotated >= stream.getValue(),
            where + ": " + stream.getValue() + " rotations acknowledged, " + rotated + " kept");
        for (String sessionId : sessions.getOrDefault(streamId, List.of())) {
          assertTrue(started.containsKey(sessionId), where + ": accepted session " + sessionId);
          Integer end = ended.get(sessionId);
          assertTrue(end != null || !sessionsEnded, where + ": session " + sessionId + " ended");
          assertTrue(end == null || end > started.get(sessionId), where + ": ended after start");
        }
      }
    }
  }
}

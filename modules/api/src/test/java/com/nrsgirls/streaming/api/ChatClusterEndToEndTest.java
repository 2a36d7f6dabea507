package com.nrsgirls.streaming.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.nrsgirls.streaming.testkit.PostgresServer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One chat room over two node processes on one PostgreSQL journal, at the default limits: writers
 * and readers on both nodes see every message in one order, history on join, the per-user rate
 * limit, delete and ban from a moderator on one node taking effect on the other, and both still in
 * force after each node is restarted (one killed, one stopped), wherever the room ran.
 */
class ChatClusterEndToEndTest {
  private static final Duration T = Duration.ofSeconds(15);

  @TempDir Path work;

  @Test
  void oneRoomAcrossTwoNodes() throws Exception {
    assumeTrue(PostgresServer.available(), "PostgreSQL server binaries are not installed");
    try (PostgresServer postgres = PostgresServer.start();
        TestCluster cluster =
            TestCluster.start(
                work, 2, postgres, null, null, List.of("-Dnrs.streaming.chat.stats-interval=1s"))) {
      String streamId = cluster.createStream(0, "chat")[0];
      String op = TestCluster.TOKEN;
      // tokens from either node work on both: one key, derived from the shared master key
      String alice = ChatClient.token(cluster.node(0), op, streamId, "alice", "viewer");
      String carl = ChatClient.token(cluster.node(0), op, streamId, "carl", "viewer");
      String bob = ChatClient.token(cluster.node(1), op, streamId, "bob", "viewer");
      String dora = ChatClient.token(cluster.node(1), op, streamId, "dora", "viewer");
      String mod = ChatClient.token(cluster.node(1), op, streamId, "mod", "moderator");

      List<ChatClient> clients = new ArrayList<>();
      List<String> remaining = new ArrayList<>();
      try {
        ChatClient r0 =
            add(clients, ChatClient.connect("reader@0", cluster.httpPort(0), streamId, null));
        ChatClient r1 =
            add(clients, ChatClient.connect("reader@1", cluster.httpPort(1), streamId, null));
        // both nodes subscribed before the writers come: join frames are not history, a node
        // that subscribes after a join never hears it
        awaitNodesInRoom(cluster, streamId, 2);
        ChatClient a0 =
            add(clients, ChatClient.connect("alice@0", cluster.httpPort(0), streamId, alice));
        ChatClient c0 =
            add(clients, ChatClient.connect("carl@0", cluster.httpPort(0), streamId, carl));
        ChatClient b1 =
            add(clients, ChatClient.connect("bob@1", cluster.httpPort(1), streamId, bob));
        ChatClient d1 =
            add(clients, ChatClient.connect("dora@1", cluster.httpPort(1), streamId, dora));
        // both relays subscribed: each reader hears the writers join, whichever node they are on
        for (ChatClient r : List.of(r0, r1)) {
          Set<String> joined = new java.util.HashSet<>();
          while (joined.size() < 4) {
            joined.add(r.awaitType("join", T).get("user").get("id").asText());
          }
        }

        // four writers on two nodes, five messages each (the default burst), all at once
        ExecutorService pool = Executors.newFixedThreadPool(4);
        List<Future<?>> sends = new ArrayList<>();
        for (ChatClient w : List.of(a0, c0, b1, d1)) {
          sends.add(
              pool.submit(
                  () -> {
                    for (int i = 0; i < 5; i++) {
                      w.say(w.name + " " + i);
                    }
                    return null;
                  }));
        }
        for (Future<?> f : sends) {
          f.get(30, TimeUnit.SECONDS);
        }
        pool.shutdown();
        List<String> order = ids(r0, 20);
        assertEquals(20, Set.copyOf(order).size());
        for (ChatClient c : List.of(r1, a0, c0, b1, d1)) {
          assertEquals(order, ids(c, 20), c.name + " saw another order than reader@0");
        }

        // the default rate limit: a sixth message within the second is refused with a wait
        a0.say("one too many");
        JsonNode limited = a0.awaitError("rate-limited", T);
        assertTrue(limited.get("retryAfterMs").asLong() > 0, limited.toString());

        // history on join, on both nodes: the room's last messages in the room's order
        for (int n = 0; n < 2; n++) {
          try (ChatClient late =
              ChatClient.connect("late@" + n, cluster.httpPort(n), streamId, null)) {
            assertEquals(order, ids(late, 20), "history on node " + n);
          }
        }

        // a moderator on node 1 deletes one of alice's (node 0) messages and bans bob (node 1)
        ChatClient m1 =
            add(clients, ChatClient.connect("mod@1", cluster.httpPort(1), streamId, mod));
        List<String> history = ids(m1, 20);
        String aliceFirst =
            history.stream().filter(s -> s.endsWith("alice@0 0")).findFirst().orElseThrow();
        String aliceId = aliceFirst.split(" ")[0];
        m1.sendText("{\"type\":\"delete\",\"id\":\"" + aliceId + "\"}");
        for (ChatClient c : List.of(r0, r1, a0)) {
          assertEquals(aliceId, c.awaitType("deleted", T).get("id").asText(), c.name);
        }
        m1.sendText("{\"type\":\"ban\",\"userId\":\"bob\",\"reason\":\"flooding\"}");
        for (ChatClient r : List.of(r0, r1)) {
          assertEquals(
              "bob",
              r.await(f -> f.path("event").asText().equals("ban"), T)
                  .get("user")
                  .get("id")
                  .asText());
          // bob's messages leave everyone's screen
          Set<String> gone = new java.util.HashSet<>();
          while (gone.size() < 5) {
            gone.add(r.awaitType("deleted", T).get("id").asText());
          }
        }
        b1.awaitError("banned", T);
        b1.closed.get(10, TimeUnit.SECONDS);
        List<String> expected = new ArrayList<>(order);
        expected.removeIf(s -> s.startsWith(aliceId + " ") || s.contains(" bob@1 "));
        assertEquals(14, expected.size());
        remaining.addAll(expected);

        // the room's counts reach the stream's history
        awaitChatStats(cluster, streamId);
      } finally {
        for (ChatClient c : clients) {
          c.close();
        }
      }

      // node 0 crashes and comes back, then node 1 is stopped and comes back: the ban and the
      // deletions hold after each, on the node that restarted
      cluster.node(0).kill();
      cluster.restart(0);
      cluster.awaitMembersUp(Set.copyOf(cluster.addresses()));
      assertModeration(cluster, 0, streamId, bob, remaining);
      assertTrue(cluster.node(1).terminate(Duration.ofSeconds(30)), "node 1 stopped");
      cluster.restart(1);
      cluster.awaitMembersUp(Set.copyOf(cluster.addresses()));
      assertModeration(cluster, 1, streamId, bob, remaining);
      JsonNode info = cluster.api(1, "/api/v1/streams/" + streamId + "/chat");
      assertEquals("flooding", info.get("bans").get("bob").get("reason").asText(), info.toString());
      assertTrue(info.get("messages").asLong() >= 20, info.toString());
    }
  }

  /**
   * After a restart: history without the deleted and the banned user's messages; bob still banned.
   */
  private static void assertModeration(
      TestCluster cluster, int n, String streamId, String bob, List<String> expected)
      throws Exception {
    try (ChatClient late =
            ChatClient.connect("after restart@" + n, cluster.httpPort(n), streamId, null);
        ChatClient b = ChatClient.connect("bob again@" + n, cluster.httpPort(n), streamId, bob)) {
      assertEquals(expected, ids(late, expected.size()), "history after node " + n + " restarted");
      b.say("I'm back");
      b.awaitError("banned", T);
    }
  }

  private static void awaitNodesInRoom(TestCluster cluster, String streamId, int nodes)
      throws Exception {
    long deadline = System.nanoTime() + T.toNanos();
    JsonNode info = null;
    while (System.nanoTime() < deadline) {
      info = cluster.api(0, "/api/v1/streams/" + streamId + "/chat");
      if (info.get("nodes").asInt() == nodes) {
        return;
      }
      Thread.sleep(100); // poll interval of a probe
    }
    throw new AssertionError("the room never had " + nodes + " nodes: " + info);
  }

  private static void awaitChatStats(TestCluster cluster, String streamId) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    JsonNode last = null;
    while (System.nanoTime() < deadline) {
      for (JsonNode e : cluster.api(0, "/api/v1/streams/" + streamId + "/events")) {
        if (e.get("type").asText().equals("ChatStats")) {
          last = e;
        }
      }
      if (last != null && last.get("bans").asLong() == 1 && last.get("deleted").asLong() == 1) {
        assertTrue(last.get("messages").asLong() >= 20, last.toString());
        return;
      }
      Thread.sleep(200); // poll interval of a probe
    }
    throw new AssertionError("no ChatStats with the ban and the deletion: " + last);
  }

  /** The next {@code n} messages as "id user text". */
  private static List<String> ids(ChatClient c, int n) throws Exception {
    List<String> out = new ArrayList<>();
    while (out.size() < n) {
      JsonNode m = c.awaitType("message", T);
      out.add(m.get("id").asText() + " " + m.get("text").asText());
    }
    return out;
  }

  private static ChatClient add(List<ChatClient> all, ChatClient c) {
    all.add(c);
    return c;
  }
}

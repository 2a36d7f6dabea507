package com.nrsgirls.streaming.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.nrsgirls.streaming.testkit.PostgresServer;
import com.nrsgirls.streaming.testkit.S3Server;
import com.nrsgirls.streaming.testkit.TestClips;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node that comes back from a restart gets its share of the shards again, from the shards with no
 * stream awake; a live stream's shard stays where it is and its publisher stays connected. Before,
 * a restarted node took new shards only: after a rolling restart the last node held none.
 */
class ClusterRebalanceTest {
  private static final int RETURNING = 2;

  @TempDir Path work;

  @Test
  void aReturningNodeGetsIdleShardsAndLiveStreamsStay() throws Exception {
    assumeTrue(PostgresServer.available(), "PostgreSQL server binaries are not installed");
    Process publisher = null;
    try (PostgresServer postgres = PostgresServer.start();
        S3Server s3 = S3Server.start(work.resolve("s3"), "nrs-rebalance");
        TestCluster cluster =
            TestCluster.start(
                work,
                3,
                postgres,
                s3,
                "nrs-rebalance",
                List.of(
                    "-Dnrs.streaming.pipeline.idle-passivation=2s",
                    "-Dpekko.cluster.sharding.rebalance-interval=2s"))) {
      for (int i = 0; i < 18; i++) {
        cluster.createStream(i % 3, "idle-" + i);
      }
      // a live stream whose entity runs on a node that stays
      String[] live;
      String liveOwner;
      int attempt = 0;
      do {
        live = cluster.createStream(0, "live-" + attempt++);
        liveOwner = cluster.state(0, live[0]).get("ownerNode").asText();
      } while (liveOwner.equals(cluster.address(RETURNING)));
      int ingest = (cluster.indexOf(liveOwner) + 1) % 3;
      if (ingest == RETURNING) {
        ingest = (ingest + 1) % 3;
      }
      publisher =
          Publisher.start(TestClips.flv(10, 640, 360), cluster.rtmpUrl(ingest, live[1]), 30);
      cluster.awaitLive(0, live[0], Duration.ofSeconds(30));

      assertTrue(cluster.node(RETURNING).terminate(Duration.ofSeconds(60)), "node stops");
      cluster.awaitMembersUp(Set.of(cluster.address(0), cluster.address(1)));
      cluster.restart(RETURNING);
      cluster.awaitMembersUp(Set.copyOf(cluster.addresses()));

      // the returning node is given shards again, up to an even share
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      Map<String, Integer> shards = new HashMap<>();
      while (true) {
        shards.clear();
        for (JsonNode m : cluster.api(0, "/api/v1/cluster").get("members")) {
          if (m.has("shards")) {
            shards.put(m.get("node").asText(), m.get("shards").asInt());
          }
        }
        int total = shards.values().stream().mapToInt(Integer::intValue).sum();
        int returning = shards.getOrDefault(cluster.address(RETURNING), 0);
        if (shards.size() == 3 && total > 0 && returning >= total / 3 - 1 && returning > 0) {
          break;
        }
        assertTrue(
            System.nanoTime() < deadline, "the returning node never got its share: " + shards);
        Thread.sleep(200); // poll interval of a probe
      }
      System.out.println("rebalance: shards per node " + shards);

      JsonNode state = cluster.state(0, live[0]);
      assertEquals("live", state.get("status").asText());
      assertEquals(liveOwner, state.get("ownerNode").asText(), "the live stream's shard stayed");
      assertTrue(publisher.isAlive(), "the live stream's publisher is still connected");
    } finally {
      Publisher.kill(publisher);
    }
  }
}

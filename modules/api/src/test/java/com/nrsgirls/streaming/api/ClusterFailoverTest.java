package com.nrsgirls.streaming.api;

import static com.nrsgirls.streaming.api.TestCluster.awaitSegmentFrom;
import static com.nrsgirls.streaming.api.TestCluster.get;
import static com.nrsgirls.streaming.api.TestCluster.lastSequence;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.nrsgirls.streaming.testkit.PostgresServer;
import com.nrsgirls.streaming.testkit.Processes;
import com.nrsgirls.streaming.testkit.S3Server;
import com.nrsgirls.streaming.testkit.TestClips;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node dies (SIGKILL) with live streams, in a cluster of three on PostgreSQL and S3. The stream
 * whose graph ran there, published through a surviving node, goes on without its publisher
 * noticing: its entity starts on a surviving node from the journal, ingest hands it the same
 * session, HLS goes on numbering above what was listed. The stream whose publisher was connected to
 * the dead node goes on when that publisher reconnects to another node, as OBS does through a
 * balancer.
 */
class ClusterFailoverTest {
  private static final int VICTIM = 2;

  @TempDir Path work;

  @Test
  void aKilledNodesStreamsGoOnOnTheOthers() throws Exception {
    assumeTrue(PostgresServer.available(), "PostgreSQL server binaries are not installed");
    List<Process> publishers = new ArrayList<>();
    try (PostgresServer postgres = PostgresServer.start();
        S3Server s3 = S3Server.start(work.resolve("s3"), "nrs-failover");
        TestCluster cluster = TestCluster.start(work, 3, postgres, s3, "nrs-failover")) {
      // moved: its graph on the victim, its publisher on node 0
      // dropped: its graph on node 1, its publisher on the victim
      String[] moved = null;
      String[] dropped = null;
      for (int i = 0; (moved == null || dropped == null) && i < 24; i++) {
        String[] s = cluster.createStream(i % 3, "failover-" + i);
        int owner = cluster.indexOf(cluster.state(0, s[0]).get("ownerNode").asText());
        if (owner == VICTIM && moved == null) {
          moved = s;
        } else if (owner == 1 && dropped == null) {
          dropped = s;
        }
      }
      assertTrue(moved != null && dropped != null, "streams on the victim and on node 1");

      Path clip = TestClips.flv(10, 640, 360);
      Process movedPublisher = Publisher.start(clip, cluster.rtmpUrl(0, moved[1]), 8);
      publishers.add(movedPublisher);
      Process droppedPublisher = Publisher.start(clip, cluster.rtmpUrl(VICTIM, dropped[1]), 8);
      publishers.add(droppedPublisher);

      String movedSession =
          cluster
              .awaitLive(1, moved[0], Duration.ofSeconds(30))
              .get("session")
              .get("sessionId")
              .asText();
      cluster.awaitLive(1, dropped[0], Duration.ofSeconds(30));
      String movedUrl = cluster.playbackUrl(1, moved[0], "/source/index.m3u8");
      String droppedUrl = cluster.playbackUrl(1, dropped[0], "/source/index.m3u8");
      long movedBefore = lastSequence(awaitSegmentFrom(movedUrl, 1, Duration.ofSeconds(30)));
      long droppedBefore = lastSequence(awaitSegmentFrom(droppedUrl, 1, Duration.ofSeconds(30)));
      JsonNode eventsBefore = cluster.api(0, "/api/v1/streams/" + moved[0] + "/events");

      long killedAt = System.nanoTime();
      Instant killedInstant = Instant.now();
      cluster.node(VICTIM).kill();

      // The moved stream: its publisher never noticed, its playlist grows again, numbered above.
      String after = awaitSegmentFrom(movedUrl, movedBefore + 1, Duration.ofSeconds(45));
      long segmentMillis = (System.nanoTime() - killedAt) / 1_000_000;
      cluster.awaitLiveAwayFrom(0, moved[0], cluster.address(VICTIM), Duration.ofSeconds(10));
      // when the session went on in its new graph, from the journal (the state API's probe above
      // can itself wait out an ask to the dead node)
      JsonNode resumed = null;
      for (JsonNode e : cluster.api(0, "/api/v1/streams/" + moved[0] + "/events")) {
        if (e.get("type").asText().equals("SessionMoved")) {
          resumed = e;
        }
      }
      assertTrue(resumed != null, "a SessionMoved event");
      long liveMillis =
          Duration.between(killedInstant, Instant.parse(resumed.get("at").asText())).toMillis();
      System.out.println(
          "failover: live again "
              + liveMillis
              + " ms after SIGKILL; a new segment listed (read through node 1) after "
              + segmentMillis
              + " ms:\n"
              + after);
      assertTrue(liveMillis <= 10_000, "live again within 10 s of the SIGKILL: " + liveMillis);
      assertTrue(
          movedPublisher.isAlive(), "the publisher on a surviving node was not disconnected");
      assertTrue(
          after.contains("#EXT-X-DISCONTINUITY") || lastSequence(after) > movedBefore + 100,
          "a discontinuity, or a fresh window above the old one:\n" + after);
      JsonNode state = cluster.state(1, moved[0]);
      assertEquals("live", state.get("status").asText());
      assertEquals(
          movedSession, state.get("session").get("sessionId").asText(), "the same session");
      assertNotEquals(cluster.address(VICTIM), state.get("ownerNode").asText());

      // No persisted event lost: what the journal held before the kill is all still there.
      JsonNode eventsAfter = cluster.api(0, "/api/v1/streams/" + moved[0] + "/events");
      for (int i = 0; i < eventsBefore.size(); i++) {
        assertEquals(eventsBefore.get(i), eventsAfter.get(i), "event " + i);
      }
      // A player through a third node decodes the stream after the move.
      Processes.Result decoded =
          Processes.run(
              List.of(
                  "ffmpeg",
                  "-v",
                  "error",
                  "-i",
                  cluster.playbackUrl(1, moved[0], "/index.m3u8"),
                  "-t",
                  "4",
                  "-f",
                  "null",
                  "-"),
              Duration.ofSeconds(60));
      assertEquals(0, decoded.exitCode(), decoded.stderr());

      // The dropped stream: its publisher lost its connection; reconnecting to node 0 goes on.
      assertTrue(
          droppedPublisher.waitFor(30, java.util.concurrent.TimeUnit.SECONDS),
          "the publisher connected to the dead node lost its connection");
      publishers.add(Publisher.start(clip, cluster.rtmpUrl(0, dropped[1]), 3));
      awaitSegmentFrom(droppedUrl, droppedBefore + 1, Duration.ofSeconds(45));
      assertEquals(
          "live", cluster.awaitLive(0, dropped[0], Duration.ofSeconds(30)).get("status").asText());
      assertEquals(200, get(cluster.playbackUrl(0, dropped[0], "/index.m3u8")).statusCode());
    } finally {
      publishers.forEach(Publisher::kill);
    }
  }
}

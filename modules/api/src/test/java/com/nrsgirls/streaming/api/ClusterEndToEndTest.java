package com.nrsgirls.streaming.api;

import static com.nrsgirls.streaming.api.TestCluster.awaitSegmentFrom;
import static com.nrsgirls.streaming.api.TestCluster.get;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.nrsgirls.streaming.testkit.PostgresServer;
import com.nrsgirls.streaming.testkit.Processes;
import com.nrsgirls.streaming.testkit.S3Server;
import com.nrsgirls.streaming.testkit.TestClips;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three node processes on one PostgreSQL journal and one S3 bucket form a cluster: streams created
 * through any node spread over the three, publishers connect through nodes other than the ones
 * their streams run on (their media crosses the cluster), and every node serves every stream's HLS.
 */
class ClusterEndToEndTest {
  @TempDir Path work;

  @Test
  void threeNodesSpreadStreamsAndServeEachOthersPlayback() throws Exception {
    assumeTrue(PostgresServer.available(), "PostgreSQL server binaries are not installed");
    List<Process> publishers = new ArrayList<>();
    try (PostgresServer postgres = PostgresServer.start();
        S3Server s3 = S3Server.start(work.resolve("s3"), "nrs-cluster");
        TestCluster cluster =
            TestCluster.start(
                work,
                3,
                postgres,
                s3,
                "nrs-cluster",
                List.of("-Dnrs.streaming.pipeline.viewers.timeout=4s"))) {
      // Six streams, created through the three nodes in turn; least-shard allocation puts the
      // first shards on distinct nodes.
      Map<String, String> keys = new LinkedHashMap<>();
      Map<String, String> owners = new LinkedHashMap<>();
      for (int i = 0; i < 6; i++) {
        String[] s = cluster.createStream(i % 3, "c");
        keys.put(s[0], s[1]);
      }
      for (String streamId : keys.keySet()) {
        owners.put(streamId, cluster.state(2, streamId).get("ownerNode").asText());
      }
      assertEquals(
          Set.copyOf(cluster.addresses()),
          new HashSet<>(owners.values()),
          "the streams' entities run on every node: " + owners);

      // One stream owned by each node, published through the next node. The first one's
      // keyframes are about 500 KB: over Artery's ordinary frame size (256 KiB), which dropped
      // them as oversized and failed the session until media took the large-message stream.
      Path clip = TestClips.flv(10, 640, 360);
      Path bigKeyframes = work.resolve("big-keyframes.flv");
      Processes.Result encoded =
          Processes.run(
              List.of(
                  "ffmpeg",
                  "-v",
                  "error",
                  "-f",
                  "lavfi",
                  "-i",
                  "testsrc2=size=854x480:rate=30,noise=alls=60:allf=u",
                  "-f",
                  "lavfi",
                  "-i",
                  "sine",
                  "-c:v",
                  "libx264",
                  "-preset",
                  "veryfast",
                  "-crf",
                  "6",
                  "-g",
                  "60",
                  "-c:a",
                  "aac",
                  "-t",
                  "6",
                  "-f",
                  "flv",
                  bigKeyframes.toString()),
              Duration.ofSeconds(120));
      assertEquals(0, encoded.exitCode(), encoded.stderr());
      Map<String, Integer> ingestThrough = new LinkedHashMap<>();
      for (int owner = 0; owner < 3; owner++) {
        String address = cluster.address(owner);
        String streamId =
            owners.entrySet().stream()
                .filter(e -> e.getValue().equals(address))
                .findFirst()
                .orElseThrow()
                .getKey();
        int through = (owner + 1) % 3;
        ingestThrough.put(streamId, through);
        publishers.add(
            Publisher.start(
                owner == 0 ? bigKeyframes : clip,
                cluster.rtmpUrl(through, keys.get(streamId)),
                owner == 0 ? 14 : 8));
      }

      for (Map.Entry<String, Integer> e : ingestThrough.entrySet()) {
        String streamId = e.getKey();
        JsonNode state = cluster.awaitLive(0, streamId, Duration.ofSeconds(30));
        assertEquals(owners.get(streamId), state.get("ownerNode").asText());
        // every node's list (the directory projection, its slices spread over the nodes) has it
        for (int node = 0; node < 3; node++) {
          JsonNode row = cluster.awaitListed(node, streamId, "live", Duration.ofSeconds(30));
          assertEquals(owners.get(streamId), row.get("ownerNode").asText(), row.toString());
        }
        assertEquals(
            cluster.address(e.getValue()),
            state.get("session").get("ingestNode").asText(),
            "the publisher is connected to another node than the stream's graph");
        for (int node = 0; node < 3; node++) {
          String media =
              awaitSegmentFrom(
                  cluster.playbackUrl(node, streamId, "/source/index.m3u8"),
                  1,
                  Duration.ofSeconds(30));
          String master = get(cluster.playbackUrl(node, streamId, "/index.m3u8")).body();
          assertTrue(master.contains("source/ll.m3u8"), master);
          String classic = get(cluster.playbackUrl(node, streamId, "/classic.m3u8")).body();
          assertTrue(classic.contains("source/index.m3u8"), classic);
          String segment =
              media.lines().filter(l -> l.endsWith(".ts")).reduce((a, b) -> b).orElseThrow();
          String url = cluster.playbackUrl(node, streamId, "/source/" + segment);
          HttpResponse<byte[]> ts =
              TestCluster.HTTP.send(
                  HttpRequest.newBuilder(URI.create(url)).build(),
                  HttpResponse.BodyHandlers.ofByteArray());
          assertEquals(200, ts.statusCode(), url);
          assertTrue(ts.body().length > 1000 && ts.body()[0] == 0x47, "an MPEG-TS segment");
        }
        // a player reading through a node that neither ingests nor owns the stream
        int other = 3 - e.getValue() - cluster.indexOf(owners.get(streamId));
        Processes.Result decoded =
            Processes.run(
                List.of(
                    "ffmpeg",
                    "-v",
                    "error",
                    "-i",
                    cluster.playbackUrl(other, streamId, "/index.m3u8"),
                    "-t",
                    "4",
                    "-f",
                    "null",
                    "-"),
                Duration.ofSeconds(60));
        assertEquals(0, decoded.exitCode(), decoded.stderr());
        assertEquals("", decoded.stderr().strip(), "decodes without error through node " + other);
        assertEquals("live", cluster.state(other, streamId).get("status").asText());
      }

      // HLS viewers on two nodes, counted once each by the stream's entity: seven with the
      // session id their master playlist handed out, two players that fetch the media playlist
      // directly (told apart by user agent), one with a forged id; three stop and leave after the
      // timeout
      String watched = ingestThrough.keySet().iterator().next();
      // the probes above watched it too: wait until they have left
      int uniqueBefore =
          awaitViewers(cluster, watched, v -> v.get("current").asInt() == 0).get("unique").asInt();
      List<Viewer> viewers = new ArrayList<>();
      for (int i = 0; i < 7; i++) {
        int node = i < 4 ? 0 : 1;
        String master = get(cluster.playbackUrl(node, watched, "/index.m3u8")).body();
        String media =
            master.lines().filter(l -> l.startsWith("source/")).findFirst().orElseThrow();
        assertTrue(media.matches("source/ll\\.m3u8\\?vs=[a-z0-9]{16}"), master);
        viewers.add(new Viewer(cluster.playbackUrl(node, watched, "/" + media), "hls.js"));
      }
      viewers.add(new Viewer(cluster.playbackUrl(0, watched, "/source/index.m3u8"), "player-a"));
      viewers.add(new Viewer(cluster.playbackUrl(1, watched, "/source/index.m3u8"), "player-b"));
      // a made-up session id counts as its address and user agent: player-a again, not a tenth
      viewers.add(
          new Viewer(
              cluster.playbackUrl(0, watched, "/source/index.m3u8?vs=aaaaaaaaaaaaaaaa"),
              "player-a"));
      for (Viewer v : viewers) {
        Thread t = new Thread(v, "viewer");
        t.setDaemon(true);
        t.start();
      }
      try {
        JsonNode counted = awaitViewers(cluster, watched, v -> v.get("current").asInt() == 9);
        assertEquals(uniqueBefore + 9, counted.get("unique").asInt(), counted.toString());
        viewers.get(0).stop = true;
        viewers.get(5).stop = true;
        viewers.get(8).stop = true;
        JsonNode after = awaitViewers(cluster, watched, v -> v.get("current").asInt() == 6);
        assertEquals(uniqueBefore + 9, after.get("unique").asInt(), after.toString());
        assertTrue(after.get("peak").asInt() >= 9, after.toString());
        assertTrue(after.get("watchTimeSeconds").asLong() > 0, after.toString());
        for (Viewer v : viewers) {
          assertEquals(0, v.failures, "every playlist and segment fetch answered 200");
        }
      } finally {
        viewers.forEach(v -> v.stop = true);
      }

      // Pekko's side in /metrics: every node sees three members up; the stream directory's four
      // slice instances, spread over the nodes, each report their lag on the node they run on
      // (an instance that moves between nodes shows on its new node's next refresh, 5 s)
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      int instances;
      do {
        instances = 0;
        for (int node = 0; node < 3; node++) {
          String metrics =
              get("http://127.0.0.1:" + cluster.node(node).env.get("NRS_HTTP_PORT") + "/metrics")
                  .body();
          assertTrue(metrics.contains("nrs_cluster_members{status=\"Up\"} 3.0"), metrics);
          assertTrue(metrics.contains("nrs_cluster_unreachable_members 0.0"), metrics);
          instances +=
              (int)
                  metrics
                      .lines()
                      .filter(l -> l.startsWith("nrs_projection_lag_positions{"))
                      .count();
        }
        if (instances != 4) {
          Thread.sleep(500); // poll interval of a probe
        }
      } while (instances != 4 && System.nanoTime() < deadline);
      assertEquals(4, instances, "the directory's four slices, each on one node");
    } finally {
      publishers.forEach(Publisher::kill);
    }
  }

  private static JsonNode awaitViewers(
      TestCluster cluster, String streamId, java.util.function.Predicate<JsonNode> ok)
      throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    JsonNode viewers = null;
    do {
      viewers = cluster.state(2, streamId).get("viewers");
      if (viewers != null && !viewers.isNull() && ok.test(viewers)) {
        return viewers;
      }
      Thread.sleep(200); // poll interval of a probe
    } while (System.nanoTime() < deadline);
    throw new AssertionError("viewers never became as expected: " + viewers);
  }

  /** A player: its media playlist and newest segment once a second, as hls.js refreshes. */
  private static final class Viewer implements Runnable {
    final String mediaUrl;
    final String agent;
    volatile boolean stop;
    volatile int failures;

    Viewer(String mediaUrl, String agent) {
      this.mediaUrl = mediaUrl;
      this.agent = agent;
    }

    @Override
    public void run() {
      while (!stop) {
        try {
          HttpResponse<String> playlist =
              TestCluster.HTTP.send(
                  HttpRequest.newBuilder(URI.create(mediaUrl)).header("User-Agent", agent).build(),
                  HttpResponse.BodyHandlers.ofString());
          if (playlist.statusCode() != 200) {
            failures++;
          } else {
            String segment =
                playlist
                    .body()
                    .lines()
                    // the last segment (TS or, in a low-latency playlist, fMP4)
                    .filter(l -> !l.isBlank() && !l.startsWith("#"))
                    .reduce((a, b) -> b)
                    .orElse(null);
            if (segment != null) {
              URI segmentUri = URI.create(mediaUrl).resolve(segment);
              if (segmentUri.getQuery() != null) {
                failures++; // segment URLs carry nothing per viewer
              }
              HttpResponse<Void> ts =
                  TestCluster.HTTP.send(
                      HttpRequest.newBuilder(segmentUri).header("User-Agent", agent).build(),
                      HttpResponse.BodyHandlers.discarding());
              if (ts.statusCode() != 200) {
                failures++;
              }
            }
          }
          Thread.sleep(1000); // a player's refresh interval (the target duration is 2 s)
        } catch (InterruptedException e) {
          return;
        } catch (Exception e) {
          failures++;
        }
      }
    }
  }
}

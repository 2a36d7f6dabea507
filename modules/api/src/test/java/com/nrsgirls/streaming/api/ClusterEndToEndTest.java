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
        TestCluster cluster = TestCluster.start(work, 3, postgres, s3, "nrs-cluster")) {
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
                owner == 0 ? 10 : 6));
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
          assertTrue(master.contains("source/index.m3u8"), master);
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
    } finally {
      publishers.forEach(Publisher::kill);
    }
  }
}

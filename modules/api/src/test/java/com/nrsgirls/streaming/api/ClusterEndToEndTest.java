package com.nrsgirls.streaming.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.nrsgirls.streaming.core.secret.SecretSeal;
import com.nrsgirls.streaming.testkit.PostgresServer;
import com.nrsgirls.streaming.testkit.Processes;
import com.nrsgirls.streaming.testkit.S3Server;
import com.nrsgirls.streaming.testkit.TestClips;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
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
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
  private static final String TOKEN = "cluster-test-operator-token-0123456789";

  @TempDir Path work;

  @Test
  void threeNodesSpreadStreamsAndServeEachOthersPlayback() throws Exception {
    assumeTrue(PostgresServer.available(), "PostgreSQL server binaries are not installed");
    List<NodeProcess> nodes = new ArrayList<>();
    List<Process> publishers = new ArrayList<>();
    try (PostgresServer postgres = PostgresServer.start();
        S3Server s3 = S3Server.start(work.resolve("s3"), "nrs-cluster")) {
      List<Map<String, String>> envs = new ArrayList<>();
      String masterKey = SecretSeal.newMasterKey();
      for (int i = 0; i < 3; i++) {
        Map<String, String> env = new HashMap<>(NodeProcess.environment(work.resolve("n" + i)));
        env.put("NRS_JOURNAL", "postgres");
        env.put("NRS_JDBC_URL", postgres.jdbcUrl());
        env.put("NRS_JDBC_USER", PostgresServer.USER);
        env.put("NRS_ADMIN_TOKEN", TOKEN);
        env.put("NRS_MASTER_KEY", masterKey);
        env.put("NRS_STORE", "s3");
        env.put("NRS_S3_BUCKET", "nrs-cluster");
        env.put("NRS_S3_ENDPOINT", s3.endpoint());
        env.put("NRS_S3_PATH_STYLE", "true");
        env.put("NRS_S3_ACCESS_KEY", S3Server.ACCESS_KEY);
        env.put("NRS_S3_SECRET_KEY", S3Server.SECRET_KEY);
        envs.add(env);
      }
      String seed = "127.0.0.1:" + envs.get(0).get("NRS_CLUSTER_PORT");
      List<String> properties = List.of("-Dnrs.streaming.pipeline.abr.enabled=off");
      for (int i = 0; i < 3; i++) {
        envs.get(i).put("NRS_SEED_NODES", seed);
        nodes.add(NodeProcess.start(envs.get(i), work.resolve("node" + i + ".log"), properties));
      }
      for (NodeProcess node : nodes) {
        node.awaitReady(Duration.ofSeconds(90));
      }
      List<String> addresses = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        addresses.add("127.0.0.1:" + envs.get(i).get("NRS_CLUSTER_PORT"));
      }
      for (NodeProcess node : nodes) {
        awaitMembersUp(node, Set.copyOf(addresses));
      }

      // Six streams, created through the three nodes in turn; least-shard allocation puts the
      // first shards on distinct nodes.
      Map<String, String> keys = new LinkedHashMap<>();
      Map<String, String> owners = new LinkedHashMap<>();
      for (int i = 0; i < 6; i++) {
        JsonNode created =
            JSON.readTree(
                nodes
                    .get(i % 3)
                    .send(
                        "POST",
                        "/api/v1/streams",
                        TOKEN,
                        "{\"creatorId\":\"dj-" + i + "\",\"creatorType\":\"DJ\",\"title\":\"c\"}")
                    .body());
        keys.put(created.get("streamId").asText(), created.get("streamKey").asText());
      }
      for (String streamId : keys.keySet()) {
        owners.put(streamId, state(nodes.get(2), streamId).get("ownerNode").asText());
      }
      assertEquals(
          Set.copyOf(addresses),
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
        String address = addresses.get(owner);
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
                nodes.get(through).rtmpUrl(keys.get(streamId)),
                owner == 0 ? 10 : 6));
      }

      for (Map.Entry<String, Integer> e : ingestThrough.entrySet()) {
        String streamId = e.getKey();
        JsonNode state = awaitLive(nodes.get(0), streamId);
        assertEquals(owners.get(streamId), state.get("ownerNode").asText());
        assertEquals(
            addresses.get(e.getValue()),
            state.get("session").get("ingestNode").asText(),
            "the publisher is connected to another node than the stream's graph");
        for (NodeProcess node : nodes) {
          String base = "http://127.0.0.1:" + node.env.get("NRS_HTTP_PORT") + "/live/" + streamId;
          String media = awaitSegments(base + "/source/index.m3u8", 2);
          String master = get(base + "/index.m3u8").body();
          assertTrue(master.contains("source/index.m3u8"), master);
          String segment =
              media.lines().filter(l -> l.endsWith(".ts")).reduce((a, b) -> b).orElseThrow();
          HttpResponse<byte[]> ts =
              HTTP.send(
                  HttpRequest.newBuilder(URI.create(base + "/source/" + segment)).build(),
                  HttpResponse.BodyHandlers.ofByteArray());
          assertEquals(200, ts.statusCode(), base + "/source/" + segment);
          assertTrue(ts.body().length > 1000 && ts.body()[0] == 0x47, "an MPEG-TS segment");
        }
        // a player reading through a node that neither ingests nor owns the stream
        int other = 3 - e.getValue() - addresses.indexOf(owners.get(streamId));
        String url =
            "http://127.0.0.1:"
                + nodes.get(other).env.get("NRS_HTTP_PORT")
                + "/live/"
                + streamId
                + "/index.m3u8";
        Processes.Result decoded =
            Processes.run(
                List.of("ffmpeg", "-v", "error", "-i", url, "-t", "4", "-f", "null", "-"),
                Duration.ofSeconds(60));
        assertEquals(0, decoded.exitCode(), decoded.stderr());
        assertEquals("", decoded.stderr().strip(), "decodes without error through node " + other);
        assertEquals("live", state(nodes.get(other), streamId).get("status").asText());
      }
    } finally {
      publishers.forEach(Publisher::kill);
      for (NodeProcess node : nodes) {
        node.close();
      }
    }
  }

  private static void awaitMembersUp(NodeProcess node, Set<String> expected) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    JsonNode view = null;
    while (System.nanoTime() < deadline) {
      view = JSON.readTree(node.send("GET", "/api/v1/cluster", TOKEN, null).body());
      Set<String> up = new HashSet<>();
      view.get("members")
          .forEach(
              m -> {
                if (m.get("status").asText().equals("up") && m.get("reachable").asBoolean()) {
                  up.add(m.get("node").asText());
                }
              });
      if (up.equals(expected)) {
        return;
      }
      Thread.sleep(100); // poll interval of a probe
    }
    throw new AssertionError("the cluster never formed: " + view);
  }

  private static JsonNode state(NodeProcess node, String streamId) throws Exception {
    HttpResponse<String> r = node.send("GET", "/api/v1/streams/" + streamId, TOKEN, null);
    assertEquals(200, r.statusCode(), r.body());
    return JSON.readTree(r.body());
  }

  private static JsonNode awaitLive(NodeProcess node, String streamId) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    JsonNode s = null;
    while (System.nanoTime() < deadline) {
      s = state(node, streamId);
      if (s.get("status").asText().equals("live")) {
        return s;
      }
      Thread.sleep(100); // poll interval of a probe
    }
    throw new AssertionError("never live: " + s);
  }

  private static String awaitSegments(String playlistUrl, int count) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    String last = null;
    while (System.nanoTime() < deadline) {
      HttpResponse<String> r = get(playlistUrl);
      if (r.statusCode() == 200) {
        last = r.body();
        if (last.lines().filter(l -> l.endsWith(".ts")).count() >= count) {
          return last;
        }
      } else {
        last = r.statusCode() + " " + r.body();
      }
      Thread.sleep(100); // poll interval of a probe
    }
    throw new AssertionError(playlistUrl + " never listed " + count + " segments: " + last);
  }

  private static HttpResponse<String> get(String url) throws Exception {
    return HTTP.send(
        HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).build(),
        HttpResponse.BodyHandlers.ofString());
  }
}

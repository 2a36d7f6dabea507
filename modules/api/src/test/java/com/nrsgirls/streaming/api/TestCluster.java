package com.nrsgirls.streaming.api;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.nrsgirls.streaming.core.secret.SecretSeal;
import com.nrsgirls.streaming.testkit.PostgresServer;
import com.nrsgirls.streaming.testkit.S3Server;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Node processes forming one cluster for a test: a shared PostgreSQL journal and S3 bucket, one
 * operator token and master key, node 0 the seed, ABR off (two cores). Each node is a {@link
 * NodeProcess}; nodes are numbered from 0 and keep their environment, so a killed one can be
 * started again on the same ports.
 */
final class TestCluster implements AutoCloseable {
  static final String TOKEN = "cluster-test-operator-token-0123456789";
  static final ObjectMapper JSON = new ObjectMapper();
  static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
  private static final List<String> PROPERTIES =
      List.of("-Dnrs.streaming.pipeline.abr.enabled=off");

  private final Path work;
  private final List<String> properties = new ArrayList<>(PROPERTIES);
  private final List<Map<String, String>> envs = new ArrayList<>();
  private final List<NodeProcess> nodes = new ArrayList<>();
  private final int[] starts;

  private TestCluster(Path work, int size) {
    this.work = work;
    this.starts = new int[size];
  }

  /** Starts {@code size} nodes and waits until every one sees all of them {@code Up}. */
  static TestCluster start(Path work, int size, PostgresServer postgres, S3Server s3, String bucket)
      throws Exception {
    return start(work, size, postgres, s3, bucket, List.of());
  }

  /**
   * {@link #start}, with {@code properties} ({@code -Dkey=value}) for every node's JVM; {@code s3}
   * null keeps each node's recordings in its own data directory.
   */
  static TestCluster start(
      Path work,
      int size,
      PostgresServer postgres,
      S3Server s3,
      String bucket,
      List<String> properties)
      throws Exception {
    TestCluster cluster = new TestCluster(work, size);
    cluster.properties.addAll(properties);
    String masterKey = SecretSeal.newMasterKey();
    for (int i = 0; i < size; i++) {
      Map<String, String> env = new HashMap<>(NodeProcess.environment(work.resolve("n" + i)));
      env.put("NRS_JOURNAL", "postgres");
      env.put("NRS_JDBC_URL", postgres.jdbcUrl());
      env.put("NRS_JDBC_USER", PostgresServer.USER);
      env.put("NRS_ADMIN_TOKEN", TOKEN);
      env.put("NRS_MASTER_KEY", masterKey);
      if (s3 != null) {
        env.put("NRS_STORE", "s3");
        env.put("NRS_S3_BUCKET", bucket);
        env.put("NRS_S3_ENDPOINT", s3.endpoint());
        env.put("NRS_S3_PATH_STYLE", "true");
        env.put("NRS_S3_ACCESS_KEY", S3Server.ACCESS_KEY);
        env.put("NRS_S3_SECRET_KEY", S3Server.SECRET_KEY);
      }
      cluster.envs.add(env);
    }
    // every node a seed, node 0 first: it forms the cluster at the start, and when it restarts it
    // joins the others instead of forming one of its own
    String seeds = String.join(",", cluster.addresses());
    for (int i = 0; i < size; i++) {
      cluster.envs.get(i).put("NRS_SEED_NODES", seeds);
      cluster.nodes.add(null);
    }
    try {
      for (int i = 0; i < size; i++) {
        cluster.launch(i);
      }
      for (NodeProcess node : cluster.nodes) {
        node.awaitReady(Duration.ofSeconds(90));
      }
      cluster.awaitMembersUp(Set.copyOf(cluster.addresses()));
    } catch (Exception | AssertionError e) {
      cluster.close();
      throw e;
    }
    return cluster;
  }

  private void launch(int i) throws Exception {
    starts[i]++;
    nodes.set(
        i,
        NodeProcess.start(
            envs.get(i), work.resolve("node" + i + "-" + starts[i] + ".log"), properties));
  }

  /** Starts node {@code i} again (after a kill or a stop) and waits until it is ready. */
  void restart(int i) throws Exception {
    launch(i);
    nodes.get(i).awaitReady(Duration.ofSeconds(90));
  }

  NodeProcess node(int i) {
    return nodes.get(i);
  }

  /**
   * For a failure's message: the lines of every node's logs (each start's) that contain any of
   * {@code needles}, in time order, each after its log's name; at most {@code max}, the latest.
   */
  String logLines(int max, String... needles) throws java.io.IOException {
    List<String> lines = new ArrayList<>();
    for (int i = 0; i < starts.length; i++) {
      for (int start = 1; start <= starts[i]; start++) {
        Path log = work.resolve("node" + i + "-" + start + ".log");
        if (!java.nio.file.Files.exists(log)) {
          continue;
        }
        for (String line : java.nio.file.Files.readAllLines(log)) {
          if (line.contains("was not delivered")) {
            continue; // dead letters of a stopping node: many, and they name only the recipient
          }
          for (String needle : needles) {
            if (line.contains(needle)) {
              // ISO timestamps first on every line: sorting the lines sorts them in time
              lines.add(line + "    [" + log.getFileName() + "]");
              break;
            }
          }
        }
      }
    }
    lines.sort(null);
    return String.join("\n", lines.subList(Math.max(0, lines.size() - max), lines.size()));
  }

  /**
   * Copies every node's logs to {@code target/cluster-logs/{name}} (the test's own directory is
   * deleted after it), for a failure that has to be read whole.
   */
  void keepLogs(String name) throws java.io.IOException {
    Path kept = Path.of("target", "cluster-logs", name + "-" + System.currentTimeMillis());
    java.nio.file.Files.createDirectories(kept);
    try (java.util.stream.Stream<Path> files = java.nio.file.Files.list(work)) {
      for (Path log : files.filter(f -> f.getFileName().toString().endsWith(".log")).toList()) {
        java.nio.file.Files.copy(log, kept.resolve(log.getFileName()));
      }
    }
  }

  int httpPort(int i) {
    return Integer.parseInt(envs.get(i).get("NRS_HTTP_PORT"));
  }

  int size() {
    return nodes.size();
  }

  /**
   * Node {@code i}'s cluster address as the API shows it ({@code ownerNode}, {@code ingestNode}).
   */
  String address(int i) {
    return "127.0.0.1:" + envs.get(i).get("NRS_CLUSTER_PORT");
  }

  List<String> addresses() {
    List<String> all = new ArrayList<>();
    for (int i = 0; i < envs.size(); i++) {
      all.add(address(i));
    }
    return all;
  }

  int indexOf(String address) {
    return addresses().indexOf(address);
  }

  String rtmpUrl(int i, String key) {
    return nodes.get(i).rtmpUrl(key);
  }

  String playbackUrl(int i, String streamId, String path) {
    return "http://127.0.0.1:" + envs.get(i).get("NRS_HTTP_PORT") + "/live/" + streamId + path;
  }

  /** Waits until every running node sees exactly {@code expected} up and reachable. */
  void awaitMembersUp(Set<String> expected) throws Exception {
    for (NodeProcess node : nodes) {
      if (node == null || !node.alive()) {
        continue;
      }
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      JsonNode view = null;
      while (true) {
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
          break;
        }
        if (System.nanoTime() > deadline) {
          throw new AssertionError("the cluster never became " + expected + ": " + view);
        }
        Thread.sleep(100); // poll interval of a probe
      }
    }
  }

  /** Creates a stream through node {@code i}; returns {@code [streamId, streamKey]}. */
  String[] createStream(int i, String title) throws Exception {
    HttpResponse<String> r =
        nodes
            .get(i)
            .send(
                "POST",
                "/api/v1/streams",
                TOKEN,
                "{\"creatorId\":\"dj-1\",\"creatorType\":\"DJ\",\"title\":\"" + title + "\"}");
    assertEquals(201, r.statusCode(), r.body());
    JsonNode created = JSON.readTree(r.body());
    return new String[] {created.get("streamId").asText(), created.get("streamKey").asText()};
  }

  JsonNode state(int i, String streamId) throws Exception {
    HttpResponse<String> r = nodes.get(i).send("GET", "/api/v1/streams/" + streamId, TOKEN, null);
    assertEquals(200, r.statusCode(), r.body());
    return JSON.readTree(r.body());
  }

  JsonNode api(int i, String path) throws Exception {
    HttpResponse<String> r = nodes.get(i).send("GET", path, TOKEN, null);
    assertEquals(200, r.statusCode(), r.body());
    return JSON.readTree(r.body());
  }

  /** Waits until node {@code i} says the stream is live (in {@code session}, if not null). */
  JsonNode awaitLive(int i, String streamId, Duration timeout) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    JsonNode s = null;
    while (System.nanoTime() < deadline) {
      HttpResponse<String> r = nodes.get(i).send("GET", "/api/v1/streams/" + streamId, TOKEN, null);
      if (r.statusCode() == 200) {
        s = JSON.readTree(r.body());
        if (s.get("status").asText().equals("live")) {
          return s;
        }
      }
      Thread.sleep(100); // poll interval of a probe
    }
    throw new AssertionError("never live: " + s);
  }

  /**
   * Waits until node {@code i} says the stream is live with its entity on another node than {@code
   * away}.
   */
  JsonNode awaitLiveAwayFrom(int i, String streamId, String away, Duration timeout)
      throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    String last = null;
    while (System.nanoTime() < deadline) {
      HttpResponse<String> r = nodes.get(i).send("GET", "/api/v1/streams/" + streamId, TOKEN, null);
      last = r.statusCode() + " " + r.body();
      if (r.statusCode() == 200) {
        JsonNode s = JSON.readTree(r.body());
        if (s.get("status").asText().equals("live")
            && s.hasNonNull("ownerNode")
            && !s.get("ownerNode").asText().equals(away)) {
          return s;
        }
      }
      Thread.sleep(100); // poll interval of a probe
    }
    throw new AssertionError("never live away from " + away + ": " + last);
  }

  /** Waits until node {@code i}'s stream list shows the stream with {@code status}; its row. */
  JsonNode awaitListed(int i, String streamId, String status, Duration timeout) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    String last = null;
    while (System.nanoTime() < deadline) {
      HttpResponse<String> r = nodes.get(i).send("GET", "/api/v1/streams", TOKEN, null);
      last = r.statusCode() + " " + r.body();
      if (r.statusCode() == 200) {
        for (JsonNode row : JSON.readTree(r.body()).get("streams")) {
          if (row.get("streamId").asText().equals(streamId)
              && row.get("status").asText().equals(status)) {
            return row;
          }
        }
      }
      Thread.sleep(100); // poll interval of a probe
    }
    throw new AssertionError("stream " + streamId + " never listed " + status + ": " + last);
  }

  /** The media playlist at {@code url} once it lists a segment numbered {@code above} or more. */
  static String awaitSegmentFrom(String url, long above, Duration timeout) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    String last = null;
    while (System.nanoTime() < deadline) {
      HttpResponse<String> r = get(url);
      last = r.statusCode() + " " + r.body();
      if (r.statusCode() == 200 && lastSequence(r.body()) >= above) {
        return r.body();
      }
      Thread.sleep(100); // poll interval of a probe
    }
    throw new AssertionError(url + " never listed segment " + above + ": " + last);
  }

  /** The media sequence number of a media playlist's last segment; -1 when it lists none. */
  static long lastSequence(String playlist) {
    long first = -1;
    int count = 0;
    for (String line : playlist.split("\n")) {
      if (line.startsWith("#EXT-X-MEDIA-SEQUENCE:")) {
        first = Long.parseLong(line.substring("#EXT-X-MEDIA-SEQUENCE:".length()).strip());
      } else if (line.endsWith(".ts")) {
        count++;
      }
    }
    return count == 0 || first < 0 ? -1 : first + count - 1;
  }

  static HttpResponse<String> get(String url) throws Exception {
    return HTTP.send(
        HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Override
  public void close() throws InterruptedException {
    for (NodeProcess node : nodes) {
      if (node != null) {
        node.close();
      }
    }
  }
}

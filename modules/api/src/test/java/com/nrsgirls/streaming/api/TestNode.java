package com.nrsgirls.streaming.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.nrsgirls.streaming.testkit.Processes;
import com.typesafe.config.ConfigFactory;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * A real node in the test JVM (ephemeral ports, its own data directory) and an HTTP client that
 * talks to its API the way an operator script would. A test starts its own, or a class shares one
 * through {@link PerClass}.
 */
final class TestNode implements AutoCloseable {
  static final String TOKEN = "test-operator-token";
  private static final ObjectMapper JSON = new ObjectMapper();

  final NrsNode node;
  final Path dataDir;
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private TestNode(NrsNode node, Path dataDir) {
    this.node = node;
    this.dataDir = dataDir;
  }

  static TestNode start(Path dataDir) throws Exception {
    return start(dataDir, "");
  }

  /**
   * @param extraConfig HOCON that overrides the test defaults
   */
  static TestNode start(Path dataDir, String extraConfig) throws Exception {
    String overrides =
        "nrs.streaming.data-dir = \""
            + dataDir.toAbsolutePath()
            + "\"\n"
            + "nrs.streaming.api.port = 0\n"
            + "nrs.streaming.api.admin-token = \""
            + TOKEN
            + "\"\n"
            + "nrs.streaming.ingest.port = 0\n"
            + "nrs.streaming.webrtc.udp-port = 0\n"
            + "pekko.remote.artery.canonical.port = 0\n"
            // A dropped publisher's playlist ends quickly, so tests see EXT-X-ENDLIST soon.
            + "nrs.streaming.pipeline.reconnect-grace = 1s\n"
            + extraConfig;
    NrsNode node =
        NrsNode.start(NodeConfig.load(ConfigFactory.parseString(overrides)))
            .toCompletableFuture()
            .get(60, TimeUnit.SECONDS);
    return new TestNode(node, dataDir);
  }

  /** The node's WebRTC UDP port (WHIP and WHEP). */
  java.net.InetSocketAddress webrtcAddress() {
    return node.webrtcAddress();
  }

  String rtmpUrl(String streamKey) {
    return "rtmp://127.0.0.1:" + node.rtmpAddress().getPort() + "/live/" + streamKey;
  }

  String httpUrl(String path) {
    return "http://127.0.0.1:" + node.httpAddress().getPort() + path;
  }

  HttpResponse<String> get(String path, boolean authorized)
      throws IOException, InterruptedException {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(httpUrl(path))).GET();
    if (authorized) {
      b.header("Authorization", "Bearer " + TOKEN);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  HttpResponse<String> send(String method, String path, String body)
      throws IOException, InterruptedException {
    HttpRequest request =
        HttpRequest.newBuilder(URI.create(httpUrl(path)))
            .method(
                method,
                body == null
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(body))
            .header("Authorization", "Bearer " + TOKEN)
            .header("Content-Type", "application/json")
            .build();
    return http.send(request, HttpResponse.BodyHandlers.ofString());
  }

  JsonNode json(HttpResponse<String> response) throws IOException {
    return JSON.readTree(response.body());
  }

  /** Creates a stream through the API; returns the 201 answer. */
  JsonNode createStream(String title) throws Exception {
    HttpResponse<String> r =
        send(
            "POST",
            "/api/v1/streams",
            "{\"creatorId\":\"dj-42\",\"creatorType\":\"DJ\",\"title\":\"" + title + "\"}");
    if (r.statusCode() != 201) {
      throw new AssertionError("create answered " + r.statusCode() + ": " + r.body());
    }
    return json(r);
  }

  JsonNode state(String streamId) throws Exception {
    HttpResponse<String> r = get("/api/v1/streams/" + streamId, true);
    if (r.statusCode() != 200) {
      throw new AssertionError("state answered " + r.statusCode() + ": " + r.body());
    }
    return json(r);
  }

  /**
   * Publishes {@code clip} once with {@code key} from a real ffmpeg, asserts that the publisher
   * finished cleanly, and waits until the stream is idle again.
   */
  void publishOnce(Path clip, String key, String streamId) throws Exception {
    Process p = Publisher.start(clip, rtmpUrl(key), 1);
    try {
      Processes.Result r = Publisher.await(p, 20);
      if (r.exitCode() != 0) {
        throw new AssertionError("publisher exited " + r.exitCode() + ": " + r.stderr());
      }
    } finally {
      Publisher.kill(p);
    }
    awaitState(streamId, Duration.ofSeconds(10), s -> s.get("status").asText().equals("idle"));
  }

  /** The types of the stream's persisted events, in order, from the events API. */
  List<String> eventTypes(String streamId) throws Exception {
    List<String> types = new ArrayList<>();
    json(get("/api/v1/streams/" + streamId + "/events", true))
        .forEach(e -> types.add(e.get("type").asText()));
    return types;
  }

  /** Polls the state API until the condition holds: the API is the probe. */
  JsonNode awaitState(String streamId, Duration timeout, java.util.function.Predicate<JsonNode> ok)
      throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    JsonNode last = null;
    while (System.nanoTime() < deadline) {
      last = state(streamId);
      if (ok.test(last)) {
        return last;
      }
      Thread.sleep(100); // poll interval of a probe, not a synchronisation guess
    }
    throw new AssertionError("stream " + streamId + " never reached the expected state: " + last);
  }

  /** Polls {@code /metrics} until it has the line {@code line} (e.g. {@code "nrs_x 1.0"}). */
  void awaitMetric(String line, Duration timeout) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    String metrics = "";
    while (System.nanoTime() < deadline) {
      metrics = get("/metrics", false).body();
      if (metrics.lines().anyMatch(line::equals)) {
        return;
      }
      Thread.sleep(100); // poll interval of a probe
    }
    String name = line.contains(" ") ? line.substring(0, line.indexOf(' ')) : line;
    throw new AssertionError(
        "never " + line + ": " + metrics.lines().filter(l -> l.startsWith(name)).toList());
  }

  /** Polls a file the node writes until its text satisfies the condition. */
  String awaitFile(Path file, Duration timeout, java.util.function.Predicate<String> ok)
      throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    String last = null;
    while (System.nanoTime() < deadline) {
      if (java.nio.file.Files.exists(file)) {
        last = java.nio.file.Files.readString(file);
        if (ok.test(last)) {
          return last;
        }
      }
      Thread.sleep(100); // poll interval of a probe
    }
    throw new AssertionError(file + " never reached the expected content: " + last);
  }

  Path mediaPlaylist(String streamId) {
    return dataDir.resolve("hls").resolve(streamId).resolve("source").resolve("index.m3u8");
  }

  @Override
  public void close() throws Exception {
    node.stop().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  /**
   * One node for all the tests of a class ({@code @ExtendWith(TestNode.PerClass.class)}), handed to
   * every test method that takes a {@code TestNode} parameter: started before the first test,
   * stopped after the last, its data in a temporary directory deleted then.
   */
  static final class PerClass implements BeforeAllCallback, AfterAllCallback, ParameterResolver {
    private static final ExtensionContext.Namespace NAMESPACE =
        ExtensionContext.Namespace.create(PerClass.class);

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
      Path dataDir = Files.createTempDirectory("nrs-node");
      context.getStore(NAMESPACE).put(TestNode.class, TestNode.start(dataDir));
    }

    @Override
    public void afterAll(ExtensionContext context) throws Exception {
      TestNode node = context.getStore(NAMESPACE).remove(TestNode.class, TestNode.class);
      if (node != null) {
        node.close();
        try (Stream<Path> files = Files.walk(node.dataDir)) {
          for (Path f : files.sorted(Comparator.reverseOrder()).toList()) {
            Files.delete(f);
          }
        }
      }
    }

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
      return parameter.getParameter().getType() == TestNode.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
      return context.getStore(NAMESPACE).get(TestNode.class, TestNode.class);
    }
  }
}

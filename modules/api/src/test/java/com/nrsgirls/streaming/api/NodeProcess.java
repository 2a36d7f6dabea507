package com.nrsgirls.streaming.api;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Pattern;

/**
 * A node as operators run it: {@code Main} in its own JVM with the root application.conf, the
 * production logback.xml and the environment variables of api.md, its standard output (the log) in
 * a file. Tests kill it (SIGKILL) or stop it (SIGTERM) and start it again on the same environment.
 */
final class NodeProcess implements AutoCloseable {
  private static final Path ROOT = Path.of("").toAbsolutePath().getParent().getParent();

  final Map<String, String> env;
  final Path log;
  private final Process process;
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  private NodeProcess(Map<String, String> env, Path log, Process process) {
    this.env = env;
    this.log = log;
    this.process = process;
  }

  /** The environment of a node on free ports with its data in {@code dataDir}. */
  static Map<String, String> environment(Path dataDir) throws IOException {
    Map<String, String> env = new HashMap<>();
    env.put("NRS_DATA_DIR", dataDir.toString());
    // three sockets held open at once: ports asked for one after another can come back equal
    try (ServerSocket http = new ServerSocket(0);
        ServerSocket rtmp = new ServerSocket(0);
        ServerSocket cluster = new ServerSocket(0)) {
      env.put("NRS_HTTP_PORT", String.valueOf(http.getLocalPort()));
      env.put("NRS_RTMP_PORT", String.valueOf(rtmp.getLocalPort()));
      env.put("NRS_CLUSTER_PORT", String.valueOf(cluster.getLocalPort()));
    }
    try (java.net.DatagramSocket webrtc = new java.net.DatagramSocket(0)) {
      env.put("NRS_WEBRTC_UDP_PORT", String.valueOf(webrtc.getLocalPort()));
    }
    return env;
  }

  /** Starts {@code Main} with {@code env} (and no other NRS_ variable), logging to {@code log}. */
  static NodeProcess start(Map<String, String> env, Path log) throws IOException {
    return start(env, log, List.of());
  }

  /**
   * Starts {@code Main} as above, with {@code properties} ({@code -Dname=value}) on its command
   * line: they override its configuration.
   */
  static NodeProcess start(Map<String, String> env, Path log, List<String> properties)
      throws IOException {
    List<String> command =
        new java.util.ArrayList<>(
            List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx384m",
                "-XX:+UseSerialGC",
                "-XX:TieredStopAtLevel=1",
                "-Dconfig.file=" + ROOT.resolve("application.conf"),
                // the node's own logging, not the test classpath's logback-test.xml
                "-Dlogback.configurationFile=logback.xml"));
    command.addAll(properties);
    command.addAll(List.of("-cp", System.getProperty("java.class.path"), Main.class.getName()));
    ProcessBuilder pb =
        new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
    pb.environment().keySet().removeIf(k -> k.startsWith("NRS_"));
    pb.environment().putAll(env);
    return new NodeProcess(Map.copyOf(env), log, pb.start());
  }

  /** Waits until {@code /health/ready} answers 200; fails if the process dies first. */
  NodeProcess awaitReady(Duration timeout) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new AssertionError("the node exited " + process.exitValue() + ":\n" + logText());
      }
      try {
        if (send("GET", "/health/ready", null, null).statusCode() == 200) {
          return this;
        }
      } catch (IOException notListeningYet) {
        // the probe retries below
      }
      Thread.sleep(50); // poll interval of a probe
    }
    throw new AssertionError("the node was not ready in " + timeout + ":\n" + logText());
  }

  String rtmpUrl(String streamKey) {
    return "rtmp://127.0.0.1:" + env.get("NRS_RTMP_PORT") + "/live/" + streamKey;
  }

  Path dataDir() {
    return Path.of(env.get("NRS_DATA_DIR"));
  }

  Path mediaPlaylist(String streamId) {
    return dataDir().resolve("hls").resolve(streamId).resolve("source").resolve("index.m3u8");
  }

  HttpResponse<String> send(String method, String path, String token, String body)
      throws IOException, InterruptedException {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + env.get("NRS_HTTP_PORT") + path))
            .timeout(Duration.ofSeconds(10))
            .method(
                method,
                body == null
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(body))
            .header("Content-Type", "application/json");
    if (token != null) {
      request.header("Authorization", "Bearer " + token);
    }
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  /** Creates a stream with the operator {@code token}; returns its id and key. */
  String[] createStream(String token, String title) throws Exception {
    HttpResponse<String> r =
        send(
            "POST",
            "/api/v1/streams",
            token,
            "{\"creatorId\":\"dj\",\"creatorType\":\"DJ\",\"title\":\"" + title + "\"}");
    if (r.statusCode() != 201) {
      throw new AssertionError("creating a stream answered " + r.statusCode() + ": " + r.body());
    }
    com.fasterxml.jackson.databind.JsonNode body =
        new com.fasterxml.jackson.databind.ObjectMapper().readTree(r.body());
    return new String[] {body.get("streamId").asText(), body.get("streamKey").asText()};
  }

  String logText() throws IOException {
    return Files.exists(log) ? Files.readString(log) : "";
  }

  /** Waits until the log shows {@code pattern}; returns the whole log then. */
  String awaitLog(Pattern pattern, Duration timeout) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      String text = logText();
      if (pattern.matcher(text).find()) {
        return text;
      }
      Thread.sleep(50); // poll interval of a probe
    }
    throw new AssertionError(log + " never showed " + pattern + ":\n" + logText());
  }

  boolean alive() {
    return process.isAlive();
  }

  /** SIGKILL: no shutdown hook runs, nothing is flushed that was not already. */
  void kill() throws InterruptedException {
    process.destroyForcibly();
    if (!process.waitFor(30, TimeUnit.SECONDS)) {
      throw new AssertionError("the node survived SIGKILL");
    }
  }

  /** SIGTERM; whether the node was gone within {@code timeout}. */
  boolean terminate(Duration timeout) throws InterruptedException {
    process.destroy();
    return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  @Override
  public void close() throws InterruptedException {
    if (process.isAlive()) {
      kill();
    }
  }

  /** Polls a file the node writes until its text satisfies the condition. */
  static String awaitFile(Path file, Duration timeout, Predicate<String> ok) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    String last = null;
    while (System.nanoTime() < deadline) {
      if (Files.exists(file)) {
        last = Files.readString(file);
        if (ok.test(last)) {
          return last;
        }
      }
      Thread.sleep(50); // poll interval of a probe
    }
    throw new AssertionError(file + " never reached the expected content: " + last);
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }
}

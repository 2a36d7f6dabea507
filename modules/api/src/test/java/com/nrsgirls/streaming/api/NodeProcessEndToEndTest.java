package com.nrsgirls.streaming.api;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.nrsgirls.streaming.testkit.TestClips;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The node as operators run it: {@code Main} in its own JVM with the root application.conf and the
 * environment variables of api.md, a generated admin token printed once, and a crash (SIGKILL) in
 * the middle of a live session that the restarted node recovers from its journal.
 */
class NodeProcessEndToEndTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern TOKEN_LINE =
      Pattern.compile("Operator API token \\(generated now, kept in (.+)\\): (\\S+)");

  @TempDir Path work;
  private final HttpClient http = HttpClient.newHttpClient();

  @Test
  void aKilledNodeComesBackWithItsStreams() throws Exception {
    Path data = work.resolve("data");
    Map<String, String> env =
        Map.of(
            "NRS_DATA_DIR", data.toString(),
            "NRS_HTTP_PORT", String.valueOf(freePort()),
            "NRS_RTMP_PORT", String.valueOf(freePort()),
            "NRS_CLUSTER_PORT", String.valueOf(freePort()));
    Path clip = TestClips.flv(8, 640, 360);

    Process node = startNode(env, work.resolve("node1.log"));
    String token;
    String streamId;
    String key;
    Process publisher = null;
    try {
      String log = awaitLog(work.resolve("node1.log"), TOKEN_LINE);
      Matcher m = TOKEN_LINE.matcher(log);
      assertTrue(m.find());
      token = m.group(2);
      assertEquals(token, Files.readString(data.resolve("admin-token")).strip());
      assertEquals(1, countMatches(log, "Operator API token"), "printed once");

      JsonNode created =
          JSON.readTree(
              send(
                  env,
                  token,
                  "POST",
                  "/api/v1/streams",
                  "{\"creatorId\":\"dj-7\",\"creatorType\":\"PERFORMER\",\"title\":\"crash\"}"));
      streamId = created.get("streamId").asText();
      key = created.get("streamKey").asText();
      assertEquals(
          "rtmp://127.0.0.1:" + env.get("NRS_RTMP_PORT") + "/live",
          created.get("ingestUrl").asText());
      publisher =
          Publisher.start(clip, "rtmp://127.0.0.1:" + env.get("NRS_RTMP_PORT") + "/live/" + key, 4);
      Path playlist = data.resolve("hls").resolve(streamId).resolve("source/index.m3u8");
      awaitFile(playlist, t -> t.contains(".ts"));
      // the secret follows "live_{streamId}_" and may itself contain '_'
      String secret = key.substring(("live_" + streamId + "_").length());
      assertFalse(log.contains(secret), "no key in the log");
    } finally {
      node.destroyForcibly(); // SIGKILL: no shutdown hooks, no chance to end the session
      node.waitFor(30, TimeUnit.SECONDS);
      Publisher.kill(publisher);
    }

    Process again = startNode(env, work.resolve("node2.log"));
    try {
      String log = awaitLog(work.resolve("node2.log"), Pattern.compile("NRS node ready"));
      assertFalse(log.contains("Operator API token"), "an existing token is not printed again");
      JsonNode state = awaitIdle(env, token, streamId);
      assertEquals("crash", state.get("title").asText());
      assertEquals(
          "node restarted or stream moved", state.get("lastSession").get("endReason").asText());
      awaitFile(
          data.resolve("hls").resolve(streamId).resolve("source/index.m3u8"),
          t -> t.contains("#EXT-X-ENDLIST"));
    } finally {
      again.destroy(); // SIGTERM: a clean shutdown this time
      assertTrue(again.waitFor(60, TimeUnit.SECONDS), "the node stops on SIGTERM");
    }
  }

  private Process startNode(Map<String, String> env, Path log) throws IOException {
    Path root = Path.of("").toAbsolutePath().getParent().getParent();
    ProcessBuilder pb =
        new ProcessBuilder(
                List.of(
                    Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-Xmx512m",
                    "-Dconfig.file=" + root.resolve("application.conf"),
                    "-cp",
                    System.getProperty("java.class.path"),
                    Main.class.getName()))
            .redirectErrorStream(true)
            .redirectOutput(log.toFile());
    pb.environment().keySet().removeIf(k -> k.startsWith("NRS_"));
    pb.environment().putAll(env);
    return pb.start();
  }

  private JsonNode awaitIdle(Map<String, String> env, String token, String streamId)
      throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    JsonNode state = null;
    while (System.nanoTime() < deadline) {
      state = JSON.readTree(send(env, token, "GET", "/api/v1/streams/" + streamId, null));
      if (state.path("status").asText().equals("idle") && !state.get("lastSession").isNull()) {
        return state;
      }
      Thread.sleep(100); // poll interval of a probe
    }
    throw new AssertionError("stream never idle after restart: " + state);
  }

  private String send(
      Map<String, String> env, String token, String method, String path, String body)
      throws Exception {
    HttpRequest request =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + env.get("NRS_HTTP_PORT") + path))
            .method(
                method,
                body == null
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(body))
            .header("Authorization", "Bearer " + token)
            .header("Content-Type", "application/json")
            .build();
    return http.send(request, HttpResponse.BodyHandlers.ofString()).body();
  }

  private static String awaitLog(Path log, Pattern pattern) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (System.nanoTime() < deadline) {
      if (Files.exists(log)) {
        String text = Files.readString(log);
        if (pattern.matcher(text).find()) {
          return text;
        }
      }
      Thread.sleep(100); // poll interval of a probe
    }
    throw new AssertionError(log + " never showed " + pattern + ":\n" + Files.readString(log));
  }

  private static void awaitFile(Path file, java.util.function.Predicate<String> ok)
      throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (System.nanoTime() < deadline) {
      if (Files.exists(file) && ok.test(Files.readString(file))) {
        return;
      }
      Thread.sleep(100); // poll interval of a probe
    }
    throw new AssertionError(file + " never reached the expected content");
  }

  private static int countMatches(String text, String part) {
    return text.split(Pattern.quote(part), -1).length - 1;
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }
}

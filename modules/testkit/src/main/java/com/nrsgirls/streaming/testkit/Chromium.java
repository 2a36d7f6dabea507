package com.nrsgirls.streaming.testkit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Headless Chromium (Debian's {@code chromium} package) as a test client, driven over its DevTools
 * protocol: open a page, run JavaScript in it and read the result. Started with the flags this
 * machine needs (no sandbox as root, no background networking, which the closed network refuses),
 * fake camera and microphone for {@code getUserMedia} (a test pattern and a beep), and autoplay
 * allowed. Each instance has its own empty profile, deleted on {@link #close}.
 */
public final class Chromium implements AutoCloseable {
  private static final Path EXECUTABLE = Path.of("/usr/bin/chromium");
  private static final Pattern DEVTOOLS = Pattern.compile("DevTools listening on (ws://\\S+)");
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Process process;
  private final Path profile;
  private final WebSocket socket;
  private final List<String> output;
  private final Map<Integer, CompletableFuture<JsonNode>> pending = new ConcurrentHashMap<>();
  private final AtomicInteger ids = new AtomicInteger();

  private Chromium(
      Process process, Path profile, WebSocket.Builder builder, URI page, List<String> output) {
    this.process = process;
    this.profile = profile;
    this.output = output;
    this.socket = builder.buildAsync(page, new Listener()).join();
  }

  /** Whether Debian's Chromium is installed (bin/test installs it). */
  public static boolean installed() {
    return Files.isExecutable(EXECUTABLE);
  }

  /** Starts Chromium on an empty page; fails within 30 s if it does not come up. */
  public static Chromium start() throws IOException, InterruptedException {
    if (!installed()) {
      throw new IllegalStateException(
          EXECUTABLE + " is missing: install Debian's chromium package (bin/test does)");
    }
    Path profile = Files.createTempDirectory("nrs-chromium");
    List<String> command =
        List.of(
            EXECUTABLE.toString(),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
            "--use-fake-ui-for-media-stream",
            "--use-fake-device-for-media-stream",
            "--autoplay-policy=no-user-gesture-required",
            "--disable-features=WebRtcHideLocalIpsWithMdns",
            "--user-data-dir=" + profile,
            "--remote-debugging-address=127.0.0.1",
            "--remote-debugging-port=0",
            "about:blank");
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    // a test JVM killed by its runner leaves no browser behind
    Thread reaper =
        new Thread(
            () -> {
              process.descendants().forEach(ProcessHandle::destroyForcibly);
              process.destroyForcibly();
            },
            "chromium-reaper");
    Runtime.getRuntime().addShutdownHook(reaper);
    process.onExit().thenRun(() -> removeHook(reaper));
    List<String> lines = java.util.Collections.synchronizedList(new ArrayList<>());
    CompletableFuture<String> browserUrl = new CompletableFuture<>();
    Thread reader =
        new Thread(
            () -> {
              try (BufferedReader r =
                  new BufferedReader(
                      new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                  if (lines.size() < 5000) {
                    lines.add(line);
                  }
                  Matcher m = DEVTOOLS.matcher(line);
                  if (m.find()) {
                    browserUrl.complete(m.group(1));
                  }
                }
              } catch (IOException e) {
                // the process ended
              }
              browserUrl.completeExceptionally(
                  new IOException("chromium ended before DevTools listened: " + lines));
            },
            "chromium-output");
    reader.setDaemon(true);
    reader.start();
    try {
      URI browser = URI.create(browserUrl.get(30, TimeUnit.SECONDS));
      HttpClient http = HttpClient.newHttpClient();
      URI list = URI.create("http://" + browser.getAuthority() + "/json/list");
      URI page = null;
      long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
      while (page == null && System.nanoTime() < deadline) {
        JsonNode targets =
            JSON.readTree(
                http.send(
                        HttpRequest.newBuilder(list).build(), HttpResponse.BodyHandlers.ofString())
                    .body());
        for (JsonNode t : targets) {
          if (t.path("type").asText().equals("page")) {
            page = URI.create(t.get("webSocketDebuggerUrl").asText());
          }
        }
        if (page == null) {
          Thread.sleep(100); // poll interval: the first page appears as Chromium starts
        }
      }
      if (page == null) {
        throw new IOException("chromium opened no page: " + lines);
      }
      return new Chromium(process, profile, http.newWebSocketBuilder(), page, lines);
    } catch (Exception e) {
      process.descendants().forEach(ProcessHandle::destroyForcibly);
      process.destroyForcibly();
      deleteProfile(profile);
      if (e instanceof IOException io) {
        throw io;
      }
      throw new IOException("chromium did not start: " + e + " " + lines, e);
    }
  }

  /** Opens {@code url} in the page and waits until it has loaded. */
  public void open(String url, Duration timeout) throws Exception {
    ObjectNode params = JSON.createObjectNode().put("url", url);
    call("Page.navigate", params, timeout);
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      JsonNode state = evaluate("document.readyState + ' ' + location.href", Duration.ofSeconds(5));
      if (state.asText().equals("complete " + url)) {
        return;
      }
      Thread.sleep(50); // poll interval of a page load
    }
    throw new AssertionError("the page never loaded " + url);
  }

  /**
   * Runs {@code expression} in the page (a promise is awaited) and returns its value as JSON.
   *
   * @throws AssertionError when the script throws, with its message
   */
  public JsonNode evaluate(String expression, Duration timeout) throws Exception {
    ObjectNode params =
        JSON.createObjectNode()
            .put("expression", expression)
            .put("awaitPromise", true)
            .put("returnByValue", true);
    JsonNode result = call("Runtime.evaluate", params, timeout);
    if (result.has("exceptionDetails")) {
      JsonNode details = result.get("exceptionDetails");
      throw new AssertionError(
          "the page's script failed: "
              + details.path("exception").path("description").asText(details.toString()));
    }
    return result.path("result").path("value");
  }

  private JsonNode call(String method, ObjectNode params, Duration timeout) throws Exception {
    int id = ids.incrementAndGet();
    CompletableFuture<JsonNode> reply = new CompletableFuture<>();
    pending.put(id, reply);
    ObjectNode message = JSON.createObjectNode().put("id", id).put("method", method);
    message.set("params", params);
    socket.sendText(JSON.writeValueAsString(message), true).join();
    JsonNode answer;
    try {
      answer = reply.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } finally {
      pending.remove(id);
    }
    if (answer.has("error")) {
      throw new AssertionError(method + " failed: " + answer.get("error"));
    }
    return answer.path("result");
  }

  /**
   * Loads the tests' WebRTC client into the page ({@code webrtc-client.js}: {@code nrs.play(url)},
   * {@code nrs.publish(url, key)}, {@code nrs.stats()}, {@code nrs.stop()}).
   */
  public void loadWebRtcClient() throws Exception {
    String script;
    try (var in = Chromium.class.getResourceAsStream("webrtc-client.js")) {
      script = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    evaluate(script, Duration.ofSeconds(10));
  }

  /**
   * Loads hls.js (the WebJar on the classpath) and the tests' player around it ({@code
   * hls-client.js}: {@code nrsHls.play(masterUrl)} in low-latency mode, {@code nrsHls.stats()}).
   */
  public void loadHlsPlayer() throws Exception {
    String hlsJs;
    try (var in =
        Chromium.class.getResourceAsStream(
            "/META-INF/resources/webjars/hls.js/" + HLS_JS_VERSION + "/dist/hls.min.js")) {
      if (in == null) {
        throw new IllegalStateException("hls.js " + HLS_JS_VERSION + " is not on the classpath");
      }
      hlsJs = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    evaluate(hlsJs + "\n;true", Duration.ofSeconds(20));
    String client;
    try (var in = Chromium.class.getResourceAsStream("hls-client.js")) {
      client = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    evaluate(client, Duration.ofSeconds(10));
  }

  /** The hls.js of the testkit's WebJar dependency. */
  public static final String HLS_JS_VERSION = "1.4.12";

  /** What Chromium printed so far (for a failing test's message). */
  public List<String> output() {
    return List.copyOf(output);
  }

  private final class Listener implements WebSocket.Listener {
    private final StringBuilder text = new StringBuilder();

    @Override
    public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
      text.append(data);
      if (last) {
        String message = text.toString();
        text.setLength(0);
        try {
          JsonNode node = JSON.readTree(message);
          if (node.has("id")) {
            CompletableFuture<JsonNode> reply = pending.get(node.get("id").asInt());
            if (reply != null) {
              reply.complete(node);
            }
          }
        } catch (IOException e) {
          if (output.size() < 5000) {
            output.add("unreadable DevTools message: " + e.getMessage());
          }
        }
      }
      ws.request(1);
      return null;
    }
  }

  @Override
  public void close() {
    try {
      socket.abort();
    } finally {
      process.descendants().forEach(ProcessHandle::destroyForcibly);
      process.destroyForcibly();
      try {
        process.waitFor(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      deleteProfile(profile);
    }
  }

  private static void removeHook(Thread hook) {
    try {
      Runtime.getRuntime().removeShutdownHook(hook);
    } catch (IllegalStateException shuttingDown) {
      // the hook is running or about to
    }
  }

  private static void deleteProfile(Path profile) {
    try (Stream<Path> files = Files.walk(profile)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // a temporary directory: left for the system to clean
    }
  }
}

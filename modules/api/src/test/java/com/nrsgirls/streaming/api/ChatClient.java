package com.nrsgirls.streaming.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * A chat client over the JDK's WebSocket client: every text frame it receives, in order, and how
 * its socket closed.
 */
final class ChatClient implements AutoCloseable {
  static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  final String name;
  private final WebSocket socket;
  private final BlockingQueue<JsonNode> frames;
  final CompletableFuture<Integer> closed;

  private ChatClient(
      String name, WebSocket socket, BlockingQueue<JsonNode> frames, CompletableFuture<Integer> c) {
    this.name = name;
    this.socket = socket;
    this.frames = frames;
    this.closed = c;
  }

  /** Connects to {@code /chat/{streamId}} on the node at {@code httpPort}; token may be null. */
  static ChatClient connect(String name, int httpPort, String streamId, String token)
      throws Exception {
    BlockingQueue<JsonNode> frames = new LinkedBlockingQueue<>();
    CompletableFuture<Integer> closed = new CompletableFuture<>();
    WebSocket.Listener listener =
        new WebSocket.Listener() {
          private final StringBuilder partial = new StringBuilder();

          @Override
          public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
            partial.append(data);
            if (last) {
              try {
                frames.add(JSON.readTree(partial.toString()));
              } catch (java.io.IOException e) {
                frames.add(JSON.createObjectNode().put("type", "unparsable"));
              }
              partial.setLength(0);
            }
            ws.request(1);
            return null;
          }

          @Override
          public CompletionStage<?> onClose(WebSocket ws, int status, String reason) {
            closed.complete(status);
            return null;
          }

          @Override
          public void onError(WebSocket ws, Throwable error) {
            closed.complete(-1);
          }
        };
    String uri =
        "ws://127.0.0.1:"
            + httpPort
            + "/chat/"
            + streamId
            + (token == null ? "" : "?token=" + token);
    WebSocket ws =
        HTTP.newWebSocketBuilder()
            .connectTimeout(Duration.ofSeconds(5))
            .buildAsync(URI.create(uri), listener)
            .get(10, TimeUnit.SECONDS);
    return new ChatClient(name, ws, frames, closed);
  }

  void sendText(String raw) throws Exception {
    socket.sendText(raw, true).get(10, TimeUnit.SECONDS);
  }

  void sendBinary(byte[] raw) throws Exception {
    socket.sendBinary(java.nio.ByteBuffer.wrap(raw), true).get(10, TimeUnit.SECONDS);
  }

  void say(String text) throws Exception {
    sendText(JSON.createObjectNode().put("type", "message").put("text", text).toString());
  }

  /** The next frame that matches, skipping others; fails after {@code timeout}. */
  JsonNode await(Predicate<JsonNode> match, Duration timeout) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      long left = deadline - System.nanoTime();
      JsonNode f = left > 0 ? frames.poll(left, TimeUnit.NANOSECONDS) : null;
      if (f == null) {
        throw new AssertionError(name + ": no matching frame within " + timeout);
      }
      if (match.test(f)) {
        return f;
      }
    }
  }

  JsonNode awaitType(String type, Duration timeout) throws Exception {
    return await(f -> f.path("type").asText().equals(type), timeout);
  }

  JsonNode awaitError(String error, Duration timeout) throws Exception {
    return await(
        f -> f.path("type").asText().equals("error") && f.path("error").asText().equals(error),
        timeout);
  }

  /** The texts of the next {@code n} message frames, in order. */
  List<String> messages(int n, Duration timeout) throws Exception {
    List<String> out = new ArrayList<>();
    while (out.size() < n) {
      out.add(awaitType("message", timeout).path("text").asText());
    }
    return out;
  }

  /** The frames received and not yet taken. */
  List<JsonNode> drain() {
    List<JsonNode> out = new ArrayList<>();
    frames.drainTo(out);
    return out;
  }

  @Override
  public void close() {
    socket.abort();
  }

  /** A token issued by the operator API of {@code node}. */
  static String token(NodeProcess node, String opToken, String streamId, String user, String role)
      throws Exception {
    var r =
        node.send(
            "POST",
            "/api/v1/streams/" + streamId + "/chat-tokens",
            opToken,
            "{\"userId\":\""
                + user
                + "\",\"displayName\":\""
                + user
                + "\",\"role\":\""
                + role
                + "\"}");
    if (r.statusCode() != 201) {
      throw new AssertionError("chat token: " + r.statusCode() + " " + r.body());
    }
    return JSON.readTree(r.body()).get("token").asText();
  }
}

package com.nrsgirls.streaming.testkit;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A third-party web API (YouTube's, Twitch's, Facebook's) as its documentation answers, on
 * 127.0.0.1 (the real ones cannot be reached from here): answers queued by the test and given in
 * order, every request recorded.
 */
public final class FakeWebApi implements AutoCloseable {
  public record Request(
      String method, String pathAndQuery, Map<String, List<String>> headers, String body) {
    public String header(String name) {
      for (Map.Entry<String, List<String>> e : headers.entrySet()) {
        if (e.getKey().equalsIgnoreCase(name)) {
          return e.getValue().get(0);
        }
      }
      return null;
    }
  }

  public record Answer(int status, String body, Map<String, String> headers) {}

  private final HttpServer server;
  private final Deque<Answer> answers = new ArrayDeque<>();
  public final List<Request> requests = new CopyOnWriteArrayList<>();

  public FakeWebApi() throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/", this::handle);
    server.start();
  }

  public URI base() {
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
  }

  public synchronized FakeWebApi answer(int status, String body) {
    return answer(status, body, Map.of());
  }

  public synchronized FakeWebApi answer(int status, String body, Map<String, String> headers) {
    answers.addLast(new Answer(status, body, headers));
    return this;
  }

  private void handle(HttpExchange exchange) throws IOException {
    String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
    requests.add(
        new Request(
            exchange.getRequestMethod(),
            exchange.getRequestURI().toString(),
            Map.copyOf(exchange.getRequestHeaders()),
            body));
    Answer a;
    synchronized (this) {
      a = answers.pollFirst();
    }
    if (a == null) {
      a = new Answer(500, "{\"error\":\"the test queued no answer\"}", Map.of());
    }
    byte[] bytes = a.body().getBytes(StandardCharsets.UTF_8);
    a.headers().forEach((k, v) -> exchange.getResponseHeaders().add(k, v));
    exchange.getResponseHeaders().add("Content-Type", "application/json");
    exchange.sendResponseHeaders(a.status(), bytes.length == 0 ? -1 : bytes.length);
    if (bytes.length > 0) {
      exchange.getResponseBody().write(bytes);
    }
    exchange.close();
  }

  @Override
  public void close() {
    server.stop(0);
  }
}

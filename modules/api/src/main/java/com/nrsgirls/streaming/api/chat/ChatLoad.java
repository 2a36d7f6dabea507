package com.nrsgirls.streaming.api.chat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The chat fan-out benchmark's load (bench/chat): {@code CLIENTS} WebSocket readers in one room of
 * a running node and ten writers sending {@code RATE} messages per second in all, for each rate in
 * turn. Each message carries its send time ({@code System.nanoTime}, the same clock in every
 * process of the machine); each reader takes the delivery latency of every frame it gets. Prints
 * one line per rate: frames delivered per second, latency percentiles, frames lost, sockets closed
 * by the node, and the node's CPU if its pid is given.
 *
 * <pre>java -cp nrs-node.jar com.nrsgirls.streaming.api.chat.ChatLoad \
 *     http://127.0.0.1:18080 OPERATOR_TOKEN 1000 10,50,100,200 20 [NODE_PID]</pre>
 */
public final class ChatLoad {
  private static final Pattern SENT = Pattern.compile("\"text\":\"t(\\d+) ");
  private static final int WRITERS = 10;

  /** Latencies (µs) of one reader, per step. */
  private static final class Reader implements WebSocket.Listener {
    private final StringBuilder partial = new StringBuilder();
    volatile boolean measuring;
    long[] samples = new long[1 << 12];
    int count;
    final AtomicInteger closed;

    Reader(AtomicInteger closed) {
      this.closed = closed;
    }

    @Override
    public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
      partial.append(data);
      if (last) {
        long now = System.nanoTime();
        Matcher m = SENT.matcher(partial);
        if (measuring && m.find()) {
          long micros = (now - Long.parseLong(m.group(1))) / 1000;
          synchronized (this) {
            if (count == samples.length) {
              samples = Arrays.copyOf(samples, count * 2);
            }
            samples[count++] = micros;
          }
        }
        partial.setLength(0);
      }
      ws.request(1);
      return null;
    }

    @Override
    public CompletionStage<?> onClose(WebSocket ws, int status, String reason) {
      closed.incrementAndGet();
      return null;
    }

    @Override
    public void onError(WebSocket ws, Throwable error) {
      closed.incrementAndGet();
    }

    synchronized long[] take() {
      long[] out = Arrays.copyOf(samples, count);
      count = 0;
      return out;
    }
  }

  public static void main(String[] args) throws Exception {
    String base = args[0];
    String op = args[1];
    int clients = Integer.parseInt(args[2]);
    int[] rates = Arrays.stream(args[3].split(",")).mapToInt(Integer::parseInt).toArray();
    int seconds = Integer.parseInt(args[4]);
    Path nodeStat = args.length > 5 ? Path.of("/proc", args[5], "stat") : null;

    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    String streamId =
        field(
            post(
                http,
                base + "/api/v1/streams",
                op,
                "{\"creatorId\":\"bench\",\"creatorType\":\"DJ\",\"title\":\"chat bench\"}"),
            "streamId");
    String ws = base.replaceFirst("^http", "ws") + "/chat/" + streamId;
    AtomicInteger closed = new AtomicInteger();
    List<Reader> readers = new ArrayList<>();
    List<WebSocket> sockets = new ArrayList<>();
    for (int i = 0; i < clients; i++) {
      Reader r = new Reader(closed);
      sockets.add(
          http.newWebSocketBuilder().buildAsync(URI.create(ws), r).get(10, TimeUnit.SECONDS));
      readers.add(r);
    }
    List<WebSocket> writers = new ArrayList<>();
    for (int i = 0; i < WRITERS; i++) {
      String token =
          field(
              post(
                  http,
                  base + "/api/v1/streams/" + streamId + "/chat-tokens",
                  op,
                  "{\"userId\":\"writer" + i + "\",\"role\":\"viewer\"}"),
              "token");
      Reader sink = new Reader(closed);
      writers.add(
          http.newWebSocketBuilder()
              .buildAsync(URI.create(ws + "?token=" + token), sink)
              .get(10, TimeUnit.SECONDS));
    }
    System.out.printf(
        "clients=%d writers=%d seconds=%d stream=%s%n", clients, WRITERS, seconds, streamId);
    System.out.println(
        "rate_msgs_s frames_per_s p50_ms p90_ms p99_ms p999_ms max_ms lost closed node_cpu_s_per_s");
    ScheduledExecutorService clock = Executors.newSingleThreadScheduledExecutor();
    String filler = "x".repeat(60);
    for (int rate : rates) {
      AtomicLong sent = new AtomicLong();
      AtomicInteger next = new AtomicInteger();
      long periodNanos = 1_000_000_000L / rate;
      var task =
          clock.scheduleAtFixedRate(
              () -> {
                WebSocket w = writers.get(Math.floorMod(next.getAndIncrement(), WRITERS));
                String frame =
                    "{\"type\":\"message\",\"text\":\"t" + System.nanoTime() + " " + filler + "\"}";
                synchronized (w) {
                  w.sendText(frame, true).join();
                }
                sent.incrementAndGet();
              },
              0,
              periodNanos,
              TimeUnit.NANOSECONDS);
      Thread.sleep(3000); // warm-up at this rate, not measured
      readers.forEach(r -> r.measuring = true);
      long sentBefore = sent.get();
      double cpuBefore = cpu(nodeStat);
      long start = System.nanoTime();
      Thread.sleep(seconds * 1000L);
      long sentDuring = sent.get() - sentBefore;
      double cpuAfter = cpu(nodeStat);
      double elapsed = (System.nanoTime() - start) / 1e9;
      task.cancel(false);
      Thread.sleep(2000); // the last frames of the window arrive
      readers.forEach(r -> r.measuring = false);
      long total = 0;
      List<long[]> all = new ArrayList<>();
      for (Reader r : readers) {
        long[] s = r.take();
        total += s.length;
        all.add(s);
      }
      long[] merged = new long[(int) total];
      int at = 0;
      for (long[] s : all) {
        System.arraycopy(s, 0, merged, at, s.length);
        at += s.length;
      }
      Arrays.sort(merged);
      long expected = sentDuring * clients;
      System.out.printf(
          "%d %.0f %.1f %.1f %.1f %.1f %.1f %d %d %s%n",
          rate,
          total / elapsed,
          pct(merged, 0.50),
          pct(merged, 0.90),
          pct(merged, 0.99),
          pct(merged, 0.999),
          merged.length == 0 ? 0.0 : merged[merged.length - 1] / 1000.0,
          Math.max(0, expected - total),
          closed.get(),
          nodeStat == null ? "-" : String.format("%.2f", (cpuAfter - cpuBefore) / elapsed));
    }
    clock.shutdownNow();
    for (WebSocket s : sockets) {
      s.abort();
    }
    for (WebSocket s : writers) {
      s.abort();
    }
    System.exit(0);
  }

  private static double pct(long[] sorted, double p) {
    if (sorted.length == 0) {
      return Double.NaN;
    }
    return sorted[(int) Math.min(sorted.length - 1, Math.floor(p * sorted.length))] / 1000.0;
  }

  /** The node's CPU seconds (user + system) so far. */
  private static double cpu(Path stat) throws java.io.IOException {
    if (stat == null) {
      return 0;
    }
    String s = Files.readString(stat);
    String[] f = s.substring(s.lastIndexOf(')') + 2).split(" ");
    return (Long.parseLong(f[11]) + Long.parseLong(f[12])) / 100.0;
  }

  private static String post(HttpClient http, String url, String token, String body)
      throws Exception {
    HttpResponse<String> r =
        http.send(
            HttpRequest.newBuilder(URI.create(url))
                .header("Authorization", "Bearer " + token)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() / 100 != 2) {
      throw new IllegalStateException(url + " answered " + r.statusCode() + ": " + r.body());
    }
    return r.body();
  }

  private static String field(String json, String name) {
    Matcher m = Pattern.compile("\"" + name + "\":\"([^\"]+)\"").matcher(json);
    if (!m.find()) {
      throw new IllegalStateException("no " + name + " in " + json);
    }
    return m.group(1);
  }
}

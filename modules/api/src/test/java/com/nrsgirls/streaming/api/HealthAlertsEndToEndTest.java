package com.nrsgirls.streaming.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.nrsgirls.streaming.testkit.Ffprobe;
import com.nrsgirls.streaming.testkit.Processes;
import com.nrsgirls.streaming.testkit.TestClips;
import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A live stream's health as the state API and {@code /metrics} show it matches the encoder's
 * bitrate, fps and keyframe interval; a publisher that stops sending (SIGSTOP: its connection stays
 * open) raises the no-media alert as a persisted event and a signed webhook call, and sending again
 * (SIGCONT) clears it the same way.
 */
class HealthAlertsEndToEndTest {
  private static final String TOKEN = "health-test-operator-token-0123456789";
  private static final String SECRET = "webhook-signing-secret-0123456789";
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path work;

  /** A webhook call as the receiver got it (its query as the header "query"). */
  private record Call(Map<String, String> headers, String body) {}

  /** A receiver's handler: notes each call in {@code calls} and answers {@code status}. */
  private static com.sun.net.httpserver.HttpHandler receive(
      LinkedBlockingQueue<Call> calls, int status) {
    return exchange -> {
      String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
      Map<String, String> headers = new HashMap<>();
      exchange.getRequestHeaders().forEach((k, v) -> headers.put(k.toLowerCase(), v.get(0)));
      headers.put("query", String.valueOf(exchange.getRequestURI().getQuery()));
      calls.add(new Call(headers, body));
      exchange.sendResponseHeaders(status, -1);
      exchange.close();
    };
  }

  @Test
  void healthMatchesTheEncoderAndStarvingRaisesASignedAlert() throws Exception {
    LinkedBlockingQueue<Call> calls = new LinkedBlockingQueue<>();
    LinkedBlockingQueue<Call> streamCalls = new LinkedBlockingQueue<>();
    HttpServer receiver = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    receiver.createContext("/stream-hook", receive(streamCalls, 200));
    receiver.createContext("/hook", receive(calls, 204));
    receiver.start();
    Path clip = TestClips.flv(10, 640, 360);
    double clipKbps = payloadKbps(clip);
    Map<String, String> env = new HashMap<>(NodeProcess.environment(work.resolve("n")));
    env.put("NRS_ADMIN_TOKEN", TOKEN);
    env.put(
        "NRS_ALERT_WEBHOOK_URLS", "http://127.0.0.1:" + receiver.getAddress().getPort() + "/hook");
    env.put("NRS_ALERT_WEBHOOK_SECRET", SECRET);
    Process publisher = null;
    try (NodeProcess node =
        NodeProcess.start(
                env,
                work.resolve("node.log"),
                List.of(
                    "-Dnrs.streaming.pipeline.abr.enabled=off",
                    // the clip is light; only starving should raise anything here
                    "-Dnrs.streaming.pipeline.alerts.min-bitrate-kbps=" + (long) (clipKbps / 4)))
            .awaitReady(Duration.ofSeconds(90))) {
      String[] stream = node.createStream(TOKEN, "health");
      String id = stream[0];
      publisher = Publisher.start(clip, node.rtmpUrl(stream[1]), 30);

      // two 5 s windows back to back cover the 10 s clip once: their mean is the clip's bitrate
      JsonNode first = awaitHealth(node, id, h -> h.get("videoFrames").asLong() >= 30 * 12);
      JsonNode second =
          awaitHealth(
              node,
              id,
              h ->
                  Duration.between(
                              java.time.Instant.parse(first.get("measuredAt").asText()),
                              java.time.Instant.parse(h.get("measuredAt").asText()))
                          .toMillis()
                      >= 5000);
      double kbps =
          (first.get("bitrateKbps").asDouble() + second.get("bitrateKbps").asDouble()) / 2;
      System.out.printf(
          "health: clip %.0f kbit/s, measured %.0f kbit/s (%s, %s); fps %s; keyframes %s ms;"
              + " A/V drift %s ms; ingest lag %s ms; segment latency %s ms%n",
          clipKbps,
          kbps,
          first.get("bitrateKbps"),
          second.get("bitrateKbps"),
          second.get("fps"),
          second.get("keyframeIntervalMillis"),
          second.get("avDriftMillis"),
          second.get("ingestLagMillis"),
          second.get("segmentLatencyMillis"));
      assertWithin(clipKbps, kbps, 0.10, "state API bitrate");
      assertWithin(
          clipKbps,
          second.get("videoBitrateKbps").asDouble() + second.get("audioBitrateKbps").asDouble(),
          0.15,
          "video and audio add up");
      assertWithin(30, second.get("fps").asDouble(), 0.05, "fps");
      assertEquals(2000, second.get("keyframeIntervalMillis").asLong(), "keyframe interval");
      assertTrue(Math.abs(second.get("avDriftMillis").asLong()) < 200, second.toString());
      assertTrue(second.get("mediaGapMillis").asLong() <= 1500, second.toString());
      assertTrue(second.get("segmentLatencyMillis").asLong() >= 0, second.toString());

      String metrics = node.send("GET", "/metrics", null, null).body();
      double bits =
          metric(metrics, "nrs_stream_ingest_bits_per_second", "stream_id=\"" + id + "\"", "all");
      assertWithin(clipKbps * 1000, bits, 0.15, "/metrics bitrate");
      assertWithin(
          30,
          metric(metrics, "nrs_stream_video_fps", "stream_id=\"" + id + "\""),
          0.05,
          "/metrics fps");
      assertEquals(
          2.0,
          metric(metrics, "nrs_stream_keyframe_interval_seconds", "stream_id=\"" + id + "\""),
          "/metrics keyframe interval");
      assertTrue(calls.isEmpty(), "a healthy stream raises nothing: " + calls);

      // starve it: the connection stays open, nothing comes
      signal(publisher, "STOP");
      Call raised = awaitCall(calls, "alert.raised");
      JsonNode raisedBody = verified(raised);
      assertEquals(id, raisedBody.get("streamId").asText());
      assertEquals("no-media", raisedBody.get("alert").asText());
      assertEquals(5000.0, raisedBody.get("threshold").asDouble());
      JsonNode state = state(node, id);
      assertEquals("no-media", state.get("alerts").get(0).get("alert").asText(), state.toString());

      signal(publisher, "CONT");
      Call cleared = awaitCall(calls, "alert.cleared");
      JsonNode clearedBody = verified(cleared);
      assertEquals("no-media", clearedBody.get("alert").asText());
      assertEquals("recovered", clearedBody.get("reason").asText());
      assertEquals(0, state(node, id).get("alerts").size(), "cleared in the state");

      JsonNode events =
          JSON.readTree(node.send("GET", "/api/v1/streams/" + id + "/events", TOKEN, null).body());
      List<String> types = new java.util.ArrayList<>();
      events.forEach(e -> types.add(e.get("type").asText()));
      assertTrue(
          types.indexOf("AlertRaised") >= 0
              && types.indexOf("AlertCleared") > types.indexOf("AlertRaised"),
          types.toString());
      assertFalse(
          cleared.headers().get("x-nrs-event-id").equals(raised.headers().get("x-nrs-event-id")));
      Publisher.kill(publisher);

      // OBS at its defaults: x264's own keyframe interval, 8.3 s; the alert ends with the session.
      // The stream has a webhook of its own too, with a credential in its query.
      String[] obs = node.createStream(TOKEN, "health");
      String own =
          "http://127.0.0.1:" + receiver.getAddress().getPort() + "/stream-hook?token=own-s3cret";
      assertEquals(
          204,
          node.send(
                  "PUT",
                  "/api/v1/streams/" + obs[0] + "/alert-webhooks",
                  TOKEN,
                  "{\"urls\":[\"" + own + "\"]}")
              .statusCode());
      HttpResponse<String> refused =
          node.send(
              "PUT",
              "/api/v1/streams/" + obs[0] + "/alert-webhooks",
              TOKEN,
              "{\"urls\":[\"ftp://127.0.0.1/x?token=leak\"]}");
      assertEquals(400, refused.statusCode(), refused.body());
      assertFalse(refused.body().contains("leak"), "the URL is not echoed: " + refused.body());
      String history =
          node.send("GET", "/api/v1/streams/" + obs[0] + "/events", TOKEN, null).body();
      assertTrue(history.contains("AlertWebhooksSet"), history);
      assertFalse(history.contains("own-s3cret"), "no query in the events API: " + history);
      publisher =
          Publisher.start(
              TestClips.flv(TestClips.Encoding.OBS_AUTO_KEYFRAMES, 20, 640, 360),
              node.rtmpUrl(obs[1]),
              3);
      Call longGop = awaitCall(calls, "alert.raised");
      JsonNode longGopBody = verified(longGop);
      assertEquals(obs[0], longGopBody.get("streamId").asText());
      assertEquals("long-keyframe-interval", longGopBody.get("alert").asText());
      assertTrue(longGopBody.get("detail").asText().contains("8.3 s"), longGop.body());
      Call ownCall = streamCalls.poll(30, TimeUnit.SECONDS);
      assertTrue(ownCall != null, "the stream's own webhook was called too");
      assertEquals(longGop.body(), ownCall.body(), "the same call");
      assertEquals("token=own-s3cret", ownCall.headers().get("query"), "its URL as set");
      verified(ownCall);
      Publisher.kill(publisher);
      JsonNode ended = verified(awaitCall(calls, "alert.cleared"));
      assertEquals("long-keyframe-interval", ended.get("alert").asText());
      assertEquals("session ended", ended.get("reason").asText());
    } finally {
      if (publisher != null && publisher.isAlive()) {
        signal(publisher, "CONT");
        Publisher.kill(publisher);
      }
      receiver.stop(0);
    }
  }

  /** The clip's audio and video payload over its duration, as ffprobe reads the file. */
  private static double payloadKbps(Path clip) throws Exception {
    Processes.Result sizes =
        Ffprobe.run(clip.toString(), "-show_entries", "packet=size", "-of", "csv=p=0");
    long bytes = 0;
    for (String line : sizes.stdout().split("\n")) {
      if (!line.isBlank()) {
        bytes += Long.parseLong(line.strip().replace(",", ""));
      }
    }
    Processes.Result duration =
        Ffprobe.run(clip.toString(), "-show_entries", "format=duration", "-of", "csv=p=0");
    return bytes * 8 / 1000.0 / Double.parseDouble(duration.stdout().strip());
  }

  private static void assertWithin(double expected, double actual, double share, String what) {
    assertTrue(
        Math.abs(actual - expected) <= expected * share,
        what + ": " + actual + " is not within " + (share * 100) + " % of " + expected);
  }

  /** A sample's value from the Prometheus text: the series with all of {@code labels}. */
  private static double metric(String text, String name, String... labels) {
    for (String line : text.split("\n")) {
      if (!line.startsWith(name + "{")) {
        continue;
      }
      String series = line.substring(0, line.lastIndexOf(' '));
      boolean all = true;
      for (String label : labels) {
        all &= label.contains("=") ? series.contains(label) : series.contains("\"" + label + "\"");
      }
      if (all) {
        return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
      }
    }
    throw new AssertionError("no " + name + " " + List.of(labels) + " in /metrics:\n" + text);
  }

  private static void signal(Process p, String signal) throws Exception {
    Processes.Result r =
        Processes.run(
            List.of("kill", "-" + signal, String.valueOf(p.pid())), Duration.ofSeconds(10));
    assertEquals(0, r.exitCode(), r.stderr());
  }

  private static Call awaitCall(LinkedBlockingQueue<Call> calls, String type) throws Exception {
    Call call = calls.poll(30, TimeUnit.SECONDS);
    if (call == null) {
      throw new AssertionError("no " + type + " webhook call within 30 s");
    }
    assertEquals(type, call.headers().get("x-nrs-event-type"), call.body());
    return call;
  }

  /** Checks the call's signature as a receiver would; returns its body. */
  private static JsonNode verified(Call call) throws Exception {
    Matcher m =
        Pattern.compile("t=(\\d+),v1=([0-9a-f]{64})")
            .matcher(call.headers().get("x-nrs-signature"));
    assertTrue(m.matches(), call.headers().toString());
    long timestamp = Long.parseLong(m.group(1));
    assertTrue(Math.abs(System.currentTimeMillis() / 1000 - timestamp) < 60, "a fresh timestamp");
    javax.crypto.Mac mac = javax.crypto.Mac.getInstance("HmacSHA256");
    mac.init(
        new javax.crypto.spec.SecretKeySpec(SECRET.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
    mac.update((timestamp + ".").getBytes(StandardCharsets.UTF_8));
    String expected =
        java.util.HexFormat.of()
            .formatHex(mac.doFinal(call.body().getBytes(StandardCharsets.UTF_8)));
    assertEquals(expected, m.group(2), "signature");
    JsonNode body = JSON.readTree(call.body());
    assertEquals(call.headers().get("x-nrs-event-id"), body.get("id").asText());
    return body;
  }

  private static JsonNode state(NodeProcess node, String id) throws Exception {
    HttpResponse<String> r = node.send("GET", "/api/v1/streams/" + id, TOKEN, null);
    assertEquals(200, r.statusCode(), r.body());
    return JSON.readTree(r.body());
  }

  private static JsonNode awaitHealth(NodeProcess node, String id, Predicate<JsonNode> ok)
      throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    JsonNode last = null;
    do {
      last = state(node, id).get("health");
      if (last != null && !last.isNull() && ok.test(last)) {
        return last;
      }
      Thread.sleep(200); // poll interval of a probe
    } while (System.nanoTime() < deadline);
    throw new AssertionError("the health never became as expected: " + last);
  }
}

package com.nrsgirls.streaming.api;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.nrsgirls.streaming.testkit.TestClips;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Clients that send their request a byte at a time (slowloris) from one address: they get a bounded
 * number of connections (the rest are closed at once), each is closed when its request head is not
 * in within the header deadline, and all the while playback answers everyone else within a second.
 * A body that stops arriving is answered 408 and its connection closed.
 */
class SlowClientsEndToEndTest {
  // Accepting a connection costs the server a few ms (pekko-http's layer): all 300 are in well
  // before the first header deadline, so exactly those over the address's limit are refused.
  private static final Duration HEADER_TIMEOUT = Duration.ofSeconds(4);
  private static final int SLOW_CLIENTS = 300;
  private static final int PER_ADDRESS = 100;

  @TempDir Path dataDir;

  private TestNode start() throws Exception {
    return TestNode.start(
        dataDir,
        "nrs.streaming.api.request-header-timeout = "
            + HEADER_TIMEOUT.toSeconds()
            + "s\n"
            + "nrs.streaming.api.request-body-timeout = 2s\n"
            + "nrs.streaming.api.max-connections-per-address = "
            + PER_ADDRESS
            + "\n");
  }

  @Test
  void slowHeadersHoldNoConnectionForLongAndDelayNobody() throws Exception {
    try (TestNode node = start()) {
      JsonNode created = node.createStream("slowloris");
      String streamId = created.get("streamId").asText();
      node.publishOnce(TestClips.flv(3, 320, 180), created.get("streamKey").asText(), streamId);
      String playlist = "/live/" + streamId + "/source/index.m3u8";
      int port = node.node.httpAddress().getPort();

      // The attacker: another loopback address than the viewers', one header byte at a time.
      List<Socket> slow = new ArrayList<>();
      AtomicBoolean trickling = new AtomicBoolean(true);
      Thread trickle =
          new Thread(
              () -> {
                while (trickling.get()) {
                  for (Socket s : slow) {
                    try {
                      s.getOutputStream().write('a');
                    } catch (IOException closedByServer) {
                      // expected sooner or later
                    }
                  }
                  try {
                    Thread.sleep(500); // the attacker's pace, one byte per half second
                  } catch (InterruptedException e) {
                    return;
                  }
                }
              });
      try {
        for (int i = 0; i < SLOW_CLIENTS; i++) {
          Socket s = new Socket();
          s.bind(new InetSocketAddress("127.0.0.2", 0));
          s.connect(new InetSocketAddress("127.0.0.1", port), 5000);
          OutputStream out = s.getOutputStream();
          out.write(
              ("GET " + playlist + " HTTP/1.1\r\nHost: x\r\nX-Slow: ")
                  .getBytes(StandardCharsets.US_ASCII));
          out.flush();
          slow.add(s);
        }
        trickle.start();

        long started = System.nanoTime();
        long worst = 0;
        while (System.nanoTime() - started < HEADER_TIMEOUT.toNanos()) {
          long t = System.nanoTime();
          HttpResponse<String> r = node.get(playlist, false);
          worst = Math.max(worst, System.nanoTime() - t);
          assertEquals(200, r.statusCode());
          assertTrue(r.body().contains("#EXTINF"), r.body());
        }
        assertTrue(
            Duration.ofNanos(worst).compareTo(Duration.ofSeconds(1)) < 0,
            "a viewer waited " + Duration.ofNanos(worst).toMillis() + " ms");

        for (Socket s : slow) {
          Duration closedAfter = RawHttp.awaitClosed(s, HEADER_TIMEOUT.plusSeconds(5));
          assertTrue(closedAfter.compareTo(HEADER_TIMEOUT.plusSeconds(5)) < 0);
        }
      } finally {
        trickling.set(false);
        trickle.join();
        for (Socket s : slow) {
          s.close();
        }
      }
      String metrics = node.get("/metrics", false).body();
      assertTrue(
          counter(metrics, "header-timeout") >= PER_ADDRESS,
          "closed at the header deadline: " + counter(metrics, "header-timeout"));
      assertEquals(
          SLOW_CLIENTS - PER_ADDRESS,
          counter(metrics, "too-many-connections-from-address"),
          "closed at once: over the address's limit\n" + metrics);
      assertEquals(200, node.get(playlist, false).statusCode(), "and viewers still play");
    }
  }

  @Test
  void aBodyThatStopsArrivingIsAnsweredAndClosed() throws Exception {
    try (TestNode node = start();
        Socket s = new Socket("127.0.0.1", node.node.httpAddress().getPort())) {
      s.getOutputStream()
          .write(
              ("POST /api/v1/streams HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
                      + TestNode.TOKEN
                      + "\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n"
                      + "{\"creatorId\":")
                  .getBytes(StandardCharsets.US_ASCII));
      s.setSoTimeout(10_000);
      RawHttp.Response r = RawHttp.read(s.getInputStream());
      assertEquals(408, r.status(), r.body());
      assertTrue(r.body().contains("\"error\":\"request_timeout\""), r.body());
      RawHttp.awaitClosed(s, Duration.ofSeconds(5));
    }
  }

  private static long counter(String metrics, String reason) {
    Matcher m =
        Pattern.compile("nrs_http_connections_closed_total\\{reason=\"" + reason + "\"} ([0-9.E]+)")
            .matcher(metrics);
    return m.find() ? (long) Double.parseDouble(m.group(1)) : 0;
  }
}

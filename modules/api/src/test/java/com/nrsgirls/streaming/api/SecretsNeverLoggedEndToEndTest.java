package com.nrsgirls.streaming.api;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.nrsgirls.streaming.testkit.TestClips;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The node as operators run it, with its own logging, attacked with every place a client can put a
 * secret: an operator token outside the bearer syntax (pekko-http cannot parse such a header into
 * its model, and by default logs it), malformed and oversized headers and request lines holding the
 * token, request bodies holding a stream key, RTMP publishes with a right and a wrong key. Not one
 * log line may hold the token or a key's secret.
 */
class SecretsNeverLoggedEndToEndTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration TIMEOUT = Duration.ofSeconds(10);

  @TempDir Path work;

  @Test
  void noTokenOrKeyReachesTheLogWhateverClientsSend() throws Exception {
    // '{', '}' and '!' are outside token68: the Authorization header does not parse as Bearer.
    String unique = Long.toHexString(System.nanoTime());
    String token = "op{" + unique + "}!tok";
    Map<String, String> env = NodeProcess.environment(work.resolve("data"));
    env.put("NRS_ADMIN_TOKEN", token);
    String webhookSecret = "hook-" + unique + "-signing";
    env.put("NRS_ALERT_WEBHOOK_URLS", "http://127.0.0.1:9/hook");
    env.put("NRS_ALERT_WEBHOOK_SECRET", webhookSecret);
    // the token's unique part too: an escaped or cut copy of the token would still hold it
    List<String> secrets = new ArrayList<>(List.of(token, unique, webhookSecret));
    String[] restreamSecretHolder = new String[1];
    try (NodeProcess node =
        NodeProcess.start(env, work.resolve("node.log")).awaitReady(Duration.ofSeconds(60))) {
      JsonNode created =
          JSON.readTree(
              node.send(
                      "POST",
                      "/api/v1/streams",
                      token,
                      "{\"creatorId\":\"dj-9\",\"creatorType\":\"DJ\",\"title\":\"secrets\"}")
                  .body());
      String streamId = created.get("streamId").asText();
      String key = created.get("streamKey").asText();
      String secret = key.substring(("live_" + streamId + "_").length());
      secrets.add(secret);
      assertEquals(200, node.send("GET", "/api/v1/streams/" + streamId, token, null).statusCode());
      // a body holding the key
      assertEquals(
          201,
          node.send(
                  "POST",
                  "/api/v1/streams",
                  token,
                  "{\"creatorId\":\"dj-9\",\"creatorType\":\"DJ\",\"title\":\"" + key + "\"}")
              .statusCode());

      InetSocketAddress http =
          new InetSocketAddress("127.0.0.1", Integer.parseInt(env.get("NRS_HTTP_PORT")));
      String playlist = "/live/" + streamId + "/index.m3u8";
      for (String header :
          List.of(
              "Authorization: Bearer " + token + ", foo=bar",
              "Authorization: " + token,
              "Authorization: Basic " + token,
              "Cookie: session=" + token + "; ;;==",
              "If-None-Match: " + token,
              "If-Modified-Since: " + token,
              "Range: " + token,
              "Content-Type: " + token,
              "Accept: " + token + "/;;",
              "Origin: " + token,
              "X-Forwarded-For: " + token)) {
        for (String path : List.of("/api/v1/streams", playlist)) {
          send(http, "GET " + path + " HTTP/1.1\r\nHost: x\r\n" + header + "\r\n");
        }
      }
      send(http, "GET /api/v1/streams?token=" + token + " HTTP/1.1\r\nHost: x\r\n");
      send(http, "GET /" + token + "x".repeat(10_000) + " HTTP/1.1\r\nHost: x\r\n");
      send(http, "GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + token + "y".repeat(20_000) + "\r\n");
      send(http, "GET / HTTP/1.1\r\nHost: x\r\n" + token + "\r\n");
      send(http, token + " " + token + " " + token + "\r\n");
      send(http, "GET / HTTP/1.1\r\nHost: " + token + "\r\n");

      // a restream target's key: refused by the server it is pushed to (our own ingest, which
      // does not know it), and sent in a bad request
      String restreamSecret = "RS" + Long.toHexString(System.nanoTime()) + "targetkey";
      restreamSecretHolder[0] = restreamSecret;
      secrets.add(restreamSecret);
      String refusedKey = "live_" + streamId + "_" + restreamSecret;
      String targets = "/api/v1/streams/" + streamId + "/restream-targets/";
      assertEquals(
          200,
          node.send(
                  "PUT",
                  targets + "refused",
                  token,
                  "{\"platform\":\"custom\",\"url\":\""
                      + node.rtmpUrl("").replaceAll("/$", "")
                      + "\",\"streamKey\":\""
                      + refusedKey
                      + "\"}")
              .statusCode());
      HttpResponse<String> bad =
          node.send(
              "PUT",
              targets + "bad",
              token,
              "{\"platform\":\"nope\",\"streamKey\":\"" + restreamSecret + "\"}");
      assertEquals(400, bad.statusCode());
      assertFalse(bad.body().contains(restreamSecret), bad.body());

      // RTMP: the right key, then a wrong one for the same stream
      Path clip = TestClips.flv(2, 320, 180);
      Publisher.await(Publisher.start(clip, node.rtmpUrl(key), 1), 30);
      String wrongSecret = "WRONG" + Long.toHexString(System.nanoTime()) + "secret";
      secrets.add(wrongSecret);
      Publisher.await(
          Publisher.start(clip, node.rtmpUrl("live_" + streamId + "_" + wrongSecret), 1), 30);
      node.awaitLog(
          java.util.regex.Pattern.compile("RTMP publish rejected from \\S+ stream " + streamId),
          TIMEOUT);

      node.awaitLog(
          java.util.regex.Pattern.compile("restream to refused failed: publish refused"), TIMEOUT);
      String log = node.logText();
      for (String s : secrets) {
        for (String line : log.lines().toList()) {
          assertFalse(line.contains(s), "a secret in the log: " + line);
        }
      }
      assertTrue(log.contains("RTMP publish accepted"), "the publishes did reach the node");
    }
    // at rest: the journal holds the restream key sealed, never in plain text
    for (Path file : java.nio.file.Files.walk(work.resolve("data")).toList()) {
      if (java.nio.file.Files.isRegularFile(file)) {
        String bytes =
            new String(
                java.nio.file.Files.readAllBytes(file),
                java.nio.charset.StandardCharsets.ISO_8859_1);
        assertFalse(bytes.contains(restreamSecretHolder[0]), "the restream key in " + file);
      }
    }
  }

  /** Sends one request (headers closed by the caller's CRLF) and reads the answer, if any. */
  private static void send(InetSocketAddress http, String head) {
    try {
      RawHttp.exchange(http, head + "Connection: close\r\n\r\n", TIMEOUT);
    } catch (IOException closedWithoutAnswer) {
      // some of these the server may just close; the log is what matters
    }
  }
}

package com.nrsgirls.streaming.api;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.InetSocketAddress;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Every error the HTTP server answers, the API's own and the framework's, is JSON {@code {error,
 * message}} with the right status, and tells nothing about the server's insides.
 */
@ExtendWith(TestNode.PerClass.class)
class HttpErrorsEndToEndTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration TIMEOUT = Duration.ofSeconds(10);

  /** Asserts a JSON error of {@code status} with the two fields and nothing internal in it. */
  private static JsonNode assertJsonError(int status, int actual, String contentType, String body)
      throws Exception {
    assertEquals(status, actual, body);
    assertNotNull(contentType, "a content type");
    assertTrue(contentType.startsWith("application/json"), contentType + ": " + body);
    JsonNode error = JSON.readTree(body);
    assertTrue(error.path("error").isTextual(), body);
    assertTrue(error.path("message").isTextual(), body);
    for (String internal :
        List.of("pekko", "Exception", "exception", "at com.", "max-content-length", "Source:")) {
      assertFalse(body.contains(internal), "no internal detail (" + internal + "): " + body);
    }
    return error;
  }

  private static JsonNode assertJsonError(int status, HttpResponse<String> r) throws Exception {
    return assertJsonError(
        status, r.statusCode(), r.headers().firstValue("content-type").orElse(null), r.body());
  }

  private static JsonNode assertJsonError(int status, RawHttp.Response r) throws Exception {
    return assertJsonError(status, r.status(), r.header("content-type"), r.body());
  }

  private static InetSocketAddress http(TestNode node) {
    return new InetSocketAddress("127.0.0.1", node.node.httpAddress().getPort());
  }

  @Test
  void aNullBodyIsABadRequest(TestNode node) throws Exception {
    assertJsonError(400, node.send("POST", "/api/v1/streams", "null"));
  }

  @Test
  void textThatIsNotUnicodeOrHasControlCharactersIsABadRequestAtOnce(TestNode node)
      throws Exception {
    for (String creatorId : List.of("\\ud800", "dj\\n2026-11-30 ERROR forged", "nul\\u0000")) {
      long start = System.nanoTime();
      HttpResponse<String> r =
          node.send(
              "POST",
              "/api/v1/streams",
              "{\"creatorId\":\"" + creatorId + "\",\"creatorType\":\"DJ\",\"title\":\"t\"}");
      assertJsonError(400, r);
      assertTrue(
          Duration.ofNanos(System.nanoTime() - start).compareTo(Duration.ofSeconds(2)) < 0,
          "refused before the journal sees it");
    }
    assertJsonError(
        400,
        node.send(
            "POST",
            "/api/v1/streams",
            "{\"creatorId\":\"dj\",\"creatorType\":\"DJ\",\"title\":\"\\udc00\"}"));
  }

  @Test
  void numbersAndBooleansAreNotText(TestNode node) throws Exception {
    for (String creatorId : List.of("42", "4.2", "true")) {
      assertJsonError(
          400,
          node.send(
              "POST",
              "/api/v1/streams",
              "{\"creatorId\":" + creatorId + ",\"creatorType\":\"DJ\",\"title\":\"t\"}"));
    }
  }

  @Test
  void malformedJsonIsNotEchoed(TestNode node) throws Exception {
    JsonNode error =
        assertJsonError(400, node.send("POST", "/api/v1/streams", "{\"creatorId\": SECRETISH"));
    assertFalse(error.toString().contains("SECRETISH"), error.toString());
  }

  @Test
  void theFrameworksOwnRejectionsAreJson(TestNode node) throws Exception {
    assertJsonError(404, node.get("/no/such/route", false));
    assertJsonError(404, node.get("/api/v1/nothing-here", true));
    assertJsonError(405, node.send("DELETE", "/api/v1/streams", null));
    // the token check comes first: without it, a 401 (JSON too)
    assertJsonError(401, node.get("/api/v1/streams", false));

    RawHttp.Response textBody =
        RawHttp.exchange(
            http(node),
            "POST /api/v1/streams HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
                + TestNode.TOKEN
                + "\r\nContent-Type: text/plain\r\nContent-Length: 2\r\nConnection: close\r\n\r\nhi",
            TIMEOUT);
    assertJsonError(415, textBody);
  }

  @Test
  void oversizedRequestsAreJsonAndNameNoSetting(TestNode node) throws Exception {
    // a declared body over the limit
    RawHttp.Response declared =
        RawHttp.exchange(
            http(node),
            "POST /api/v1/streams HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
                + TestNode.TOKEN
                + "\r\nContent-Type: application/json\r\n"
                + "Content-Length: 5000000\r\nConnection: close\r\n\r\n{",
            TIMEOUT);
    assertJsonError(413, declared);
    // a chunked body that grows over the limit (found while streaming)
    StringBuilder chunked =
        new StringBuilder(
            "POST /api/v1/streams HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
                + TestNode.TOKEN
                + "\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n"
                + "Connection: close\r\n\r\n");
    String piece = "x".repeat(65_536);
    for (int i = 0; i < 20; i++) {
      chunked
          .append(Integer.toHexString(piece.length()))
          .append("\r\n")
          .append(piece)
          .append("\r\n");
    }
    chunked.append("0\r\n\r\n");
    assertJsonError(413, RawHttp.exchange(http(node), chunked.toString(), TIMEOUT));

    String longUri = "/live/" + "a".repeat(10_000) + "/index.m3u8";
    assertJsonError(
        414,
        RawHttp.exchange(
            http(node),
            "GET " + longUri + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
            TIMEOUT));
    assertJsonError(
        431,
        RawHttp.exchange(
            http(node),
            "GET /health/alive HTTP/1.1\r\nHost: x\r\nX-Big: "
                + "b".repeat(20_000)
                + "\r\nConnection: close\r\n\r\n",
            TIMEOUT));
    assertJsonError(501, RawHttp.exchange(http(node), "THIS IS NOT HTTP\r\n\r\n", TIMEOUT));
    assertJsonError(
        400,
        RawHttp.exchange(
            http(node), "GET /health/alive HTTP/1.1\r\nno colon here\r\n\r\n", TIMEOUT));
  }

  @Test
  void aSecondRevokeRecordsNothing(TestNode node) throws Exception {
    String streamId = node.createStream("revoked twice").get("streamId").asText();
    assertEquals(
        204, node.send("DELETE", "/api/v1/streams/" + streamId + "/key", null).statusCode());
    assertEquals(
        204, node.send("DELETE", "/api/v1/streams/" + streamId + "/key", null).statusCode());
    assertEquals(List.of("StreamCreated", "KeyRevoked"), node.eventTypes(streamId));
  }
}

package com.nrsgirls.streaming.api;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.nrsgirls.streaming.testkit.Processes;
import com.nrsgirls.streaming.testkit.TestClips;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Playback HTTP as CDNs and players use it, checked with curl on a stream that has ended (so its
 * files no longer change): HEAD, a single byte range (206, and 416 outside the file), and
 * revalidation with {@code If-None-Match} and {@code If-Modified-Since} (304), on segments (read
 * from disk) and playlists (from memory).
 */
@ExtendWith(TestNode.PerClass.class)
class PlaybackHttpEndToEndTest {
  private static String streamId;

  @BeforeAll
  static void publishAndEnd(TestNode node) throws Exception {
    JsonNode created = node.createStream("playback http");
    streamId = created.get("streamId").asText();
    node.publishOnce(TestClips.flv(5, 640, 360), created.get("streamKey").asText(), streamId);
    node.awaitFile(
        node.mediaPlaylist(streamId), Duration.ofSeconds(10), t -> t.contains("#EXT-X-ENDLIST"));
  }

  /** curl's answer: status, headers by lower-case name, body length. */
  private record Curl(int status, Map<String, String> headers, long bodyBytes) {}

  private static Curl curl(String url, String... options) throws Exception {
    Path headers = Files.createTempFile("curl-headers", ".txt");
    try {
      List<String> command = new ArrayList<>(List.of("curl", "-sS", "-D", headers.toString()));
      command.addAll(List.of(options));
      command.addAll(List.of("-o", "/dev/null", "-w", "%{http_code} %{size_download}", url));
      Processes.Result r = Processes.run(command, Duration.ofSeconds(20));
      assertEquals(0, r.exitCode(), r.stderr());
      String[] out = r.stdout().strip().split(" ");
      Map<String, String> parsed = new LinkedHashMap<>();
      for (String line : Files.readAllLines(headers)) {
        int colon = line.indexOf(':');
        if (colon > 0) {
          parsed.put(
              line.substring(0, colon).strip().toLowerCase(Locale.ROOT),
              line.substring(colon + 1).strip());
        }
      }
      return new Curl(Integer.parseInt(out[0]), parsed, Long.parseLong(out[1]));
    } finally {
      Files.deleteIfExists(headers);
    }
  }

  private static String firstSegment(TestNode node) throws Exception {
    return Files.readAllLines(node.mediaPlaylist(streamId)).stream()
        .filter(l -> l.endsWith(".ts"))
        .findFirst()
        .orElseThrow();
  }

  @Test
  void segmentsAnswerHeadRangesAndRevalidation(TestNode node) throws Exception {
    String url = node.httpUrl("/live/" + streamId + "/source/" + firstSegment(node));
    checkFile(url, 188 * 10, true);
  }

  @Test
  void playlistsAnswerHeadRangesAndRevalidation(TestNode node) throws Exception {
    checkFile(node.httpUrl("/live/" + streamId + "/source/index.m3u8"), 20, false);
  }

  /**
   * The master playlist is each viewer's own: a new session id on every media playlist URL, and no
   * cache may keep it (validators would only serve one viewer's id to another).
   */
  @Test
  void masterPlaylistHandsEachViewerASession(TestNode node) throws Exception {
    String url = node.httpUrl("/live/" + streamId + "/index.m3u8");
    java.util.Set<String> sessions = new java.util.HashSet<>();
    for (int i = 0; i < 2; i++) {
      Curl get = curl(url);
      assertEquals(200, get.status());
      assertEquals(
          "no-store, private", get.headers().get("cache-control"), get.headers().toString());
      assertEquals(null, get.headers().get("etag"), "no validator for a per-viewer answer");
      String body =
          new String(
              java.net.http.HttpClient.newHttpClient()
                  .send(
                      java.net.http.HttpRequest.newBuilder(java.net.URI.create(url)).build(),
                      java.net.http.HttpResponse.BodyHandlers.ofString())
                  .body()
                  .getBytes());
      java.util.regex.Matcher m =
          java.util.regex.Pattern.compile(
                  "^source/ll\\.m3u8\\?vs=([a-z0-9]{16})$", java.util.regex.Pattern.MULTILINE)
              .matcher(body);
      assertTrue(m.find(), body);
      sessions.add(m.group(1));
    }
    assertEquals(2, sessions.size(), "each request a session of its own");
    Curl head = curl(url, "-I");
    assertEquals(200, head.status());
    assertEquals(0, head.bodyBytes());
  }

  /**
   * @param dated whether the file carries {@code Last-Modified} (segments; playlists change faster
   *     than its one-second resolution)
   */
  private static void checkFile(String url, int rangeLength, boolean dated) throws Exception {
    Curl get = curl(url);
    assertEquals(200, get.status());
    long size = get.bodyBytes();
    assertTrue(size > rangeLength, url + " has " + size + " bytes");
    String etag = get.headers().get("etag");
    String lastModified = get.headers().get("last-modified");
    assertNotNull(etag, "ETag: " + get.headers());
    assertEquals(dated, lastModified != null, "Last-Modified: " + get.headers());

    Curl head = curl(url, "-I");
    assertEquals(200, head.status());
    assertEquals(0, head.bodyBytes(), "HEAD has no body");
    assertEquals(String.valueOf(size), head.headers().get("content-length"));
    assertEquals(etag, head.headers().get("etag"));

    Curl range = curl(url, "-H", "Range: bytes=10-" + (10 + rangeLength - 1));
    assertEquals(206, range.status());
    assertEquals(rangeLength, range.bodyBytes());
    assertEquals(
        "bytes 10-" + (10 + rangeLength - 1) + "/" + size, range.headers().get("content-range"));

    Curl outside = curl(url, "-H", "Range: bytes=" + (size + 100) + "-");
    assertEquals(416, outside.status());
    assertEquals("bytes */" + size, outside.headers().get("content-range"));

    Curl sameTag = curl(url, "-H", "If-None-Match: " + etag);
    assertEquals(304, sameTag.status());
    assertEquals(0, sameTag.bodyBytes());
    assertEquals(etag, sameTag.headers().get("etag"));
    assertEquals(200, curl(url, "-H", "If-None-Match: \"something-else\"").status());

    if (dated) {
      assertEquals(304, curl(url, "-H", "If-Modified-Since: " + lastModified).status());
      assertEquals(
          200, curl(url, "-H", "If-Modified-Since: Mon, 01 Jan 2024 00:00:00 GMT").status());
    }
  }
}

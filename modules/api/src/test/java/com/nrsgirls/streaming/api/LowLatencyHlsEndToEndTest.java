package com.nrsgirls.streaming.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.nrsgirls.streaming.testkit.Chromium;
import com.nrsgirls.streaming.testkit.Ffmpeg;
import com.nrsgirls.streaming.testkit.LowLatencyPlaylistRules;
import com.nrsgirls.streaming.testkit.Processes;
import com.nrsgirls.streaming.testkit.TestClips;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Low-latency HLS through a node (switched on): ffmpeg publishes over RTMP, the ABR ladder runs,
 * and every rendition's {@code ll.m3u8} keeps the spec's rules, names every sibling in its
 * rendition reports, and answers blocking requests: one for the next part is answered by the
 * playlist that lists it, one too far ahead or malformed gets 400; a takeover keeps the media
 * sequence rising after a discontinuity. The default master lists the renditions' {@code ll.m3u8}
 * ({@code classic.m3u8} the TS ones), playlists carry cache headers for a CDN, a delta update keeps
 * the rules, the hinted part is answered once written, and what was listed decodes with ffmpeg once
 * the stream ended. Then hls.js plays it.
 */
class LowLatencyHlsEndToEndTest {
  private static final Pattern MEDIA = Pattern.compile("(?m)^([a-z0-9]+)/ll\\.m3u8");

  @TempDir Path dataDir;

  /** The newest part listed: its segment's media sequence number and its index. */
  private static long[] newestPart(String playlist) {
    long sequence = -1;
    long segments = 0;
    int parts = -1;
    for (String line : playlist.lines().toList()) {
      if (line.startsWith("#EXT-X-MEDIA-SEQUENCE:")) {
        sequence = Long.parseLong(line.substring(22).strip());
      } else if (line.startsWith("#EXT-X-PART:")) {
        parts++;
      } else if (line.startsWith("#EXTINF:")) {
        segments++;
        parts = -1;
      }
    }
    // parts after the last EXTINF belong to the open segment, numbered after the complete ones
    return parts >= 0
        ? new long[] {sequence + segments, parts}
        : new long[] {sequence + segments - 1, Long.MAX_VALUE};
  }

  @Test
  void everyRenditionsPlaylistKeepsTheRulesAndBlocksUntilItsPart() throws Exception {
    // a window of ten segments: long enough to offer delta updates (six target durations plus
    // the three segments listing their parts); a ladder with a rung below the 360p source, so
    // there are siblings to report
    try (TestNode node =
        TestNode.start(
            dataDir,
            "nrs.streaming.pipeline.hls.playlist-size = 10\n"
                + "nrs.streaming.pipeline.abr.ladder = [{name = \"240p\", height = 240,"
                + " video-kbps = 300, audio-kbps = 64}]\n")) {
      JsonNode created = node.createStream("low-latency");
      String streamId = created.get("streamId").asText();
      Process publisher =
          Publisher.start(
              TestClips.flv(10, 640, 360), node.rtmpUrl(created.get("streamKey").asText()), 3);
      Process takeover = null;
      try {
        String base = "/live/" + streamId;
        // with LL-HLS on, the default master lists the low-latency playlists
        // the ladder's rung is listed a segment or two after the source
        awaitBody(node, base + "/index.m3u8", t -> t.contains("240p/ll.m3u8"));
        HttpResponse<String> master = node.get(base + "/index.m3u8", false);
        assertEquals("no-store, private", cacheControl(master), "each viewer its own master");
        List<String> renditions = new ArrayList<>();
        Matcher m = MEDIA.matcher(master.body());
        while (m.find()) {
          renditions.add(m.group(1));
        }
        assertEquals(List.of("source", "240p"), renditions, master.body());
        assertFalse(master.body().contains("index.m3u8"), master.body());
        // the TS playlists stay listed for older players by a second master; ll.m3u8 an alias
        String classic = node.get(base + "/classic.m3u8", false).body();
        assertTrue(classic.contains("source/index.m3u8"), classic);
        assertFalse(classic.contains("ll.m3u8"), classic);
        assertTrue(node.get(base + "/ll.m3u8", false).body().contains("source/ll.m3u8"));
        // the ladder's rungs come up a segment or two after the source
        awaitOk(
            node,
            base + "/" + renditions.get(renditions.size() - 1) + "/ll.m3u8",
            Duration.ofSeconds(30));

        for (String rendition : renditions) {
          Set<String> siblings = new HashSet<>(renditions);
          siblings.remove(rendition);
          String playlist = node.get(base + "/" + rendition + "/ll.m3u8", false).body();
          assertEquals(
              List.of(),
              LowLatencyPlaylistRules.violations(playlist, siblings),
              rendition + ":\n" + playlist);
        }

        String source = base + "/source/ll.m3u8";
        HttpResponse<String> plain = node.get(source, false);
        assertEquals("no-cache, public", cacheControl(plain), "revalidated on every request");
        long[] newest = newestPart(plain.body());
        // the next part: of the open segment, or the next segment's first
        long msn = newest[1] == Long.MAX_VALUE ? newest[0] + 1 : newest[0];
        long part = newest[1] == Long.MAX_VALUE ? 0 : newest[1] + 1;
        CompletableFuture<HttpResponse<String>> blocked =
            CompletableFuture.supplyAsync(
                () -> {
                  try {
                    return node.get(source + "?_HLS_msn=" + msn + "&_HLS_part=" + part, false);
                  } catch (Exception e) {
                    throw new IllegalStateException(e);
                  }
                });
        HttpResponse<String> answered = blocked.get(10, java.util.concurrent.TimeUnit.SECONDS);
        assertEquals(200, answered.statusCode(), answered.body());
        long[] reached = newestPart(answered.body());
        assertTrue(
            reached[0] > msn || (reached[0] == msn && reached[1] >= part),
            "answered once part " + part + " of " + msn + " is listed:\n" + answered.body());
        Set<String> sourceSiblings = new HashSet<>(renditions);
        sourceSiblings.remove("source");
        assertEquals(
            List.of(), LowLatencyPlaylistRules.violations(answered.body(), sourceSiblings));
        // a blocking request's answer lists at least what its query asked for: a CDN may keep it
        assertEquals(
            "public, max-age=" + 6 * targetDuration(answered.body()), cacheControl(answered));

        // a delta update leaves out the old segments once the window is long enough, and keeps
        // the rules
        assertTrue(plain.body().contains("CAN-SKIP-UNTIL=12.000"), plain.body());
        String delta = awaitBody(node, source + "?_HLS_skip=YES", t -> t.contains("#EXT-X-SKIP:"));
        assertEquals(List.of(), LowLatencyPlaylistRules.violations(delta, sourceSiblings), delta);
        assertEquals(400, node.get(source + "?_HLS_skip=NO", false).statusCode());

        // the hinted part can be asked for before it exists: answered once it is written (a hint
        // given just before its segment ended at a keyframe names a part that never comes: 404,
        // as the spec allows; the next hint is then asked for)
        String hinted = hint(node.get(source, false).body());
        HttpResponse<String> hintedPart = node.get(base + "/source/" + hinted, false);
        for (int retry = 0; retry < 2 && hintedPart.statusCode() == 404; retry++) {
          hinted = hint(node.get(source, false).body());
          hintedPart = node.get(base + "/source/" + hinted, false);
        }
        assertEquals(200, hintedPart.statusCode(), hinted + ": " + hintedPart.body());
        assertEquals(
            "video/iso.segment", hintedPart.headers().firstValue("content-type").orElse(""));
        assertTrue(hintedPart.body().length() > 0, "the part has media");
        assertTrue(
            node.get(source, false).body().contains("URI=\"" + hinted + "\""),
            "by then the playlist lists it");

        // more than two segments past the newest, even if one more is listed in between
        long newestNow = newestPart(node.get(source, false).body())[0];
        HttpResponse<String> tooFar = node.get(source + "?_HLS_msn=" + (newestNow + 4), false);
        assertEquals(400, tooFar.statusCode(), tooFar.body());
        assertEquals("no-store", cacheControl(tooFar), "errors are never cached");
        assertEquals(400, node.get(source + "?_HLS_part=1", false).statusCode());
        assertEquals(400, node.get(source + "?_HLS_msn=x", false).statusCode());
        HttpResponse<String> missing = node.get("/live/" + streamId + "/nosuch/ll.m3u8", false);
        assertEquals(404, missing.statusCode());
        assertEquals("no-store", cacheControl(missing));

        // a takeover (the encoder restarted): the media sequence keeps rising after a
        // discontinuity, in a playlist that still keeps the rules
        takeover =
            Publisher.start(
                TestClips.flv(6, 640, 360), node.rtmpUrl(created.get("streamKey").asText()), 1);
        long before = reached[0];
        String after =
            awaitBody(
                node,
                source,
                t -> t.contains("#EXT-X-DISCONTINUITY") && newestPart(t)[0] > before + 1);
        assertEquals(List.of(), LowLatencyPlaylistRules.violations(after, sourceSiblings), after);
        Processes.Result published = Publisher.await(takeover, 60);
        assertEquals(0, published.exitCode(), published.stderr());
      } finally {
        Publisher.kill(publisher);
        Publisher.kill(takeover);
      }
      // the stream ended (the reconnect grace is 1 s here): every playlist lists its end, and
      // every rendition decodes
      for (String rendition : List.of("source", "240p")) {
        String url = "/live/" + streamId + "/" + rendition + "/ll.m3u8";
        String ended = awaitBody(node, url, t -> t.contains("ENDLIST"));
        Set<String> siblings = new HashSet<>(List.of("source", "240p"));
        siblings.remove(rendition);
        assertEquals(List.of(), LowLatencyPlaylistRules.violations(ended, siblings), ended);
        Processes.Result decoded = Ffmpeg.decode(node.httpUrl(url));
        assertEquals(0, decoded.exitCode(), decoded.stderr());
        assertEquals("", decoded.stderr().strip(), rendition + "'s segments decode cleanly");
      }
    }
  }

  /**
   * hls.js (in headless Chromium, low-latency mode at its defaults) plays the default master (the
   * low-latency one) for 60 s, with a publisher takeover (the encoder restarted: a discontinuity,
   * timestamps from zero) half way: it loads parts, never stalls, plays on through the takeover,
   * and stays under 3 s behind the live edge by its own measure ({@code hls.latency}). The ladder
   * is off: two cores run the encoders, the node and the browser here; every rendition's playlist
   * is checked by the test above.
   */
  @Test
  void hlsJsPlaysTheLowLatencyMasterForAMinuteWithoutAStall() throws Exception {
    assertTrue(Chromium.installed(), "chromium is needed (bin/test installs it)");
    try (TestNode node = TestNode.start(dataDir, "nrs.streaming.pipeline.abr.enabled = off\n");
        Chromium browser = Chromium.start()) {
      JsonNode created = node.createStream("low-latency-player");
      String streamId = created.get("streamId").asText();
      Path clip = TestClips.flv(10, 640, 360);
      String rtmpUrl = node.rtmpUrl(created.get("streamKey").asText());
      Process publisher = Publisher.start(clip, rtmpUrl, 9);
      Process takeover = null;
      try {
        // the viewer joins as soon as the stream is listed: in its first segment
        awaitOk(node, "/live/" + streamId + "/index.m3u8", Duration.ofSeconds(30));
        String playlist = node.get("/live/" + streamId + "/source/ll.m3u8", false).body();
        assertFalse(playlist.contains("CAN-SKIP-UNTIL"), "the default window offers no deltas");
        browser.open(node.httpUrl("/health/alive"), Duration.ofSeconds(20));
        browser.loadHlsPlayer();
        browser.evaluate(
            "nrsHls.play('" + node.httpUrl("/live/" + streamId + "/index.m3u8") + "', {log: true})",
            Duration.ofSeconds(10));
        JsonNode stats = browser.evaluate("nrsHls.stats()", Duration.ofSeconds(5));
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (stats.path("startupMillis").isNull() && System.nanoTime() < deadline) {
          Thread.sleep(200); // poll interval of a probe
          stats = browser.evaluate("nrsHls.stats()", Duration.ofSeconds(5));
        }
        assertFalse(stats.path("startupMillis").isNull(), "hls.js started playing: " + stats);
        double startedAt = stats.get("currentTime").asDouble();
        double takenOverAt = 0;
        List<Double> latencies = new ArrayList<>();
        for (int second = 0; second < 60; second++) {
          if (second == 30) {
            takeover = Publisher.start(clip, rtmpUrl, 4);
            takenOverAt = stats.get("currentTime").asDouble();
          }
          Thread.sleep(1000); // the player is sampled once a second for a minute
          stats = browser.evaluate("nrsHls.stats()", Duration.ofSeconds(5));
          assertTrue(stats.path("fatal").isNull(), "no fatal error: " + stats);
          latencies.add(stats.get("latency").asDouble());
        }
        String sourcePlaylist = node.get("/live/" + streamId + "/source/ll.m3u8", false).body();
        assertTrue(
            sourcePlaylist.contains("#EXT-X-DISCONTINUITY"), "the takeover: " + sourcePlaylist);
        assertTrue(stats.get("lowLatencyMode").asBoolean(), stats.toString());
        if (stats.get("stalls").asInt() > 0) {
          JsonNode logs = browser.evaluate("nrsHls.logs()", Duration.ofSeconds(5));
          List<String> lines = new ArrayList<>();
          logs.forEach(l -> lines.add(l.asText()));
          throw new AssertionError(
              "no stall in a minute: "
                  + stats
                  + "\nhls.js logged:\n"
                  + String.join("\n", lines.subList(0, Math.min(60, lines.size())))
                  + "\n...\nits warnings and errors, and the playlist loads around them:\n"
                  + String.join("\n", around(lines)));
        }
        assertTrue(
            stats.get("currentTime").asDouble() - startedAt > 57,
            "played on for the minute: " + stats);
        assertTrue(
            stats.get("currentTime").asDouble() - takenOverAt > 28,
            "played on through the takeover: " + stats);
        assertTrue(stats.get("parts").asInt() > 100, "it loaded parts: " + stats);
        double latency = stats.get("latency").asDouble();
        assertTrue(latency > 0 && latency < 3, "under 3 s behind live: " + latencies);
        System.out.println(
            "hls.js low-latency: startup "
                + stats.get("startupMillis").asLong()
                + " ms, latency over the minute "
                + latencies
                + ", "
                + stats);
      } finally {
        Publisher.kill(publisher);
        if (takeover != null) {
          Publisher.kill(takeover);
        }
      }
    }
  }

  /** hls.js's log lines that are not "log" level, each with the five lines before it. */
  private static List<String> around(List<String> lines) {
    Set<Integer> keep = new java.util.TreeSet<>();
    for (int i = 0; i < lines.size(); i++) {
      String[] words = lines.get(i).split(" ", 3);
      if (words.length > 1 && !words[1].equals("log")) {
        for (int j = Math.max(0, i - 5); j <= i; j++) {
          keep.add(j);
        }
      }
    }
    List<String> out = new ArrayList<>();
    keep.stream().limit(300).forEach(i -> out.add(lines.get(i)));
    return out;
  }

  private static String cacheControl(HttpResponse<String> response) {
    return response.headers().firstValue("cache-control").orElse("");
  }

  private static int targetDuration(String playlist) {
    Matcher m = Pattern.compile("(?m)^#EXT-X-TARGETDURATION:(\\d+)$").matcher(playlist);
    assertTrue(m.find(), playlist);
    return Integer.parseInt(m.group(1));
  }

  /** The URI of the playlist's {@code EXT-X-PRELOAD-HINT}. */
  private static String hint(String playlist) {
    Matcher m =
        Pattern.compile("(?m)^#EXT-X-PRELOAD-HINT:TYPE=PART,URI=\"([^\"]+)\"").matcher(playlist);
    assertTrue(m.find(), playlist);
    return m.group(1);
  }

  private static HttpResponse<String> awaitOk(TestNode node, String path, Duration timeout)
      throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    HttpResponse<String> r = node.get(path, false);
    while (r.statusCode() != 200 && System.nanoTime() < deadline) {
      Thread.sleep(100); // poll interval of a probe
      r = node.get(path, false);
    }
    assertEquals(200, r.statusCode(), path + ": " + r.body());
    return r;
  }

  private static String awaitBody(
      TestNode node, String path, java.util.function.Predicate<String> ok) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    String body = "";
    while (System.nanoTime() < deadline) {
      HttpResponse<String> r = node.get(path, false);
      body = r.body();
      if (r.statusCode() == 200 && ok.test(body)) {
        return body;
      }
      Thread.sleep(100); // poll interval of a probe
    }
    throw new AssertionError(path + " never reached the expected state: " + body);
  }
}

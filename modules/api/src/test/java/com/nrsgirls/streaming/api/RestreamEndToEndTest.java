package com.nrsgirls.streaming.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.nrsgirls.streaming.testkit.Ffprobe;
import com.nrsgirls.streaming.testkit.NginxRtmp;
import com.nrsgirls.streaming.testkit.Processes;
import com.nrsgirls.streaming.testkit.TestClips;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Restream end to end: a real ffmpeg publishes to the node, which pushes the stream on to RTMP
 * servers as a platform would receive it, one of them of another make (nginx-rtmp, recording what
 * it gets), and what each received is read back with ffprobe.
 */
@ExtendWith(TestNode.PerClass.class)
class RestreamEndToEndTest {
  private static final Pattern EXTINF = Pattern.compile("#EXTINF:([0-9.]+),");

  @Test
  void oneStreamIsPushedToOurOwnIngestAndToNginxRtmpAtOnce(TestNode node, @TempDir Path dir)
      throws Exception {
    assertTrue(NginxRtmp.available(), "nginx and libnginx-mod-rtmp are needed (bin/test)");
    int seconds = 8;
    Path clip = TestClips.flv(seconds, 640, 360);
    try (NginxRtmp nginx = NginxRtmp.start(dir.resolve("nginx"))) {
      JsonNode source = node.createStream("source");
      JsonNode relay = node.createStream("relay");
      String sourceId = source.get("streamId").asText();
      String relayId = relay.get("streamId").asText();
      String relayKey = relay.get("streamKey").asText();
      String ownIngest = node.rtmpUrl("").replaceAll("/$", "");

      HttpResponse<String> own = putTarget(node, sourceId, "own", "custom", ownIngest, relayKey);
      assertEquals(200, own.statusCode(), own.body());
      assertFalse(own.body().contains(relayKey), "the key is never answered: " + own.body());
      JsonNode ownView = node.json(own);
      assertEquals("own", ownView.get("targetId").asText());
      assertEquals("idle", ownView.get("state").asText());
      assertFalse(ownView.has("streamKey"), own.body());
      HttpResponse<String> toNginx =
          putTarget(node, sourceId, "nginx", "custom", nginx.serverUrl(), "pushed-key-1");
      assertEquals(200, toNginx.statusCode(), toNginx.body());

      Process publisher = Publisher.start(clip, node.rtmpUrl(source.get("streamKey").asText()), 1);
      try {
        JsonNode live =
            node.awaitState(
                sourceId,
                Duration.ofSeconds(seconds),
                s -> {
                  JsonNode targets = s.get("restreamTargets");
                  return targets.size() == 2
                      && targets.get(0).get("state").asText().equals("live")
                      && targets.get(1).get("state").asText().equals("live");
                });
        for (JsonNode t : live.get("restreamTargets")) {
          assertTrue(t.get("bytesSent").asLong() > 0, t.toString());
          assertTrue(t.hasNonNull("since"), t.toString());
        }
        node.awaitState(
            relayId, Duration.ofSeconds(5), s -> s.get("status").asText().equals("live"));
        Processes.Result published = Publisher.await(publisher, seconds + 15);
        assertEquals(0, published.exitCode(), published.stderr());
      } finally {
        Publisher.kill(publisher);
      }

      // the push ends with the source's session; the relay stream's then ends with it
      node.awaitState(
          relayId, Duration.ofSeconds(15), s -> s.get("status").asText().equals("idle"));
      String playlist =
          node.awaitFile(
              node.mediaPlaylist(relayId), Duration.ofSeconds(15), t -> t.contains("ENDLIST"));
      double listed = 0;
      Matcher m = EXTINF.matcher(playlist);
      while (m.find()) {
        listed += Double.parseDouble(m.group(1));
      }
      assertEquals(seconds, listed, 1.0, "our own ingest got the whole stream: " + playlist);
      Processes.Result relayed =
          Processes.run(
              List.of(
                  "ffmpeg",
                  "-v",
                  "error",
                  "-i",
                  node.mediaPlaylist(relayId).toString(),
                  "-f",
                  "null",
                  "-"),
              Duration.ofSeconds(60));
      assertEquals("", relayed.stderr().strip(), "what our ingest got decodes without errors");

      Path recorded = nginx.recording("pushed-key-1");
      assertTrue(Files.size(recorded) > 100_000, "nginx-rtmp recorded the push");
      Processes.Result probe =
          Ffprobe.run(
              recorded.toString(),
              "-show_entries",
              "stream=codec_name,width,height:format=duration",
              "-of",
              "default=nw=1");
      assertEquals(0, probe.exitCode(), probe.stderr());
      assertTrue(probe.stdout().contains("codec_name=h264"), probe.stdout());
      assertTrue(probe.stdout().contains("codec_name=aac"), probe.stdout());
      assertTrue(probe.stdout().contains("width=640"), probe.stdout());
      Processes.Result decoded =
          Processes.run(
              List.of("ffmpeg", "-v", "error", "-i", recorded.toString(), "-f", "null", "-"),
              Duration.ofSeconds(60));
      assertEquals("", decoded.stderr().strip(), "nginx's recording decodes without errors");
      double duration = mediaSeconds(recorded);
      assertEquals(seconds, duration, 1.0, "nginx-rtmp got the whole stream");
    }
  }

  private static HttpResponse<String> putTarget(
      TestNode node, String streamId, String targetId, String platform, String url, String key)
      throws Exception {
    return node.send(
        "PUT",
        "/api/v1/streams/" + streamId + "/restream-targets/" + targetId,
        "{\"platform\":\""
            + platform
            + "\",\"url\":\""
            + url
            + "\",\"streamKey\":\""
            + key
            + "\",\"enabled\":true}");
  }

  /** The span of the file's video timestamps, first to last frame plus one frame. */
  static double mediaSeconds(Path file) throws Exception {
    Processes.Result pts =
        Ffprobe.run(
            file.toString(),
            "-select_streams",
            "v:0",
            "-show_entries",
            "packet=pts_time",
            "-of",
            "csv=p=0");
    assertEquals(0, pts.exitCode(), pts.stderr());
    double first = Double.MAX_VALUE;
    double last = 0;
    for (String line : pts.stdout().split("\n")) {
      if (line.isBlank()) {
        continue;
      }
      double t = Double.parseDouble(line.strip().replaceAll(",$", ""));
      first = Math.min(first, t);
      last = Math.max(last, t);
    }
    return last - first + 1.0 / 30;
  }
}

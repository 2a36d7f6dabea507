package com.nrsgirls.streaming.api;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.nrsgirls.streaming.testkit.Ffmpeg;
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

/**
 * A creator who keeps OBS's default keyframe interval ("0 = auto": x264's 250 frames, 8.3 s at 30
 * fps): every segment of every rendition (the source copy and an ABR rung) starts with a keyframe
 * and decodes on its own, the playlists' target duration covers every segment, and the stream's
 * health tells the creator what to change.
 */
@ExtendWith(TestNode.PerClass.class)
class LongGopEndToEndTest {
  private static final Pattern EXTINF = Pattern.compile("#EXTINF:([0-9.]+),\\n(\\S+)");
  private static final Pattern TARGET = Pattern.compile("#EXT-X-TARGETDURATION:(\\d+)");

  @Test
  void obsDefaultKeyframesMakeLongSegmentsThatEachDecodeAlone(TestNode node) throws Exception {
    JsonNode created = node.createStream("obs defaults");
    String streamId = created.get("streamId").asText();
    // a ladder of one small rung, so that the transcoder keeps up at four times real time
    HttpResponse<String> ladder =
        node.send(
            "PUT",
            "/api/v1/streams/" + streamId + "/outputs",
            "{\"ladder\":[{\"name\":\"90p\",\"height\":90,\"videoKbps\":150,\"audioKbps\":48}]}");
    assertEquals(200, ladder.statusCode(), ladder.body());
    Path clip = TestClips.flv(TestClips.Encoding.OBS_AUTO_KEYFRAMES, 26, 320, 180);
    Process publisher =
        Publisher.start(clip, node.rtmpUrl(created.get("streamKey").asText()), 1, 4);
    try {
      JsonNode live =
          node.awaitState(
              streamId, Duration.ofSeconds(20), s -> s.path("health").path("warnings").size() > 0);
      String warning = live.get("health").get("warnings").get(0).asText();
      assertTrue(warning.startsWith("keyframe interval is 8.3 s"), warning);
      assertTrue(warning.contains("Keyframe Interval 2"), warning);
      Processes.Result r = Publisher.await(publisher, 30);
      assertEquals(0, r.exitCode(), r.stderr());
    } finally {
      Publisher.kill(publisher);
    }
    for (String rendition : List.of("source", "90p")) {
      assertEverySegmentDecodesAlone(node, streamId, rendition);
    }
  }

  private static void assertEverySegmentDecodesAlone(
      TestNode node, String streamId, String rendition) throws Exception {
    Path file =
        node.mediaPlaylist(streamId).getParent().resolveSibling(rendition).resolve("index.m3u8");
    String playlist =
        node.awaitFile(file, Duration.ofSeconds(10), t -> t.contains("#EXT-X-ENDLIST"));

    Matcher target = TARGET.matcher(playlist);
    assertTrue(target.find(), playlist);
    int targetDuration = Integer.parseInt(target.group(1));
    assertEquals(9, targetDuration, rendition + ": the first GOP, rounded up: " + playlist);
    Matcher segments = EXTINF.matcher(playlist);
    int count = 0;
    while (segments.find()) {
      count++;
      double seconds = Double.parseDouble(segments.group(1));
      assertTrue(Math.round(seconds) <= targetDuration, "covered by the target: " + playlist);
      Path segment = file.resolveSibling(segments.group(2));
      assertTrue(Files.exists(segment), segment.toString());
      Processes.Result decoded = Ffmpeg.decode(segment.toString());
      assertEquals(0, decoded.exitCode(), segment + ": " + decoded.stderr());
      assertEquals("", decoded.stderr().strip(), segment + " decodes on its own");
    }
    assertTrue(count >= 3, "three GOPs, three segments: " + playlist);
    assertFalse(playlist.contains("EXT-X-DISCONTINUITY"), playlist);
    List<String> lines = playlist.lines().toList();
    assertTrue(lines.contains("#EXT-X-ENDLIST"), playlist);
  }
}

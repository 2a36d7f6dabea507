package com.nrsgirls.streaming.pipeline.hls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nrsgirls.streaming.core.media.MediaPacket;
import com.nrsgirls.streaming.pipeline.testing.TestClips;
import com.nrsgirls.streaming.testkit.Ffmpeg;
import com.nrsgirls.streaming.testkit.Ffprobe;
import com.nrsgirls.streaming.testkit.Processes;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real encoder output (a testkit clip: libx264 with B-frames, AAC, 2 s GOP, 10 s) through the
 * segmenter into a local store, checked with the real ffprobe and ffmpeg.
 */
class HlsEndToEndTest {
  private static final Instant START = Instant.parse("2024-03-01T12:00:00Z");

  private static List<MediaPacket> packets;
  private static long sourceVideoFrames;

  @TempDir Path root;

  @BeforeAll
  static void encode() {
    packets = TestClips.h264Aac(10, 1280, 720);
    sourceVideoFrames = packets.stream().filter(p -> p.isVideo() && !p.isConfig()).count();
    assertTrue(
        packets.stream().anyMatch(p -> p.isVideo() && p.compositionOffset() > 0),
        "the source has B-frames");
  }

  @Test
  void oneSessionPlaysAsH264AndAacWithEveryFrameInOrder() throws Exception {
    HlsSegmenter segmenter = segment(START, packets);
    Path dir = root.resolve("s1/source");
    Path playlist = dir.resolve("index.m3u8");

    Map<String, List<String>> probe =
        keyValues(
            ffprobe(
                playlist,
                "-show_entries",
                "stream=codec_name,width,height:format=duration",
                "-of",
                "default=nw=1"));
    assertEquals(Set.of("h264", "aac"), Set.copyOf(probe.get("codec_name")));
    // ffprobe lists HLS streams twice, under the program and on their own
    assertEquals(Set.of("1280"), Set.copyOf(probe.get("width")));
    assertEquals(Set.of("720"), Set.copyOf(probe.get("height")));
    double duration = Double.parseDouble(probe.get("duration").get(0));
    assertEquals(10.0, duration, 0.15);

    assertDecodesWithoutErrors(playlist);

    // every video frame arrives once, DTS rising across segment boundaries; audio never goes back
    List<String> rows =
        ffprobe(playlist, "-show_entries", "packet=codec_type,dts,flags", "-of", "csv=p=0")
            .lines()
            .filter(l -> !l.isBlank())
            .toList();
    long lastVideo = Long.MIN_VALUE;
    long lastAudio = Long.MIN_VALUE;
    long videoPackets = 0;
    for (String row : rows) {
      String[] f = row.split(",");
      long dts = Long.parseLong(f[1]);
      if (f[0].equals("video")) {
        assertTrue(dts > lastVideo, "video DTS rises: " + row);
        lastVideo = dts;
        videoPackets++;
      } else {
        assertTrue(dts >= lastAudio, "audio DTS does not go back: " + row);
        lastAudio = dts;
      }
    }
    assertEquals(sourceVideoFrames, videoPackets);

    MediaPlaylist listed = MediaPlaylist.parse(Files.readString(playlist));
    assertEquals(5, listed.segments().size());
    assertEquals(2, listed.targetDuration());
    for (MediaPlaylist.Segment s : listed.segments()) {
      String first =
          ffprobe(
                  dir.resolve(s.uri()),
                  "-select_streams",
                  "v",
                  "-show_entries",
                  "packet=flags",
                  "-read_intervals",
                  "%+#1",
                  "-of",
                  "csv=p=0")
              .strip();
      assertTrue(first.startsWith("K"), s.uri() + " starts with a keyframe: " + first);
    }
    RenditionInfo info = segmenter.renditionInfo().orElseThrow();
    assertEquals(1280, info.width());
    assertTrue(info.codecs().matches("avc1\\.6400[0-9a-f]{2},mp4a\\.40\\.2"), info.codecs());
    assertEquals(30.0, info.frameRate(), 0.1);
  }

  @Test
  void aSecondSessionContinuesThePlaylistAfterADiscontinuity() throws Exception {
    segment(START, packets);
    segment(START.plusSeconds(30), packets); // the publisher is back, its timestamps start at 0
    Path dir = root.resolve("s1/source");
    Path playlist = dir.resolve("index.m3u8");
    String text = Files.readString(playlist);

    MediaPlaylist listed = MediaPlaylist.parse(text);
    assertEquals(4, listed.mediaSequence(), text);
    assertEquals(6, listed.segments().size(), text);
    assertTrue(listed.segments().get(1).discontinuity(), text);
    assertEquals(1, text.split("#EXT-X-DISCONTINUITY\n", -1).length - 1, text);
    assertTrue(listed.ended());
    assertEquals(Set.of("4", "5", "6", "7", "8", "9"), segmentNumbers(dir), "slid out: deleted");

    assertDecodesWithoutErrors(playlist);
    String duration =
        ffprobe(playlist, "-show_entries", "format=duration", "-of", "csv=p=0").strip();
    assertEquals(12.0, Double.parseDouble(duration), 0.2);
  }

  @Test
  void timestampsCrossingThe33BitWrapStillDecode() throws Exception {
    long shift = (1L << 33) / 90 - 5000; // the 90 kHz clock wraps 5 s into the stream
    HlsSegmenter segmenter = segment(START, packets.stream().map(p -> p.shifted(shift)).toList());
    Path playlist = root.resolve("s1/source/index.m3u8");
    assertEquals(0, segmenter.timestampDiscontinuities());
    assertFalse(Files.readString(playlist).contains("DISCONTINUITY"));
    assertDecodesWithoutErrors(playlist);
  }

  /** One publish session: every packet through a segmenter opened at {@code now}, then finished. */
  private HlsSegmenter segment(Instant now, List<MediaPacket> session) throws Exception {
    HlsSegmenter segmenter =
        HlsSegmenter.open(
            new LocalSegmentStore(root),
            "s1",
            "source",
            HlsSettings.DEFAULT,
            Clock.fixed(now, ZoneOffset.UTC));
    for (MediaPacket p : session) {
      segmenter.accept(p);
    }
    segmenter.finish();
    return segmenter;
  }

  private void assertDecodesWithoutErrors(Path playlist) throws Exception {
    Processes.Result r = Ffmpeg.decode(playlist.toString());
    assertEquals(0, r.exitCode(), r.stderr());
    assertEquals("", r.stderr().strip(), "ffmpeg reports no errors");
  }

  private String ffprobe(Path input, String... options) throws Exception {
    Processes.Result r = Ffprobe.run(input.toString(), options);
    assertEquals(0, r.exitCode(), r.stderr());
    assertEquals("", r.stderr().strip(), "ffprobe reports no errors");
    return r.stdout();
  }

  private static Map<String, List<String>> keyValues(String text) {
    Map<String, List<String>> values = new HashMap<>();
    for (String line : text.split("\n")) {
      int eq = line.indexOf('=');
      if (eq > 0) {
        values
            .computeIfAbsent(line.substring(0, eq), k -> new ArrayList<>())
            .add(line.substring(eq + 1).strip());
      }
    }
    return values;
  }

  private static Set<String> segmentNumbers(Path dir) throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      Set<String> numbers = new TreeSet<>();
      files
          .map(f -> f.getFileName().toString())
          .filter(n -> n.endsWith(".ts"))
          .forEach(n -> numbers.add(n.substring(0, n.indexOf('-'))));
      return numbers;
    }
  }
}

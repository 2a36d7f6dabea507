package com.nrsgirls.streaming.pipeline.hls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nrsgirls.streaming.core.media.MediaPacket;
import com.nrsgirls.streaming.pipeline.testing.TestClips;
import com.nrsgirls.streaming.testkit.Ffmpeg;
import com.nrsgirls.streaming.testkit.LowLatencyPlaylistRules;
import com.nrsgirls.streaming.testkit.Processes;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The low-latency writer behind a real segmenter, on a real encoder's output (libx264 with
 * B-frames, a keyframe every 2 s, AAC): every state it publishes keeps the spec's rules, the parts
 * are 200 ms, a segment's file is its parts, what it wrote decodes, and a parked request for the
 * next part is answered by the state that lists it, not before.
 */
class LowLatencyRenditionTest {
  private static final LowLatencySettings LL =
      new LowLatencySettings(true, Duration.ofMillis(200), 3);

  @TempDir Path root;

  private HlsSegmenter open(LocalSegmentStore store, LowLatencyPlaylists playlists)
      throws Exception {
    HlsSegmenter segmenter =
        HlsSegmenter.open(store, "llstream01", "source", HlsSettings.DEFAULT, Clock.systemUTC());
    segmenter.tap(
        new LowLatencyRendition(
            store,
            "llstream01",
            "source",
            HlsSettings.DEFAULT,
            LL,
            playlists,
            Clock.systemUTC(),
            Runnable::run));
    return segmenter;
  }

  @Test
  void everyStateKeepsTheRulesAndEachSegmentIsItsParts() throws Exception {
    LocalSegmentStore store = new LocalSegmentStore(root);
    LowLatencyPlaylists playlists = new LowLatencyPlaylists();
    HlsSegmenter segmenter = open(store, playlists);
    Set<String> states = new HashSet<>();
    long[] first = {-1};
    for (MediaPacket p : TestClips.h264Aac(12, 320, 240)) {
      segmenter.accept(p);
      playlists
          .latest("llstream01", "source")
          .ifPresent(
              playlist -> {
                if (first[0] < 0) {
                  first[0] = playlist.segments().get(0).sequence();
                }
                String text = playlist.render();
                if (states.add(text)) {
                  assertEquals(List.of(), LowLatencyPlaylistRules.violations(text, Set.of()), text);
                  assertNewestPartIsInItsGrowingFile(playlists, playlist);
                }
              });
    }
    assertEquals(1, first[0], "numbered from 1: hls.js 1.4 takes a last segment number 0 for none");
    LowLatencyPlaylist last = playlists.latest("llstream01", "source").orElseThrow();
    assertTrue(states.size() > 40, "a state per part: " + states.size());
    assertEquals(2, last.targetDurationSeconds());
    assertTrue(last.render().contains("#EXT-X-PRELOAD-HINT:TYPE=PART"), last.render());

    segmenter.finish();
    LowLatencyPlaylist ended = playlists.latest("llstream01", "source").orElseThrow();
    assertTrue(ended.ended());
    assertEquals(List.of(), LowLatencyPlaylistRules.violations(ended.render(), Set.of()));
    Path dir = root.resolve("llstream01/source");
    ByteArrayOutputStream whole = new ByteArrayOutputStream();
    whole.write(Files.readAllBytes(dir.resolve(ended.segments().get(0).mapUri())));
    for (LowLatencyPlaylist.Segment s : ended.segments()) {
      assertTrue(s.complete());
      // six frames at 30 fps per part, but for a segment's last
      for (int i = 0; i + 1 < s.parts().size(); i++) {
        assertEquals(200, s.parts().get(i).durationMillis(), 1, s.toString());
      }
      assertTrue(s.parts().get(0).independent(), "a segment starts with a keyframe: " + s);
      assertFalse(s.parts().get(1).independent(), s.toString());
      // the parts are the segment's file, one after another, each a fragment (moof + mdat)
      byte[] segment = Files.readAllBytes(dir.resolve(s.uri()));
      long at = 0;
      for (LowLatencyPlaylist.Part p : s.parts()) {
        assertEquals(at, p.offset(), "part " + p.uri() + " follows the one before it");
        assertEquals(
            "moof",
            new String(segment, (int) p.offset() + 4, 4, StandardCharsets.US_ASCII),
            p.uri());
        at += p.length();
        assertTrue(at <= segment.length, p.toString());
      }
      assertEquals(segment.length, at, "segment " + s.sequence() + " is its parts");
      whole.write(segment);
    }
    Path file = root.resolve("whole.mp4");
    Files.write(file, whole.toByteArray());
    Processes.Result decoded = Ffmpeg.decode(file.toString());
    assertEquals(0, decoded.exitCode(), decoded.stderr());
    assertEquals("", decoded.stderr().strip(), "the fragments decode without an error");
  }

  /** The newest part listed can be read from its segment's file at once, while it grows. */
  private void assertNewestPartIsInItsGrowingFile(
      LowLatencyPlaylists playlists, LowLatencyPlaylist playlist) {
    LowLatencyPlaylist.Segment newest = playlist.segments().get(playlist.segments().size() - 1);
    if (newest.parts().isEmpty()) {
      return;
    }
    LowLatencyPlaylist.Part part = newest.parts().get(newest.parts().size() - 1);
    LowLatencyPlaylists.PartRange range =
        playlists.part("llstream01", "source", part.uri()).orElseThrow();
    try {
      byte[] file = Files.readAllBytes(root.resolve("llstream01/source").resolve(range.file()));
      assertTrue(range.offset() + range.length() <= file.length, "written: " + range);
      assertEquals(
          "moof", new String(file, (int) range.offset() + 4, 4, StandardCharsets.US_ASCII));
    } catch (java.io.IOException e) {
      throw new AssertionError("part " + part.uri() + " of " + range.file(), e);
    }
  }

  @Test
  void aFewMillisecondsMissingBeforeAKeyframeKeepEveryPartWithinTheTarget() throws Exception {
    List<MediaPacket> packets = new java.util.ArrayList<>(TestClips.h264Aac(8, 320, 240));
    // 7 and 9 ms missing just before the keyframes at 4 s and 6 s (as where a looped clip starts
    // over): a segment's last part would end late, over a part target without the 5 % the
    // playlists allow for it
    shiftFrom(packets, firstVideoAt(packets, 4000, true), 7);
    shiftFrom(packets, firstVideoAt(packets, 6000, true), 9);
    LocalSegmentStore store = new LocalSegmentStore(root);
    LowLatencyPlaylists playlists = new LowLatencyPlaylists();
    HlsSegmenter segmenter = open(store, playlists);
    Set<String> states = new HashSet<>();
    for (MediaPacket p : packets) {
      segmenter.accept(p);
      playlists
          .latest("llstream01", "source")
          .ifPresent(
              playlist -> {
                String text = playlist.render();
                if (states.add(text)) {
                  assertEquals(List.of(), LowLatencyPlaylistRules.violations(text, Set.of()), text);
                }
              });
    }
    segmenter.finish();
    assertTrue(states.size() > 20, "states checked: " + states.size());
  }

  /** The index of the first video frame at or after {@code millis}, a keyframe or not. */
  private static int firstVideoAt(List<MediaPacket> packets, long millis, boolean keyframe) {
    for (int i = 0; i < packets.size(); i++) {
      MediaPacket p = packets.get(i);
      if (p.isVideo() && !p.isConfig() && p.dts() >= millis && p.isKeyframe() == keyframe) {
        return i;
      }
    }
    throw new IllegalArgumentException("no such frame at " + millis);
  }

  private static void shiftFrom(List<MediaPacket> packets, int from, long millis) {
    for (int i = from; i < packets.size(); i++) {
      packets.set(i, packets.get(i).shifted(millis));
    }
  }

  @Test
  void aParkedRequestIsAnsweredByTheStateThatListsItsPart() throws Exception {
    LocalSegmentStore store = new LocalSegmentStore(root);
    LowLatencyPlaylists playlists = new LowLatencyPlaylists();
    HlsSegmenter segmenter = open(store, playlists);
    List<MediaPacket> packets = TestClips.h264Aac(6, 320, 240);
    int i = 0;
    while (playlists.latest("llstream01", "source").isEmpty()) {
      segmenter.accept(packets.get(i++));
    }
    LowLatencyPlaylist first = playlists.latest("llstream01", "source").orElseThrow();
    long msn = first.lastSequence() + 1;
    CompletableFuture<LowLatencyPlaylist> next =
        playlists.await("llstream01", "source", msn, 2).orElseThrow().toCompletableFuture();
    CompletableFuture<LowLatencyPlaylist> whole =
        playlists.await("llstream01", "source", msn, -1).orElseThrow().toCompletableFuture();
    assertFalse(next.isDone(), "not listed yet: " + first.render());
    while (!next.isDone()) {
      LowLatencyPlaylist before = playlists.latest("llstream01", "source").orElseThrow();
      assertFalse(before.reached(msn, 2), before.render());
      segmenter.accept(packets.get(i++));
    }
    LowLatencyPlaylist got = next.join();
    assertEquals(msn, got.lastSequence());
    assertEquals(2, got.lastPart(), "answered by the state that lists it: " + got.render());
    assertTrue(got.render().contains(msn + "-"), got.render());
    assertFalse(whole.isDone(), "the whole segment is not listed yet");
    // the stream's end answers every parked request
    playlists.end("llstream01");
    assertTrue(whole.join().ended());
  }
}

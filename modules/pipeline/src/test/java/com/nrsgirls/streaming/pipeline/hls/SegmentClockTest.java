package com.nrsgirls.streaming.pipeline.hls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nrsgirls.streaming.core.media.MediaPacket;
import com.nrsgirls.streaming.pipeline.ts.TestMedia;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** One clock, several renditions: the same cuts under the same numbers, however they join. */
class SegmentClockTest {
  private static final Clock CLOCK =
      Clock.fixed(Instant.parse("2026-11-30T12:00:00Z"), ZoneOffset.UTC);

  @TempDir Path root;

  /** {@code seconds} of 30 fps video with a keyframe every {@code gopFrames}, and 20 ms audio. */
  private static List<MediaPacket> source(int seconds, int gopFrames) {
    List<MediaPacket> packets = new ArrayList<>();
    packets.add(TestMedia.videoConfig(0));
    packets.add(TestMedia.audioConfig(0));
    int audio = 0;
    for (int f = 0; f < seconds * 30; f++) {
      long dts = Math.round(f * 1000 / 30.0);
      while (audio * 20L <= dts) {
        packets.add(TestMedia.audioFrame(audio * 20L, 10));
        audio++;
      }
      packets.add(TestMedia.videoFrame(dts, 0, f % gopFrames == 0, 200));
    }
    return packets;
  }

  private HlsSegmenter follower(LocalSegmentStore store, String rendition, SegmentClock clock)
      throws Exception {
    return HlsSegmenter.open(
        store,
        "s",
        rendition,
        HlsSettings.DEFAULT,
        CLOCK,
        HlsSegmenter.Listener.NONE,
        clock,
        40,
        null);
  }

  @Test
  void renditionsCutWhereTheClockSaysUnderItsNumbersEvenWhenOneJoinsLate() throws Exception {
    LocalSegmentStore store = new LocalSegmentStore(root);
    SegmentClock clock = new SegmentClock(HlsSettings.DEFAULT);
    HlsSegmenter source = follower(store, "source", clock);
    HlsSegmenter late = null;
    List<MediaPacket> packets = source(12, 60);
    for (int i = 0; i < packets.size(); i++) {
      MediaPacket p = clock.mark(packets.get(i));
      source.accept(p);
      if (late == null && p.segment() == 2) {
        // joins mid-stream, at segment 2's first frame, with the configs as the fan-out gives them
        late = follower(store, "late", clock);
        late.accept(packets.get(0));
        late.accept(packets.get(1));
      }
      if (late != null) {
        late.accept(p);
      }
    }
    source.finish();
    late.finish();
    assertEquals(6, clock.segmentsStarted());
    MediaPlaylist s = source.playlist();
    MediaPlaylist l = late.playlist();
    assertEquals(40, s.mediaSequence());
    assertEquals(6, s.segments().size());
    assertEquals(42, l.mediaSequence(), "numbered by the clock, not from 0");
    assertEquals(
        s.segments().subList(2, 6).stream().map(MediaPlaylist.Segment::durationMillis).toList(),
        l.segments().stream().map(MediaPlaylist.Segment::durationMillis).toList());
    assertEquals("42-", l.segments().get(0).uri().substring(0, 3));
  }

  @Test
  void aRenditionBehindTheOthersStartsItsWindowAgainAtTheClocksNumber() throws Exception {
    LocalSegmentStore store = new LocalSegmentStore(root);
    // an old session of "720p" left it at sequence 3; the stream is at 40 now
    HlsSegmenter old = HlsSegmenter.open(store, "s", "720p", HlsSettings.DEFAULT, CLOCK);
    for (MediaPacket p : source(6, 60)) {
      old.accept(p);
    }
    old.finish();
    assertEquals(3, old.playlist().nextMediaSequence());
    String oldFirst = old.playlist().segments().get(0).uri();

    SegmentClock clock = new SegmentClock(HlsSettings.DEFAULT);
    HlsSegmenter rung = follower(store, "720p", clock);
    for (MediaPacket p : source(8, 60)) {
      rung.accept(clock.mark(p));
    }
    rung.finish();
    MediaPlaylist p = rung.playlist();
    assertEquals(40, p.mediaSequence());
    assertTrue(p.segments().get(0).discontinuity(), "a new window after a discontinuity");
    assertEquals(4, p.segments().size());
    assertTrue(
        !Files.exists(root.resolve("s/720p").resolve(oldFirst)),
        "what slid out of the old window is deleted");
    assertEquals(0, rung.misnumberedSegments());
  }

  @Test
  void aSegmentOneRenditionMissedIsListedAsAGapAndTheNumbersGoOn() throws Exception {
    LocalSegmentStore store = new LocalSegmentStore(root);
    SegmentClock clock = new SegmentClock(HlsSettings.DEFAULT);
    HlsSegmenter source = follower(store, "source", clock);
    HlsSegmenter rung = follower(store, "480p", clock);
    for (MediaPacket packet : source(12, 60)) {
      MediaPacket p = clock.mark(packet);
      source.accept(p);
      // the rung's queue dropped the whole of segment 3 (4 s to 6 s), its first frame included
      if (p.dts() < 4000 || p.dts() >= 6000 || p.isConfig()) {
        rung.accept(p);
      }
    }
    source.finish();
    rung.finish();
    MediaPlaylist s = source.playlist();
    MediaPlaylist r = rung.playlist();
    assertEquals(s.mediaSequence(), r.mediaSequence());
    assertEquals(s.segments().size(), r.segments().size());
    for (int i = 0; i < s.segments().size(); i++) {
      assertEquals(
          s.segments().get(i).durationMillis(), r.segments().get(i).durationMillis(), "seg " + i);
      assertEquals(i == 2, r.segments().get(i).gap(), "only the missed one is a gap: " + i);
    }
    assertEquals(1, rung.gapSegments());
    String text = Files.readString(root.resolve("s/480p/index.m3u8"));
    assertTrue(text.contains("#EXT-X-GAP\n#EXTINF:2.000,\n42-gap.ts"), text);
    assertEquals(r, MediaPlaylist.parse(text), "a gap survives a reread");
  }

  @Test
  void aLongGopIsCutOnceForEveryRenditionAndTheTargetCoversIt() throws Exception {
    LocalSegmentStore store = new LocalSegmentStore(root);
    SegmentClock clock = new SegmentClock(HlsSettings.DEFAULT);
    HlsSegmenter a = follower(store, "source", clock);
    HlsSegmenter b = follower(store, "480p", clock);
    for (MediaPacket p : source(26, 250)) { // OBS's "auto": 8.3 s GOPs
      MediaPacket marked = clock.mark(p);
      a.accept(marked);
      b.accept(marked);
    }
    a.finish();
    b.finish();
    assertEquals(9, a.playlist().targetDuration());
    assertEquals(9, b.playlist().targetDuration());
    assertEquals(
        a.playlist().segments().stream().map(MediaPlaylist.Segment::durationMillis).toList(),
        b.playlist().segments().stream().map(MediaPlaylist.Segment::durationMillis).toList());
    assertEquals(0, clock.splitSegments());
  }
}

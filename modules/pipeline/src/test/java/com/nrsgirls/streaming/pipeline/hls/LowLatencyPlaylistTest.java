package com.nrsgirls.streaming.pipeline.hls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nrsgirls.streaming.testkit.LowLatencyPlaylistRules;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** A low-latency playlist's text: delta updates, its numbers, and one rendering per state. */
class LowLatencyPlaylistTest {

  /**
   * {@code complete} segments of 2 s (ten parts of 200 ms each, the first independent) from
   * sequence 100, then an open one with three parts; a discontinuity and a new init segment at
   * sequence 103.
   */
  private static LowLatencyPlaylist playlist(int complete) {
    List<LowLatencyPlaylist.Segment> segments = new ArrayList<>();
    for (int i = 0; i <= complete; i++) {
      long sequence = 100 + i;
      boolean open = i == complete;
      List<LowLatencyPlaylist.Part> parts = new ArrayList<>();
      for (int p = 0; p < (open ? 3 : 10); p++) {
        parts.add(
            new LowLatencyPlaylist.Part(
                sequence + "-t." + p + ".m4s", 200, p == 0, p * 1000L, 1000));
      }
      segments.add(
          new LowLatencyPlaylist.Segment(
              sequence,
              sequence + "-t.m4s",
              open ? 0 : 2000,
              sequence == 103,
              null,
              sequence < 103 ? "init-t-0.mp4" : "init-t-1.mp4",
              parts,
              !open));
    }
    return new LowLatencyPlaylist(
        2, 200, 3, 0, segments, (100 + complete) + "-t.3.m4s", false, true);
  }

  @Test
  void serverControlOffersDeltaUpdatesFromSixTargetDurations() {
    String text = playlist(6).render();
    assertTrue(
        text.contains(
            "#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,CAN-SKIP-UNTIL=12.000,"
                + "PART-HOLD-BACK=0.600\n"),
        text);
    assertTrue(text.contains("#EXT-X-PART-INF:PART-TARGET=0.200\n"), text);
    assertFalse(text.contains("EXT-X-SKIP:"), text);
    assertEquals(List.of(), LowLatencyPlaylistRules.violations(text, Set.of()), text);
  }

  @Test
  void aDeltaUpdateSkipsTheSegmentsEndingSixTargetDurationsBeforeTheEnd() {
    LowLatencyPlaylist p = playlist(12);
    String delta = p.render(true);
    // the playlist ends 12 x 2 s + 0.6 s after segment 100 starts: segments 100..105 end at least
    // 12 s before the end (105 ends 12.6 s before it), 106 ends 10.6 s before it
    assertTrue(delta.contains("#EXT-X-MEDIA-SEQUENCE:100\n"), delta);
    assertTrue(delta.contains("#EXT-X-SKIP:SKIPPED-SEGMENTS=6\n"), delta);
    assertFalse(delta.contains("100-t.m4s") || delta.contains("105-t.m4s"), delta);
    assertTrue(delta.contains("\n106-t.m4s\n"), delta);
    int skip = delta.indexOf("#EXT-X-SKIP:");
    int map = delta.indexOf("#EXT-X-MAP:URI=\"init-t-1.mp4\"");
    assertTrue(skip < map && map < delta.indexOf("#EXTINF:"), "the first segment names its map");
    assertEquals(List.of(), LowLatencyPlaylistRules.violations(delta, Set.of()), delta);
    assertEquals(
        p.render().substring(p.render().indexOf("106-t.m4s")),
        delta.substring(delta.indexOf("106-t.m4s")),
        "what follows the skip is the same");
    // a window of six segments is shorter than that: it comes back whole
    LowLatencyPlaylist shortWindow = playlist(6);
    assertEquals(shortWindow.render(), shortWindow.render(true));
    // one that does not offer delta updates (the default window) neither offers nor skips
    LowLatencyPlaylist notOffered =
        new LowLatencyPlaylist(2, 200, 3, 0, p.segments(), p.preloadHint(), false, false);
    assertFalse(notOffered.render().contains("CAN-SKIP-UNTIL"), notOffered.render());
    assertEquals(notOffered.render(), notOffered.render(true));
    assertEquals(List.of(), LowLatencyPlaylistRules.violations(notOffered.render(), Set.of()));
  }

  @Test
  void partsOfSegmentsThatStillListThemAreNeverSkipped() {
    // with all twelve complete segments listing their parts, nothing can be skipped
    LowLatencyPlaylist p = playlist(12);
    LowLatencyPlaylist allParts =
        new LowLatencyPlaylist(2, 200, 13, 0, p.segments(), p.preloadHint(), false, true);
    assertFalse(allParts.render(true).contains("EXT-X-SKIP"));
  }

  @Test
  void aPartIsAByteRangeOfItsSegmentsFile() {
    LowLatencyPlaylists playlists = new LowLatencyPlaylists();
    playlists.publish("s1", "source", playlist(6));
    assertEquals(
        Optional.of(new LowLatencyPlaylists.PartRange("106-t.m4s", 2000, 1000)),
        playlists.part("s1", "source", "106-t.2.m4s"),
        "a part of the open segment");
    assertEquals(
        Optional.of(new LowLatencyPlaylists.PartRange("100-t.m4s", 9000, 1000)),
        playlists.part("s1", "source", "100-t.9.m4s"),
        "a part of a segment whose parts are no longer in the text, still in the window");
    assertEquals(Optional.empty(), playlists.part("s1", "source", "106-t.3.m4s"), "not yet");
    assertEquals(Optional.empty(), playlists.part("s1", "low", "106-t.2.m4s"));
    assertEquals(Optional.empty(), playlists.part("s2", "source", "106-t.2.m4s"));
  }

  @Test
  void endedStreamsPastTheKeptNumberAreForgottenLongestEndedFirst() {
    LowLatencyPlaylists playlists = new LowLatencyPlaylists(2);
    for (String id : List.of("a", "b", "c", "d")) {
      playlists.publish(id, "source", playlist(6));
      playlists.publish(id, "low", playlist(6));
    }
    playlists.end("a");
    playlists.end("b");
    assertTrue(playlists.latest("a", "source").orElseThrow().ended(), "kept: players read the end");
    playlists.publish("a", "source", playlist(7)); // a new session: live again, not counted
    playlists.end("c");
    playlists.end("d");
    assertEquals(Optional.empty(), playlists.latest("b", "source"), "the longest ended");
    assertEquals(Optional.empty(), playlists.latest("b", "low"));
    assertEquals("", playlists.renditionReports("b", "source"));
    assertFalse(playlists.latest("a", "source").orElseThrow().ended(), "live again");
    assertTrue(playlists.latest("c", "low").orElseThrow().ended());
    assertTrue(playlists.latest("d", "source").orElseThrow().ended());
    playlists.end("a");
    assertEquals(Optional.empty(), playlists.latest("c", "source"), "now the longest ended");
    assertTrue(playlists.latest("a", "low").orElseThrow().ended());
  }

  @Test
  void secondsAreWrittenWithThreeDecimals() {
    assertEquals("0.005", LowLatencyPlaylist.seconds(5));
    assertEquals("0.050", LowLatencyPlaylist.seconds(50));
    assertEquals("0.200", LowLatencyPlaylist.seconds(200));
    assertEquals("1.234", LowLatencyPlaylist.seconds(1234));
    assertEquals("12.000", LowLatencyPlaylist.seconds(12_000));
  }

  @Test
  void aStateIsRenderedOnceForAllTheRequestsItAnswers() {
    LowLatencyPlaylists playlists = new LowLatencyPlaylists();
    LowLatencyPlaylist first = playlist(6);
    playlists.publish("s1", "source", first);
    playlists.publish("s1", "low", playlist(5));
    byte[] text = playlists.text("s1", "source", first, false);
    assertSame(text, playlists.text("s1", "source", first, false));
    String body = new String(text, StandardCharsets.UTF_8);
    assertTrue(body.startsWith(first.render()), body);
    assertTrue(
        body.endsWith("#EXT-X-RENDITION-REPORT:URI=\"../low/ll.m3u8\",LAST-MSN=105,LAST-PART=2\n"),
        body);
    // a sibling's new state changes the reports: rendered again
    playlists.publish("s1", "low", playlist(6));
    byte[] again = playlists.text("s1", "source", first, false);
    assertNotSame(text, again);
    assertTrue(new String(again, StandardCharsets.UTF_8).contains("LAST-MSN=106"));
    LowLatencyPlaylist second = playlist(7);
    playlists.publish("s1", "source", second);
    assertTrue(
        new String(playlists.text("s1", "source", second, false), StandardCharsets.UTF_8)
            .startsWith(second.render()));
  }
}

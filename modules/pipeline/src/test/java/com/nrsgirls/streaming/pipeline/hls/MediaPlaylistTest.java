package com.nrsgirls.streaming.pipeline.hls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;

class MediaPlaylistTest {
  private static final Instant T0 = Instant.parse("2024-03-01T12:00:00.250Z");

  private static MediaPlaylist.Segment segment(int n, long millis, boolean discontinuity) {
    return new MediaPlaylist.Segment(
        n + "-abc.ts", millis, discontinuity, T0.plusMillis(2000L * n));
  }

  @Test
  void rendersTheLiveWindow() {
    MediaPlaylist playlist = MediaPlaylist.empty(2);
    playlist = playlist.append(segment(0, 2000, false), 6);
    playlist = playlist.append(segment(1, 1967, true), 6);
    assertEquals(
        """
        #EXTM3U
        #EXT-X-VERSION:3
        #EXT-X-TARGETDURATION:2
        #EXT-X-MEDIA-SEQUENCE:0
        #EXT-X-PROGRAM-DATE-TIME:2024-03-01T12:00:00.250Z
        #EXTINF:2.000,
        0-abc.ts
        #EXT-X-DISCONTINUITY
        #EXT-X-PROGRAM-DATE-TIME:2024-03-01T12:00:02.250Z
        #EXTINF:1.967,
        1-abc.ts
        """,
        playlist.render());
  }

  @Test
  void renderingDoesNotDependOnTheDefaultLocale() {
    Locale before = Locale.getDefault();
    try {
      Locale.setDefault(Locale.GERMANY);
      String text = MediaPlaylist.empty(3).append(segment(0, 2533, false), 3).render();
      assertTrue(text.contains("#EXTINF:2.533,\n"), text);
      assertTrue(text.contains("#EXT-X-TARGETDURATION:3\n"), text);
    } finally {
      Locale.setDefault(before);
    }
  }

  @Test
  void slidingWindowCountsMediaAndDiscontinuitySequences() {
    MediaPlaylist playlist = MediaPlaylist.empty(2);
    for (int i = 0; i < 8; i++) {
      playlist = playlist.append(segment(i, 2000, i == 1 || i == 5), 3);
    }
    assertEquals(5, playlist.mediaSequence());
    assertEquals(8, playlist.nextMediaSequence());
    assertEquals(List.of("5-abc.ts", "6-abc.ts", "7-abc.ts"), uris(playlist));
    assertEquals(1, playlist.discontinuitySequence(), "segment 1's discontinuity slid out");
    String text = playlist.render();
    assertTrue(text.contains("#EXT-X-MEDIA-SEQUENCE:5\n#EXT-X-DISCONTINUITY-SEQUENCE:1\n"), text);

    playlist = playlist.append(segment(8, 2000, false), 3);
    assertEquals(2, playlist.discontinuitySequence(), "segment 5's discontinuity slid out");
  }

  @Test
  void targetDurationNeverChangesAndRefusesSegmentsThatRoundAboveIt() {
    MediaPlaylist playlist = MediaPlaylist.empty(2).append(segment(0, 2002, false), 2);
    assertEquals(2, playlist.targetDuration(), "2.002 s rounds to 2 (RFC 8216 4.3.3.1)");
    playlist = playlist.append(segment(1, 2499, false), 2);
    assertEquals(2, playlist.targetDuration(), "2.499 s still rounds to 2");
    MediaPlaylist before = playlist;
    IllegalArgumentException tooLong =
        assertThrows(
            IllegalArgumentException.class, () -> before.append(segment(2, 2500, false), 2));
    assertTrue(tooLong.getMessage().contains("2-abc.ts"), tooLong.getMessage());
    assertThrows(
        IllegalArgumentException.class,
        () -> new MediaPlaylist(2, 0, 0, List.of(segment(0, 2600, false)), false, -1));
    assertEquals(2, playlist.append(segment(2, 500, false), 2).targetDuration());
  }

  @Test
  void parseCoversSegmentsThatABrokenPlaylistListsAboveItsTargetDuration() throws Exception {
    String text = "#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:3.7,\na.ts\n";
    assertEquals(4, MediaPlaylist.parse(text).targetDuration());
  }

  @Test
  void endListRendersLastAndRoundTrips() throws Exception {
    MediaPlaylist playlist =
        MediaPlaylist.empty(2).append(segment(0, 2000, false), 6).withEnded(true);
    assertTrue(playlist.render().endsWith("0-abc.ts\n#EXT-X-ENDLIST\n"));
    MediaPlaylist parsed = MediaPlaylist.parse(playlist.render());
    assertTrue(parsed.ended());
    assertFalse(parsed.withEnded(false).render().contains("ENDLIST"));
  }

  @Test
  void parseReadsBackWhatRenderWrites() throws Exception {
    MediaPlaylist playlist = MediaPlaylist.empty(2);
    for (int i = 0; i < 9; i++) {
      playlist = playlist.append(segment(i, 1990 + i, i % 4 == 2), 5);
    }
    assertEquals(playlist, MediaPlaylist.parse(playlist.render()));
    assertEquals(playlist.render(), MediaPlaylist.parse(playlist.render()).render());
  }

  @Test
  void timelineEndTravelsAsACommentLine() throws Exception {
    MediaPlaylist playlist =
        MediaPlaylist.empty(2).append(segment(0, 2000, false), 6).withTimelineEnd(123_456);
    String text = playlist.render();
    assertTrue(text.contains("\n#NRS-TIMELINE-END:123456\n"), text);
    assertFalse(text.contains("#EXT-X-NRS"), "a comment (not #EXT), so clients ignore it");
    assertEquals(123_456, MediaPlaylist.parse(text).timelineEndMillis());
    assertEquals(-1, MediaPlaylist.parse(text.replace("#NRS", "#X")).timelineEndMillis());
    assertEquals(123_456, playlist.append(segment(1, 2000, false), 6).timelineEndMillis());
  }

  @Test
  void parseToleratesOtherWritersAndCrlf() throws Exception {
    String text =
        "#EXTM3U\r\n#EXT-X-VERSION:6\r\n#EXT-X-TARGETDURATION:4\r\n#EXT-X-MEDIA-SEQUENCE:17\r\n"
            + "#EXT-X-INDEPENDENT-SEGMENTS\r\n"
            + "#EXT-X-PROGRAM-DATE-TIME:2024-03-01T14:00:00+02:00\r\n"
            + "#EXTINF:3.5,title\r\nseg17.ts\r\n#EXTINF:4,\r\nseg18.ts\r\n";
    MediaPlaylist playlist = MediaPlaylist.parse(text);
    assertEquals(17, playlist.mediaSequence());
    assertEquals(4, playlist.targetDuration());
    assertEquals(19, playlist.nextMediaSequence());
    assertEquals(3500, playlist.segments().get(0).durationMillis());
    assertEquals(
        Instant.parse("2024-03-01T12:00:00Z"), playlist.segments().get(0).programDateTime());
    assertNull(playlist.segments().get(1).programDateTime());
    assertFalse(playlist.ended());
  }

  @Test
  void parseRejectsWhatCannotBeContinued() {
    assertThrows(PlaylistFormatException.class, () -> MediaPlaylist.parse("hello"));
    assertThrows(
        PlaylistFormatException.class, () -> MediaPlaylist.parse("#EXTM3U\n#EXTINF:2,\na.ts\n"));
    assertThrows(
        PlaylistFormatException.class,
        () -> MediaPlaylist.parse("#EXTM3U\n#EXT-X-TARGETDURATION:2\na.ts\n"));
    assertThrows(
        PlaylistFormatException.class,
        () -> MediaPlaylist.parse("#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:x,\na.ts\n"));
    assertThrows(
        PlaylistFormatException.class,
        () -> MediaPlaylist.parse("#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\nsource/index.m3u8\n"));
  }

  private static List<String> uris(MediaPlaylist playlist) {
    return playlist.segments().stream().map(MediaPlaylist.Segment::uri).toList();
  }
}

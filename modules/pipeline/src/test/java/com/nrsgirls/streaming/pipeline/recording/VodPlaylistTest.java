package com.nrsgirls.streaming.pipeline.recording;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class VodPlaylistTest {
  @Test
  void readsBackWhatItWritesWithADiscontinuityWhereTheInitChanges() {
    List<VodPlaylist.Entry> entries =
        List.of(
            new VodPlaylist.Entry(1, 1, 10_010),
            new VodPlaylist.Entry(2, 1, 9_990),
            new VodPlaylist.Entry(3, 2, 4_321));
    String open = VodPlaylist.render(entries, false);
    assertTrue(open.contains("#EXT-X-PLAYLIST-TYPE:EVENT"), open);
    assertTrue(!open.contains("#EXT-X-ENDLIST"), open);
    String ended = VodPlaylist.render(entries, true);
    assertEquals(
        "#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-TARGETDURATION:11\n#EXT-X-PLAYLIST-TYPE:VOD\n"
            + "#EXT-X-INDEPENDENT-SEGMENTS\n#EXT-X-MAP:URI=\"init-1.mp4\"\n"
            + "#EXTINF:10.010,\npart-000001.m4s\n#EXTINF:9.990,\npart-000002.m4s\n"
            + "#EXT-X-DISCONTINUITY\n#EXT-X-MAP:URI=\"init-2.mp4\"\n#EXTINF:4.321,\npart-000003.m4s\n"
            + "#EXT-X-ENDLIST\n",
        ended);
    assertEquals(entries, VodPlaylist.parse(ended));
    assertEquals(24_321, VodPlaylist.durationMillis(entries));
    assertEquals(List.of(), VodPlaylist.parse("not a playlist\n#EXTINF:x,\npart-1.m4s"));
  }
}

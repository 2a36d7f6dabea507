package com.nrsgirls.streaming.pipeline.hls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

class MasterPlaylistTest {
  @Test
  void rendersOneVariantPerRendition() {
    String text =
        MasterPlaylist.render(
            List.of(
                new RenditionInfo(
                    "source", 5_200_000, 4_700_000, 1920, 1080, "avc1.64002a,mp4a.40.2", 30),
                new RenditionInfo("720p", 3_000_000, 0, 1280, 720, "avc1.64001f,mp4a.40.2", 29.97),
                new RenditionInfo("audio", 140_000, 0, 0, 0, "mp4a.40.2", 0)));
    assertEquals(
        """
        #EXTM3U
        #EXT-X-VERSION:3
        #EXT-X-INDEPENDENT-SEGMENTS
        #EXT-X-STREAM-INF:BANDWIDTH=5200000,AVERAGE-BANDWIDTH=4700000,RESOLUTION=1920x1080,\
        FRAME-RATE=30.000,CODECS="avc1.64002a,mp4a.40.2"
        source/index.m3u8
        #EXT-X-STREAM-INF:BANDWIDTH=3000000,RESOLUTION=1280x720,FRAME-RATE=29.970,\
        CODECS="avc1.64001f,mp4a.40.2"
        720p/index.m3u8
        #EXT-X-STREAM-INF:BANDWIDTH=140000,CODECS="mp4a.40.2"
        audio/index.m3u8
        """,
        text);
  }

  @Test
  void refusesAnEmptyListAndQuotesInCodecs() {
    assertThrows(IllegalArgumentException.class, () -> MasterPlaylist.render(List.of()));
    assertThrows(
        IllegalArgumentException.class,
        () -> new RenditionInfo("source", 1, 0, 0, 0, "avc1\",x", 0));
  }
}

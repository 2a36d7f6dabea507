package com.nrsgirls.streaming.pipeline.hls;

import java.util.List;

/**
 * Renders a stream's master playlist (RFC 8216 §4.3.4.2): one {@code EXT-X-STREAM-INF} per
 * rendition, pointing at {@code {rendition}/index.m3u8}.
 */
public final class MasterPlaylist {
  private MasterPlaylist() {}

  /** The playlist text, variants in the order given. */
  public static String render(List<RenditionInfo> renditions) {
    if (renditions.isEmpty()) {
      throw new IllegalArgumentException("a master playlist needs at least one rendition");
    }
    StringBuilder sb = new StringBuilder(64 + 160 * renditions.size());
    sb.append("#EXTM3U\n#EXT-X-VERSION:").append(MediaPlaylist.VERSION).append('\n');
    // every segment starts with an IDR (or is audio), so each one decodes on its own
    sb.append("#EXT-X-INDEPENDENT-SEGMENTS\n");
    for (RenditionInfo r : renditions) {
      sb.append("#EXT-X-STREAM-INF:BANDWIDTH=").append(r.bandwidth());
      if (r.averageBandwidth() > 0) {
        sb.append(",AVERAGE-BANDWIDTH=").append(r.averageBandwidth());
      }
      if (r.width() > 0 && r.height() > 0) {
        sb.append(",RESOLUTION=").append(r.width()).append('x').append(r.height());
      }
      if (r.frameRate() > 0) {
        sb.append(",FRAME-RATE=");
        MediaPlaylist.appendMillisAsSeconds(sb, Math.round(r.frameRate() * 1000));
      }
      sb.append(",CODECS=\"").append(r.codecs()).append("\"\n");
      sb.append(r.uri()).append('\n');
    }
    return sb.toString();
  }
}

package com.nrsgirls.streaming.pipeline.hls;

import java.io.IOException;
import java.util.Optional;

/**
 * Where a stream's HLS output lives: per stream a master playlist, per rendition a media playlist
 * and its segments. Segments appear atomically when committed and playlists are replaced
 * atomically, so a viewer never reads a partial file. Methods block; call them from a blocking
 * dispatcher, or wrap the store in a {@link QueuedSegmentStore} whose writes return at once. Names
 * (stream id, rendition, segment name) are single path components of letters, digits, '.', '_' and
 * '-', not starting with '.'; anything else is an {@link IllegalArgumentException}.
 */
public interface SegmentStore {
  /** Starts writing segment {@code name} of a rendition; see {@link SegmentOutput}. */
  SegmentOutput createSegment(String streamId, String rendition, String name) throws IOException;

  /**
   * Starts writing a segment that is readable under its name while it grows: what was written and
   * {@linkplain SegmentOutput#flush flushed} is there for a reader that knows how far to read (a
   * low-latency part is a byte range of its segment's file). {@link SegmentOutput#commit} closes
   * it, {@link SegmentOutput#abort} deletes it. A store whose files cannot be read while written
   * makes an ordinary segment, visible at its commit.
   */
  default SegmentOutput createGrowingSegment(String streamId, String rendition, String name)
      throws IOException {
    return createSegment(streamId, rendition, name);
  }

  /** Replaces the rendition's media playlist ({@code {rendition}/index.m3u8}). */
  void writeMediaPlaylist(String streamId, String rendition, String text) throws IOException;

  /** The rendition's media playlist, if there is one. */
  Optional<String> readMediaPlaylist(String streamId, String rendition) throws IOException;

  /** Replaces the stream's master playlist ({@code index.m3u8} beside the renditions). */
  void writeMasterPlaylist(String streamId, String text) throws IOException;

  /** Deletes a committed segment; a segment that is not there is no error. */
  void deleteSegment(String streamId, String rendition, String name) throws IOException;

  /** Throws unless {@code name} is a valid single path component as described above. */
  static String checkName(String kind, String name) {
    if (name == null || name.isEmpty() || name.length() > 200 || name.charAt(0) == '.') {
      throw new IllegalArgumentException("invalid " + kind + ": " + name);
    }
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      boolean ok =
          (c >= 'a' && c <= 'z')
              || (c >= 'A' && c <= 'Z')
              || (c >= '0' && c <= '9')
              || c == '.'
              || c == '_'
              || c == '-';
      if (!ok) {
        throw new IllegalArgumentException("invalid " + kind + ": " + name);
      }
    }
    return name;
  }
}

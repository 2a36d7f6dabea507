package com.nrsgirls.streaming.pipeline.hls;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.zip.CRC32;

/**
 * A store that keeps the last playlist it wrote for each stream and rendition in memory as bytes,
 * so that playlist requests, by far the most frequent request of a live viewer, are answered
 * without touching the disk or leaving the HTTP thread. The disk is written first: a cached
 * playlist never lists a segment that is not committed. A playlist written before the node started
 * is not cached; readers fall back to the file. An entry is a few hundred bytes per rendition, with
 * the validators HTTP caches and players revalidate with (an entity tag and the time it was
 * written), computed once per write.
 */
public final class PlaylistCachingStore implements SegmentStore {
  private static final String MASTER = "";

  /**
   * A playlist as last written.
   *
   * @param etag a strong entity tag of the bytes (CRC-32 and length), without quotes
   */
  public record CachedPlaylist(byte[] bytes, Instant written, String etag) {
    static CachedPlaylist of(String text, Instant written) {
      byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
      CRC32 crc = new CRC32();
      crc.update(bytes);
      return new CachedPlaylist(
          bytes,
          written,
          Long.toHexString(crc.getValue()) + "-" + Integer.toHexString(bytes.length));
    }
  }

  private final SegmentStore store;
  private final Clock clock;
  private final Map<String, CachedPlaylist> playlists = new ConcurrentHashMap<>();

  public PlaylistCachingStore(SegmentStore store, Clock clock) {
    this.store = store;
    this.clock = clock;
  }

  /** The master playlist ({@code rendition} null) or a media playlist as last written here. */
  public Optional<CachedPlaylist> cachedPlaylist(String streamId, String rendition) {
    return Optional.ofNullable(
        playlists.get(key(streamId, rendition == null ? MASTER : rendition)));
  }

  @Override
  public SegmentOutput createSegment(String streamId, String rendition, String name)
      throws IOException {
    return store.createSegment(streamId, rendition, name);
  }

  @Override
  public SegmentOutput createGrowingSegment(String streamId, String rendition, String name)
      throws IOException {
    return store.createGrowingSegment(streamId, rendition, name);
  }

  @Override
  public void writeMediaPlaylist(String streamId, String rendition, String text)
      throws IOException {
    store.writeMediaPlaylist(streamId, rendition, text);
    playlists.put(key(streamId, rendition), CachedPlaylist.of(text, clock.instant()));
  }

  @Override
  public Optional<String> readMediaPlaylist(String streamId, String rendition) throws IOException {
    CachedPlaylist cached = playlists.get(key(streamId, rendition));
    if (cached != null) {
      return Optional.of(new String(cached.bytes(), StandardCharsets.UTF_8));
    }
    return store.readMediaPlaylist(streamId, rendition);
  }

  @Override
  public void writeMasterPlaylist(String streamId, String text) throws IOException {
    store.writeMasterPlaylist(streamId, text);
    playlists.put(key(streamId, MASTER), CachedPlaylist.of(text, clock.instant()));
  }

  @Override
  public void deleteSegment(String streamId, String rendition, String name) throws IOException {
    store.deleteSegment(streamId, rendition, name);
  }

  private static String key(String streamId, String rendition) {
    return streamId + '/' + rendition;
  }
}

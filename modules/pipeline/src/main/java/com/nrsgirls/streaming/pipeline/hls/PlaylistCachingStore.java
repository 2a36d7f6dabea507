package com.nrsgirls.streaming.pipeline.hls;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A store that keeps the last playlist it wrote for each stream and rendition in memory as bytes,
 * so that playlist requests, by far the most frequent request of a live viewer, are answered
 * without touching the disk or leaving the HTTP thread. The disk is written first: a cached
 * playlist never lists a segment that is not committed. A playlist written before the node started
 * is not cached; readers fall back to the file. An entry is a few hundred bytes per rendition.
 */
public final class PlaylistCachingStore implements SegmentStore {
  private static final String MASTER = "";

  private final SegmentStore store;
  private final Map<String, byte[]> playlists = new ConcurrentHashMap<>();

  public PlaylistCachingStore(SegmentStore store) {
    this.store = store;
  }

  /** The master playlist ({@code rendition} null) or a media playlist as last written here. */
  public Optional<byte[]> cachedPlaylist(String streamId, String rendition) {
    return Optional.ofNullable(
        playlists.get(key(streamId, rendition == null ? MASTER : rendition)));
  }

  @Override
  public SegmentOutput createSegment(String streamId, String rendition, String name)
      throws IOException {
    return store.createSegment(streamId, rendition, name);
  }

  @Override
  public void writeMediaPlaylist(String streamId, String rendition, String text)
      throws IOException {
    store.writeMediaPlaylist(streamId, rendition, text);
    playlists.put(key(streamId, rendition), text.getBytes(StandardCharsets.UTF_8));
  }

  @Override
  public Optional<String> readMediaPlaylist(String streamId, String rendition) throws IOException {
    byte[] cached = playlists.get(key(streamId, rendition));
    if (cached != null) {
      return Optional.of(new String(cached, StandardCharsets.UTF_8));
    }
    return store.readMediaPlaylist(streamId, rendition);
  }

  @Override
  public void writeMasterPlaylist(String streamId, String text) throws IOException {
    store.writeMasterPlaylist(streamId, text);
    playlists.put(key(streamId, MASTER), text.getBytes(StandardCharsets.UTF_8));
  }

  @Override
  public void deleteSegment(String streamId, String rendition, String name) throws IOException {
    store.deleteSegment(streamId, rendition, name);
  }

  private static String key(String streamId, String rendition) {
    return streamId + '/' + rendition;
  }
}

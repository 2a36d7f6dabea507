package com.nrsgirls.streaming.pipeline.hls;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HLS packaging of one publish session of a stream: the {@link SegmentClock} every rendition
 * cuts by, the media sequence number its segment 0 gets in every rendition, and the master
 * playlist, which it alone writes, listing every rendition that has published a segment.
 *
 * <p>Sequence base: the highest next media sequence number among the stream's existing rendition
 * playlists, read once when the session starts (off the stream's thread), so no rendition's numbers
 * go back and all of them agree from the first segment on. The source playlist's target duration,
 * if it is listed, is what the clock cuts to fit.
 *
 * <p>Master playlist: the source first, then the rungs from the highest bandwidth down; rewritten
 * when a rendition is measured anew or goes away, after what the rendition has listed is written
 * (so a player never finds a variant whose playlist is missing), in order, never two at once.
 * Thread-safe: renditions report from their own threads.
 */
public final class HlsPackager {
  private static final Logger log = LoggerFactory.getLogger(HlsPackager.class);

  /** The source rendition's name: a copy of what the publisher sends. */
  public static final String SOURCE = "source";

  private final SegmentStore store;
  private final Executor blocking;
  private final String streamId;
  private final SegmentClock clock;
  private final CompletableFuture<Long> sequenceBase;
  private final Map<String, RenditionInfo> renditions = new LinkedHashMap<>();
  private CompletableFuture<Void> writes = CompletableFuture.completedFuture(null);
  private String written;

  private HlsPackager(SegmentStore store, Executor blocking, String streamId, SegmentClock clock) {
    this.store = store;
    this.blocking = blocking;
    this.streamId = streamId;
    this.clock = clock;
    this.sequenceBase = new CompletableFuture<>();
  }

  /**
   * The packaging of a new session of {@code streamId}, whose renditions may include {@code
   * renditions} (the source and every rung that may run): their playlists are read on {@code
   * blocking} to find the sequence base.
   */
  public static HlsPackager open(
      SegmentStore store,
      Executor blocking,
      String streamId,
      HlsSettings settings,
      List<String> renditions) {
    HlsPackager packager = new HlsPackager(store, blocking, streamId, new SegmentClock(settings));
    CompletableFuture.runAsync(() -> packager.readSequenceBase(renditions), blocking);
    return packager;
  }

  private void readSequenceBase(List<String> names) {
    long base = 0;
    try {
      base = highestNextSequence(names);
    } finally {
      sequenceBase.complete(base);
    }
  }

  private long highestNextSequence(List<String> names) {
    long base = 0;
    for (String rendition : names) {
      try {
        Optional<String> text = store.readMediaPlaylist(streamId, rendition);
        if (text.isEmpty()) {
          continue;
        }
        MediaPlaylist playlist = MediaPlaylist.parse(text.get());
        base = Math.max(base, playlist.nextMediaSequence());
        if (rendition.equals(SOURCE) && !playlist.segments().isEmpty()) {
          clock.continueListedTarget(playlist.targetDuration());
        }
      } catch (IOException | PlaylistFormatException | RuntimeException e) {
        // that rendition starts a new playlist; its segmenter says so
        log.warn(
            "stream={} rendition={} playlist unreadable for numbering: {}",
            streamId,
            rendition,
            e.toString());
      }
    }
    return base;
  }

  public SegmentClock clock() {
    return clock;
  }

  /** The media sequence number of the clock's segment 0, once the playlists have been read. */
  public CompletionStage<Long> sequenceBase() {
    return sequenceBase;
  }

  /**
   * A rendition's figures, to be in the master playlist once {@code listed} completes (its media
   * playlist is written).
   */
  public void measured(RenditionInfo info, CompletionStage<?> listed) {
    listed.whenComplete(
        (ok, err) -> {
          synchronized (this) {
            renditions.put(info.rendition(), info);
            scheduleWrite();
          }
        });
  }

  /** The rendition has stopped (ABR switched off, say): the master lists it no more. */
  public synchronized void removed(String rendition) {
    if (renditions.remove(rendition) != null) {
      scheduleWrite();
    }
  }

  /** What the master playlist lists now, in its order. */
  public synchronized List<RenditionInfo> listed() {
    return ordered();
  }

  /** Completes once every master playlist write asked for so far is done. */
  public synchronized CompletionStage<Void> drained() {
    return writes;
  }

  private void scheduleWrite() {
    writes = writes.thenRunAsync(this::write, blocking);
  }

  private void write() {
    String text;
    synchronized (this) {
      if (renditions.isEmpty()) {
        return;
      }
      text = MasterPlaylist.render(ordered());
      if (text.equals(written)) {
        return;
      }
    }
    try {
      store.writeMasterPlaylist(streamId, text);
      synchronized (this) {
        written = text;
      }
    } catch (IOException | RuntimeException e) {
      log.error("stream={} master playlist write failed: {}", streamId, e.toString());
    }
  }

  private List<RenditionInfo> ordered() {
    List<RenditionInfo> list = new ArrayList<>(renditions.values());
    list.sort(
        Comparator.comparing((RenditionInfo r) -> !r.rendition().equals(SOURCE))
            .thenComparing(Comparator.comparingLong(RenditionInfo::bandwidth).reversed()));
    return list;
  }
}

package com.nrsgirls.streaming.pipeline.hls;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
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
public final class HlsPackager implements HlsSegmenter.SharedTimeline {
  private static final Logger log = LoggerFactory.getLogger(HlsPackager.class);

  /** The source rendition's name: a copy of what the publisher sends. */
  public static final String SOURCE = "source";

  private final SegmentStore store;
  private final Executor blocking;
  private final String streamId;
  private final SegmentClock clock;
  private final CompletableFuture<Long> sequenceBase;
  private final Map<String, RenditionInfo> renditions = new LinkedHashMap<>();
  private final Set<String> everListed;

  /** Where the session's output timeline starts: after every rendition's listed end; -1 if new. */
  private volatile long timelineStart = -1;

  private long offset = Long.MIN_VALUE;
  private CompletableFuture<Void> writes = CompletableFuture.completedFuture(null);
  private String written;

  private HlsPackager(
      SegmentStore store,
      Executor blocking,
      String streamId,
      SegmentClock clock,
      Set<String> everListed) {
    this.everListed = everListed;
    this.store = store;
    this.blocking = blocking;
    this.streamId = streamId;
    this.clock = clock;
    this.sequenceBase = new CompletableFuture<>();
  }

  /**
   * The packaging of a new session of {@code streamId}, whose renditions may include {@code
   * renditions} (the source and every rung that may run): their playlists are read on {@code
   * blocking} to find the sequence base and where the timeline goes on.
   *
   * @param everListed gets the name of every rendition the master playlist lists
   */
  public static HlsPackager open(
      SegmentStore store,
      Executor blocking,
      String streamId,
      HlsSettings settings,
      List<String> renditions,
      Set<String> everListed) {
    return open(store, blocking, streamId, settings, renditions, everListed, 0);
  }

  /**
   * As {@link #open(SegmentStore, Executor, String, HlsSettings, List, Set)}, with the session's
   * segments numbered from {@code sequenceFloor} at least: a stream whose playlists were written on
   * another node (it moved) numbers on above anything viewers saw there. A rendition whose playlist
   * here is behind that restarts its window there, after a discontinuity.
   */
  public static HlsPackager open(
      SegmentStore store,
      Executor blocking,
      String streamId,
      HlsSettings settings,
      List<String> renditions,
      Set<String> everListed,
      long sequenceFloor) {
    HlsPackager packager =
        new HlsPackager(store, blocking, streamId, new SegmentClock(settings), everListed);
    CompletableFuture.runAsync(
        () -> packager.readSequenceBase(renditions, sequenceFloor), blocking);
    return packager;
  }

  private void readSequenceBase(List<String> names, long floor) {
    long base = 0;
    try {
      base = highestNextSequence(names);
    } finally {
      sequenceBase.complete(Math.max(base, floor));
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
        if (playlist.timelineEndMillis() >= 0) {
          timelineStart =
              Math.max(
                  timelineStart, playlist.timelineEndMillis() + HlsSegmenter.TIMELINE_GAP_MILLIS);
        }
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

  private final java.util.Map<String, Long> segmentLatency =
      new java.util.concurrent.ConcurrentHashMap<>();

  /**
   * A rendition listed {@code segment}: remembers how long after its last sample (its program
   * date-time plus its duration) the playlist listing it was written.
   */
  public void segmentListed(PublishedSegment segment) {
    if (segment.programDateTime() == null || segment.listedAt() == null) {
      return;
    }
    // The program date-time is anchored on the wall clock at the session's first frame, so a
    // frame that arrives a little early makes the difference slightly negative: that is 0.
    long ended = segment.programDateTime().toEpochMilli() + segment.durationMillis();
    segmentLatency.put(segment.rendition(), Math.max(0, segment.listedAt().toEpochMilli() - ended));
  }

  /** The slowest rendition's latest segment-to-playlist latency in milliseconds, -1 before any. */
  public long segmentLatencyMillis() {
    long worst = -1;
    for (long millis : segmentLatency.values()) {
      worst = Math.max(worst, millis);
    }
    return worst;
  }

  /**
   * {@inheritDoc} A new stream starts its timeline so that the first PTS is at least {@link
   * HlsSegmenter#START_MARGIN_MILLIS}; a continued one {@link HlsSegmenter#TIMELINE_GAP_MILLIS}
   * after the furthest end any of its renditions listed. Asked only after {@link #sequenceBase()}.
   */
  @Override
  public synchronized long offsetMillis(long dts, long pts) {
    if (offset == Long.MIN_VALUE) {
      long start = timelineStart;
      offset =
          start < 0
              ? Math.max(0, HlsSegmenter.START_MARGIN_MILLIS - Math.min(dts, pts))
              : start - Math.min(dts, pts);
    }
    return offset;
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
            everListed.add(info.rendition());
            scheduleWrite();
          }
        });
  }

  /** The rendition has stopped (ABR switched off, say): the master lists it no more. */
  public synchronized void removed(String rendition) {
    segmentLatency.remove(rendition);
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

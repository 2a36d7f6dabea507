package com.nrsgirls.streaming.pipeline.hls;

import com.nrsgirls.streaming.core.media.AacConfig;
import com.nrsgirls.streaming.core.media.AvcDecoderConfig;
import com.nrsgirls.streaming.core.media.MediaPacket;
import com.nrsgirls.streaming.pipeline.mp4.Fmp4Muxer;
import java.io.IOException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The low-latency (CMAF) output of one rendition, fed by its {@link HlsSegmenter} ({@link
 * HlsSegmenter.FrameTap}): the same segments (numbered one higher, {@link #SEQUENCE_OFFSET}), on
 * the same timeline, each cut into parts of at most the part target, and {@code ll.m3u8} kept in a
 * {@link LowLatencyPlaylists}.
 *
 * <p>Parts: a part ends before the main track's frame (video, else audio) that would make it longer
 * than the part target, so every part but a segment's last lasts the part target to within a frame
 * (at 30 fps and a 200 ms target, six frames), and none lasts longer, even after a gap in the
 * timestamps: each main-track frame is held until the next one says how long it lasts (no later
 * than its part is listed anyway); each is one fMP4 fragment ({@code moof} + {@code mdat}) appended
 * to its segment's file, which is written under its own name as it grows ({@link
 * SegmentStore#createGrowingSegment}): a part is a byte range of that file, served by its own URI
 * from {@link LowLatencyPlaylists#part}, so each part costs one write and no file of its own (a
 * file per part cost more CPU than the rest of the low-latency output together). A part starting
 * with a keyframe is {@code INDEPENDENT=YES}. A part is listed as soon as the frame after it
 * arrives (one frame after its last), once its file is written; the playlist's new state is
 * published only then ({@code afterWrites}), which wakes the blocked requests it reaches.
 *
 * <p>Init segments: one per set of codec configurations, written when a segment opens with a set
 * the last one did not have, named with the session's tag so a new session never overwrites one a
 * player holds. Target duration: the classic playlist's, decided by its first segment; nothing is
 * listed before it is known, and it never changes afterwards, across sessions too. A new session of
 * the stream continues the window its previous one left here, after a discontinuity.
 *
 * <p>Single-threaded: called on the segmenter's thread. Files go through the segmenter's store, in
 * order.
 */
public final class LowLatencyRendition implements HlsSegmenter.FrameTap {
  private static final Logger log = LoggerFactory.getLogger(LowLatencyRendition.class);

  /**
   * Millisecond timestamps of 30 fps step 33, 33, 34 ms: the next frame's duration is estimated
   * from the last step, which may be a millisecond long. Six such frames are still 200 ms.
   */
  private static final long ROUNDING_MILLIS = 1;

  /** A part that is not its segment's last lasts at least this share of the target (§4.4.3.7). */
  private static final long MIN_PART_PERCENT = 85;

  /**
   * Low-latency media sequence numbers are the classic playlist's plus one, in every rendition
   * alike: hls.js 1.4 ({@code LevelController.playlistLoaded}) takes a last segment number of 0 for
   * none and stops asking for the next part until segment 1 is complete, so a player that joined in
   * a new stream's first segment stalled at its end.
   */
  static final long SEQUENCE_OFFSET = 1;

  /**
   * Delta updates ({@code CAN-SKIP-UNTIL}) are offered only by a window longer than the skip
   * boundary (six target durations) plus the segments that list their parts: with a shorter one
   * (the default: six segments, three listing parts) a delta would leave out at most one segment's
   * two lines, for a moment at the end of each segment, and hls.js 1.4.12 merging such deltas
   * stalled once in five one-minute runs (it loaded whole segments after a merge moved its
   * fragments' times).
   */
  static final int SKIP_BOUNDARY_SEGMENTS = 6;

  /** The main track's frame duration assumed before two of its frames were seen. */
  private static final long DEFAULT_FRAME_MILLIS = 33;

  private final SegmentStore store;
  private final String streamId;
  private final String rendition;
  private final String tag;
  private final long partTargetMillis;

  /**
   * {@code PART-TARGET} as the playlists give it: the part target plus 5 %, the timestamp jitter a
   * part may absorb (a few milliseconds missing before a keyframe, where a looped or reconnected
   * source starts over, would otherwise make a segment's last part longer than the target, or the
   * one before it shorter than 85 % of it: both against the spec). Parts are cut at the part
   * target, so at 25, 30 or 60 fps they are 200 ms, within 85 % of 210.
   */
  private final long advertisedPartTargetMillis;

  private final int partSegments;
  private final int playlistSize;
  private final boolean deltaUpdates;
  private final int deleteGrace;
  private final LowLatencyPlaylists playlists;
  private final Consumer<Runnable> afterWrites;
  private final Fmp4Muxer muxer = new Fmp4Muxer();

  /** The complete segments listed, oldest first. */
  private final ArrayDeque<LowLatencyPlaylist.Segment> window = new ArrayDeque<>();

  /** Per segment that left the window, its files, deleted {@code deleteGrace} segments later. */
  private final ArrayDeque<List<String>> slidOut = new ArrayDeque<>();

  private long discontinuitySequence;
  private int targetDurationSeconds;
  private boolean pendingDiscontinuity;

  // the configurations as last told, and the init segment written for them
  private AvcDecoderConfig video;
  private byte[] videoRecord;
  private AacConfig audio;
  private byte[] audioRecord;
  private boolean configChanged = true;
  private String mapUri;
  private int inits;

  // the open segment
  private long openSequence = -1;
  private boolean openDiscontinuity;
  private Instant openProgramDateTime;
  private long openStart;
  private SegmentOutput openOut;
  private List<LowLatencyPlaylist.Part> openParts = new ArrayList<>();

  private long openBytes; // written to the open segment's file, where the next part starts

  // the open part
  private boolean partOpen;
  private boolean partMainSeen;
  private boolean partIndependent;
  private long partStart;
  private long lastPartEnd;
  private long lastMainDts = Long.MIN_VALUE;
  // the main track's newest frame, held until the next one says how long it lasts
  private MediaPacket held;
  private long heldDts;
  private long heldPts;
  private long frameMillis = DEFAULT_FRAME_MILLIS;

  // what it did, for the log and tests
  private long partsWritten;
  private long failures;

  /**
   * @param store the rendition's segment store (the segmenter's)
   * @param afterWrites runs its argument once every write asked of {@code store} so far is done
   */
  public LowLatencyRendition(
      SegmentStore store,
      String streamId,
      String rendition,
      HlsSettings hls,
      LowLatencySettings settings,
      LowLatencyPlaylists playlists,
      Clock clock,
      Consumer<Runnable> afterWrites) {
    this.store = store;
    this.streamId = SegmentStore.checkName("stream id", streamId);
    this.rendition = SegmentStore.checkName("rendition", rendition);
    this.tag = Long.toString(clock.millis(), 36);
    this.partTargetMillis = settings.partTarget().toMillis();
    this.advertisedPartTargetMillis = partTargetMillis + partTargetMillis / 20;
    this.partSegments = settings.partSegments();
    this.playlistSize = Math.max(hls.playlistSize(), settings.partSegments());
    this.deltaUpdates = playlistSize > SKIP_BOUNDARY_SEGMENTS + settings.partSegments();
    this.deleteGrace = hls.deleteGrace();
    this.playlists = playlists;
    this.afterWrites = afterWrites;
    playlists
        .latest(streamId, rendition)
        .ifPresent(
            previous -> {
              // a new session of the stream: its window goes on, after a discontinuity
              previous.segments().stream()
                  .filter(LowLatencyPlaylist.Segment::complete)
                  .forEach(window::addLast);
              discontinuitySequence = previous.discontinuitySequence();
              targetDurationSeconds = previous.targetDurationSeconds();
              pendingDiscontinuity = !window.isEmpty();
            });
  }

  @Override
  public void configured(
      AvcDecoderConfig video, byte[] videoRecord, AacConfig audio, byte[] audioRecord) {
    this.video = video;
    this.videoRecord = videoRecord;
    this.audio = audio;
    this.audioRecord = audioRecord;
    configChanged = true;
  }

  @Override
  public void segmentOpened(
      long classicSequence, boolean discontinuity, Instant programDateTime, long startMillis) {
    long sequence = classicSequence + SEQUENCE_OFFSET;
    if (openOut != null) {
      dropOpen();
    }
    long expected = window.isEmpty() ? -1 : window.peekLast().sequence() + 1;
    if (expected >= 0 && sequence != expected) {
      // the classic playlist skipped numbers (gaps, a restarted window): a window of consecutive
      // numbers starts again here
      while (!window.isEmpty()) {
        slideOut();
      }
      pendingDiscontinuity = true;
    }
    try {
      if (configChanged || mapUri == null) {
        if (video == null && audio == null) {
          return;
        }
        muxer.setVideoConfig(video, videoRecord);
        muxer.setAudioConfig(audio, audioRecord);
        String name = "init-" + tag + "-" + (++inits) + ".mp4";
        SegmentOutput init = store.createSegment(streamId, rendition, name);
        byte[] initBytes = muxer.initSegment(0);
        init.write(initBytes, 0, initBytes.length);
        init.commit();
        mapUri = name;
        configChanged = false;
      }
      openOut = store.createGrowingSegment(streamId, rendition, segmentName(sequence));
    } catch (IOException | RuntimeException e) {
      failed("opening segment " + sequence, e);
      return;
    }
    openSequence = sequence;
    openDiscontinuity = discontinuity || pendingDiscontinuity;
    pendingDiscontinuity = false;
    openProgramDateTime = programDateTime;
    openStart = startMillis;
    openParts = new ArrayList<>();
    openBytes = 0;
    partOpen = false;
  }

  private String segmentName(long sequence) {
    return sequence + "-" + tag + ".m4s";
  }

  @Override
  public void frame(MediaPacket frame, boolean isVideo, long dtsMillis, long ptsMillis) {
    if (openOut == null) {
      return;
    }
    boolean hasVideo = muxer.videoConfig() != null;
    if (isVideo ? !hasVideo : muxer.audioConfig() == null) {
      return; // not a track of this segment's init
    }
    if (isVideo != hasVideo) {
      openPart(); // audio beside video goes into the part open now
      muxer.writeAudio(frame, ptsMillis);
      return;
    }
    if (held != null) {
      placeHeld(dtsMillis, true);
      if (openOut == null) {
        return; // the write failed
      }
    }
    held = frame;
    heldDts = dtsMillis;
    heldPts = ptsMillis;
    long step = dtsMillis - lastMainDts;
    if (lastMainDts != Long.MIN_VALUE && step > 0 && step <= 1000) {
      frameMillis = step;
    }
    lastMainDts = dtsMillis;
  }

  /**
   * Writes the held main-track frame now that the next one (or the segment's end) at {@code
   * endMillis} says how long it lasts: into the open part if the part still ends within the
   * advertised part target with it, else into a new part (a gap in the timestamps before a keyframe
   * would make a segment's last part longer than the target, which the spec forbids), unless the
   * part closed early would be under 85 % of the target, which the spec forbids too (at 30 fps and
   * 200 ms, five frames are: a gap within a GOP still makes its part longer). With {@code cut}, the
   * part then ends here if the next frame would not fit, so a part is listed as soon as the frame
   * after it arrives.
   */
  private void placeHeld(long endMillis, boolean cut) {
    MediaPacket frame = held;
    held = null;
    if (partOpen
        && partMainSeen
        && endMillis - partStart > advertisedPartTargetMillis + ROUNDING_MILLIS
        && (heldDts - partStart) * 100 >= advertisedPartTargetMillis * MIN_PART_PERCENT) {
      cutPart(heldDts);
      if (openOut == null) {
        return;
      }
    }
    openPart();
    boolean video = muxer.videoConfig() != null;
    if (!partMainSeen) {
      partMainSeen = true;
      partIndependent = !video || frame.isKeyframe();
    }
    if (video) {
      muxer.writeVideo(frame, heldDts, heldPts);
    } else {
      muxer.writeAudio(frame, heldPts);
    }
    if (cut && endMillis - partStart + frameMillis > partTargetMillis + ROUNDING_MILLIS) {
      cutPart(endMillis);
    }
  }

  /** Opens a part if none is: it starts where the one before it ended, or with the segment. */
  private void openPart() {
    if (!partOpen) {
      muxer.startSegment(openOut);
      partOpen = true;
      partMainSeen = false;
      partIndependent = false;
      partStart = openParts.isEmpty() ? openStart : lastPartEnd;
    }
  }

  /**
   * Ends the open part at {@code endMillis}: its fragment appended to the segment's file and passed
   * on to it, then listed once it is there.
   */
  private void cutPart(long endMillis) {
    partOpen = false;
    try {
      long bytes = muxer.endSegment(endMillis);
      if (bytes == 0) {
        return;
      }
      openOut.flush();
      String name = openSequence + "-" + tag + "." + openParts.size() + ".m4s";
      openParts.add(
          new LowLatencyPlaylist.Part(
              name,
              Math.max(1, endMillis - partStart),
              partIndependent,
              openBytes,
              Math.toIntExact(bytes)));
      openBytes += bytes;
      lastPartEnd = endMillis;
      partsWritten++;
    } catch (IOException | RuntimeException e) {
      failed("part " + openParts.size() + " of segment " + openSequence, e);
      dropOpen();
      return;
    }
    publish();
  }

  @Override
  public void segmentClosed(long classicSequence, long endMillis, int targetDurationSeconds) {
    long sequence = classicSequence + SEQUENCE_OFFSET;
    if (openOut == null || sequence != openSequence) {
      return;
    }
    if (held != null) {
      placeHeld(endMillis, false);
      if (openOut == null) {
        return;
      }
    }
    if (partOpen) {
      cutPart(endMillis);
      if (openOut == null) {
        return;
      }
    }
    if (openParts.isEmpty()) {
      dropOpen();
      return;
    }
    try {
      openOut.commit();
    } catch (IOException | RuntimeException e) {
      failed("segment " + sequence, e);
      dropOpen();
      return;
    }
    if (this.targetDurationSeconds == 0) {
      this.targetDurationSeconds = targetDurationSeconds;
    }
    window.addLast(
        new LowLatencyPlaylist.Segment(
            sequence,
            segmentName(sequence),
            endMillis - openStart,
            openDiscontinuity,
            openProgramDateTime,
            mapUri,
            List.copyOf(openParts),
            true));
    openOut = null;
    openParts = new ArrayList<>();
    while (window.size() > playlistSize) {
      slideOut();
    }
    while (slidOut.size() > deleteGrace) {
      delete(slidOut.removeFirst());
    }
    publish();
  }

  @Override
  public void segmentDropped() {
    if (openOut != null) {
      dropOpen();
      publish();
    }
  }

  @Override
  public void ended(boolean endList) {
    if (openOut != null) {
      dropOpen();
    }
    if (targetDurationSeconds > 0) {
      LowLatencyPlaylist last = state(endList);
      afterWrites.accept(() -> playlists.publish(streamId, rendition, last));
    }
    while (!slidOut.isEmpty()) {
      delete(slidOut.removeFirst());
    }
    log.debug(
        "stream={} rendition={} low-latency output done: {} parts, {} failures",
        streamId,
        rendition,
        partsWritten,
        failures);
  }

  /** Parts written so far. */
  public long partsWritten() {
    return partsWritten;
  }

  private void slideOut() {
    LowLatencyPlaylist.Segment gone = window.removeFirst();
    if (gone.discontinuity()) {
      discontinuitySequence++;
    }
    slidOut.addLast(List.of(gone.uri()));
  }

  /** Throws the open segment away (its listed parts go with it); the next one is discontinuous. */
  private void dropOpen() {
    held = null;
    if (partOpen) {
      partOpen = false;
      try {
        muxer.endSegment(); // into the segment's file, deleted next
      } catch (IOException | RuntimeException e) {
        // nothing to keep
      }
    }
    if (openOut != null) {
      openOut.abort();
      openOut = null;
    }
    openParts = new ArrayList<>();
    pendingDiscontinuity = true;
  }

  private void delete(List<String> files) {
    for (String name : files) {
      try {
        store.deleteSegment(streamId, rendition, name);
      } catch (IOException | RuntimeException e) {
        // best effort: a file left behind is disk space, never listed again
      }
    }
  }

  private void failed(String what, Exception e) {
    if (failures++ % 10 == 0) {
      log.warn(
          "stream={} rendition={} low-latency {} failed ({} so far): {}",
          streamId,
          rendition,
          what,
          failures,
          e.toString());
    }
  }

  /** Publishes the playlist as it is now, once every file it lists is written. */
  private void publish() {
    if (targetDurationSeconds == 0) {
      return; // the first segment decides the target duration; nothing is listed before
    }
    LowLatencyPlaylist now = state(false);
    afterWrites.accept(() -> playlists.publish(streamId, rendition, now));
  }

  private LowLatencyPlaylist state(boolean ended) {
    List<LowLatencyPlaylist.Segment> segments = new ArrayList<>(window);
    String hint = null;
    if (openOut != null && !openParts.isEmpty() && !ended) {
      segments.add(
          new LowLatencyPlaylist.Segment(
              openSequence,
              segmentName(openSequence),
              0,
              openDiscontinuity,
              openProgramDateTime,
              mapUri,
              List.copyOf(openParts),
              false));
    }
    if (!ended) {
      hint =
          openOut != null
              ? openSequence + "-" + tag + "." + openParts.size() + ".m4s"
              : window.isEmpty() ? null : (window.peekLast().sequence() + 1) + "-" + tag + ".0.m4s";
    }
    return new LowLatencyPlaylist(
        targetDurationSeconds,
        advertisedPartTargetMillis,
        partSegments,
        discontinuitySequence,
        segments,
        hint,
        ended,
        deltaUpdates);
  }
}

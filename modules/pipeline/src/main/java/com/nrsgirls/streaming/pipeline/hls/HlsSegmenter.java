package com.nrsgirls.streaming.pipeline.hls;

import com.nrsgirls.streaming.core.media.AacConfig;
import com.nrsgirls.streaming.core.media.AvcDecoderConfig;
import com.nrsgirls.streaming.core.media.Codec;
import com.nrsgirls.streaming.core.media.MediaFormatException;
import com.nrsgirls.streaming.core.media.MediaPacket;
import com.nrsgirls.streaming.pipeline.ts.TsMuxer;
import java.io.IOException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.EnumMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Cuts one rendition's media packets into MPEG-TS segments and keeps its live media playlist.
 *
 * <p>Data flow: {@link #accept} takes config packets (they configure the tracks) and frames, in
 * decode order. Frames go through a {@link TsMuxer} straight into the open segment's {@link
 * SegmentOutput}. A segment starts at each packet a {@link SegmentClock} marked: the segmenter's
 * own clock, or the stream's shared one so that every rendition cuts at the same frames under the
 * same media sequence numbers. Closing a segment commits it, then replaces the playlist (a sliding
 * window), then deletes segments that slid out more than {@link HlsSettings#deleteGrace()} segments
 * ago.
 *
 * <p>Long GOPs: every segment starts with a keyframe, so a GOP longer than the target duration
 * makes a longer segment. {@code EXT-X-TARGETDURATION} is fixed for the life of the playlist (RFC
 * 8216 §6.2.1) and no segment may last longer than what rounds to it (§4.3.3.1), so a new
 * playlist's target duration is decided by its first segment, before anything is listed: the
 * configured target, or the first GOP's length when that is longer (OBS's "auto" keyframe interval
 * is 8.3 s at 30 fps), up to {@link HlsSettings#maxTargetDuration()}. Only a GOP that cannot fit
 * (longer than the maximum, or than the target duration a continued playlist already lists) is
 * split into equal parts cut at non-keyframes, and counted ({@link #splitSegments()}): a player
 * joining at such a part shows nothing until the next keyframe, and a decoder reading the part
 * alone reports errors. The clock decides all of that; see {@link SegmentClock}.
 *
 * <p>{@link #open} continues the rendition's existing playlist, if any: the media sequence goes on,
 * the first new segment gets {@code EXT-X-DISCONTINUITY} and an {@code EXT-X-ENDLIST} is dropped.
 * That is how a publisher reconnect or a node restart keeps viewers playing. Segment names carry a
 * session tag, so a new session never overwrites a segment a client or a CDN may have.
 *
 * <p>Timestamps: the output timeline is the source's millisecond timeline plus a constant offset,
 * in 90 kHz ticks that wrap at 33 bits as MPEG-TS does. A new playlist keeps the source's times
 * (moved up only to keep the first PTS at least {@link #START_MARGIN_MILLIS}). A new timeline in an
 * existing playlist (a new session, or a timestamp jump) starts {@link #TIMELINE_GAP_MILLIS} after
 * where the listed media ended ({@link MediaPlaylist#timelineEndMillis()}), so TS timestamps keep
 * rising across discontinuities by less than a demuxer's discontinuity threshold: players that
 * honour {@code EXT-X-DISCONTINUITY} do not need it, ffmpeg does. {@code EXT-X-PROGRAM-DATE-TIME}
 * is anchored to the wall clock separately, when each timeline starts. A track whose timestamps
 * jump backwards by more than {@link #MAX_BACKWARD_STEP_MILLIS}, or forwards by more than {@link
 * HlsSettings#maxTimestampGap()}, ends the segment; the next one starts at a keyframe with a
 * discontinuity and a new offset. A smaller step back (timestamp jitter) moves the frame to 1 ms
 * after the one before it, so each track's timestamps keep rising in the output.
 *
 * <p>Single-threaded and not thread-safe. Its store calls block unless the store is a {@link
 * QueuedSegmentStore}; {@link #open} always reads the playlist, so call it off the stream's thread.
 */
public final class HlsSegmenter {

  /** Hears what the segmenter does; called on the segmenter's thread. */
  public interface Listener {
    Listener NONE = new Listener() {};

    /** A segment was committed and the playlist listing it written. */
    default void segmentPublished(PublishedSegment segment) {}

    /** Packets of {@code codec} are left out of the output from now on, for {@code reason}. */
    default void trackIgnored(Codec codec, String reason) {}

    /** The existing playlist could not be read, so a new one starts at media sequence 0. */
    default void playlistReset(String reason) {}
  }

  /**
   * Sees what the segmenter writes, on the segmenter's thread, so that another output (the
   * low-latency CMAF writer) cuts the same segments under the same media sequence numbers, on the
   * same timeline and with the same discontinuities.
   */
  public interface FrameTap {
    /**
     * A track's config changed ({@code null} when it is left out); each record is the packet's
     * payload as the publisher sent it (the AVC decoder configuration record, the AAC
     * AudioSpecificConfig).
     */
    void configured(
        AvcDecoderConfig video, byte[] videoRecord, AacConfig audio, byte[] audioRecord);

    /** A segment opened, starting at {@code startMillis} on the output timeline. */
    void segmentOpened(
        long sequence, boolean discontinuity, Instant programDateTime, long startMillis);

    /** A frame went into the open segment, at these output times. */
    void frame(MediaPacket frame, boolean video, long dtsMillis, long ptsMillis);

    /** The open segment was listed, ending at {@code endMillis}, under this target duration. */
    void segmentClosed(long sequence, long endMillis, int targetDurationSeconds);

    /** The open segment was thrown away (a failed write, or nothing to list). */
    void segmentDropped();

    /** The segmenter is done; {@code endList} when the stream is over. */
    void ended(boolean endList);
  }

  /**
   * The output timeline the renditions of one session share, so that the same picture has the same
   * timestamp in every rendition (RFC 8216 §6.2.4) and a player can switch between them.
   */
  public interface SharedTimeline {
    /**
     * The offset from the source's timeline to the output's, decided once for the session by the
     * first rendition that asks (with the source times of its first frame) and the same for all.
     */
    long offsetMillis(long dts, long pts);
  }

  /** A new playlist's first PTS is at least this: room for the PCR lag and early audio. */
  static final long START_MARGIN_MILLIS = 1000;

  /** Between two timelines of one playlist: more than any audio/video interleaving skew. */
  static final long TIMELINE_GAP_MILLIS = 500;

  /**
   * A track's timestamps may step back this much without a discontinuity: encoders and RTMP relays
   * jitter audio (and sometimes video) timestamps by a few frames, far less than this, while a
   * restarted encoder or a clock reset jumps back by seconds.
   */
  static final long MAX_BACKWARD_STEP_MILLIS = 100;

  /**
   * A step of the main track longer than this is a gap in the source, not its frame duration (which
   * estimates how long the last frame of a segment lasts). 1 fps is the slowest we expect.
   */
  static final long MAX_FRAME_MILLIS = 1000;

  private static final int VIDEO = 0;
  private static final int AUDIO = 1;
  private static final long UNSET = Long.MIN_VALUE;

  private final SegmentStore store;
  private final String streamId;
  private final String rendition;
  private final HlsSettings settings;
  private final Clock clock;
  private final Listener listener;
  private final String sessionTag;
  private final long targetMillis;
  private final long maxGapMillis;

  /** The longest segment the configured target duration, and the maximum, allow. */
  private final long configuredBudgetMillis;

  private final long maxBudgetMillis;

  /** The longest segment the listed target duration allows; 0 before it is decided. */
  private long listedBudgetMillis;

  /** The clock this segmenter marks packets with itself, or null when it follows a shared one. */
  private final SegmentClock ownClock;

  /** The session's clock this segmenter follows, or null. */
  private final SegmentClock sharedClock;

  /** The clock's number of the open segment. */
  private long segmentNumber = -1;

  /** Media sequence number of the shared clock's segment 0, or -1 when the clock is its own. */
  private final long sequenceBase;

  /** The session's shared output timeline, or null for one of the segmenter's own. */
  private final SharedTimeline sharedTimeline;

  private final TsMuxer muxer = new TsMuxer();
  private FrameTap tap;
  private byte[] videoRecord;
  private byte[] audioRecord;
  private final long[] lastDts = {UNSET, UNSET};
  private final ArrayDeque<String> slidOut = new ArrayDeque<>();
  private final EnumMap<Codec, String> ignored = new EnumMap<>(Codec.class);

  private MediaPlaylist playlist;
  private boolean pendingDiscontinuity;
  private boolean anchored;
  private long offsetMillis;
  private long anchorOutMillis;
  private long anchorWallMillis;
  private long wallEndMillis = Long.MIN_VALUE;
  private long lastAudioOut = Long.MIN_VALUE;
  private long lastKeyframeDts = UNSET;
  private long gopMillis;
  private boolean done;

  // the open segment, on the output timeline
  private Instant segmentProgramDateTime;
  private SegmentOutput segment;
  private String segmentName;
  private long segmentSequence;
  private long segmentStart;
  private long segmentLastDts;
  private boolean segmentDiscontinuity;
  private int segmentVideoFrames;
  private long frameMillis;

  // what the finished segments of this session measured
  private long publishedBytes;
  private long publishedMillis;
  private long peakBitsPerSecond;
  private long videoFrames;
  private long videoMillis;
  private long droppedPackets;
  private int discontinuities;
  private long timestampsMoved;
  private long splitSegments;
  private long misnumbered;
  private long gaps;

  private HlsSegmenter(
      SegmentStore store,
      String streamId,
      String rendition,
      HlsSettings settings,
      Clock clock,
      Listener listener,
      MediaPlaylist playlist,
      SegmentClock sharedClock,
      long sequenceBase,
      SharedTimeline sharedTimeline) {
    this.store = store;
    this.sharedTimeline = sharedClock == null ? null : sharedTimeline;
    this.ownClock = sharedClock == null ? new SegmentClock(settings) : null;
    this.sharedClock = sharedClock;
    this.sequenceBase = sharedClock == null ? -1 : sequenceBase;
    this.streamId = streamId;
    this.rendition = rendition;
    this.settings = settings;
    this.clock = clock;
    this.listener = listener;
    this.playlist = playlist;
    this.pendingDiscontinuity = !playlist.segments().isEmpty();
    if (!playlist.segments().isEmpty()) {
      MediaPlaylist.Segment last = playlist.segments().get(playlist.segments().size() - 1);
      if (last.programDateTime() != null) {
        wallEndMillis = last.programDateTime().toEpochMilli() + last.durationMillis();
      }
    }
    this.sessionTag = Long.toString(clock.millis(), 36);
    this.configuredBudgetMillis = budget(settings.targetDurationSeconds());
    this.maxBudgetMillis = budget(settings.maxTargetDurationSeconds());
    // A listed playlist's target duration never changes, even if the settings differ (RFC 8216
    // §6.2.1): segments are cut to fit it. A new one's is decided by its first segment.
    this.listedBudgetMillis = playlist.segments().isEmpty() ? 0 : budget(playlist.targetDuration());
    if (ownClock != null && listedBudgetMillis > 0) {
      ownClock.continueListedTarget(playlist.targetDuration());
    }
    this.targetMillis = settings.targetDuration().toMillis();
    this.maxGapMillis = settings.maxTimestampGap().toMillis();
  }

  /**
   * Opens a segmenter without a listener; see {@link #open(SegmentStore, String, String,
   * HlsSettings, Clock, Listener)}.
   */
  public static HlsSegmenter open(
      SegmentStore store, String streamId, String rendition, HlsSettings settings, Clock clock)
      throws IOException {
    return open(store, streamId, rendition, settings, clock, Listener.NONE);
  }

  /**
   * Opens a segmenter for one rendition of a stream, continuing its existing media playlist if the
   * store has one, with that playlist's target duration. Reads the playlist (a blocking call);
   * writes nothing until the first segment is done.
   */
  public static HlsSegmenter open(
      SegmentStore store,
      String streamId,
      String rendition,
      HlsSettings settings,
      Clock clock,
      Listener listener)
      throws IOException {
    return open(store, streamId, rendition, settings, clock, listener, null, -1, null);
  }

  /**
   * Opens a segmenter that cuts where a stream's shared {@link SegmentClock} marked the packets,
   * naming segment {@code n} of the clock with media sequence number {@code sequenceBase + n}. A
   * playlist a few segments behind that number lists the missed ones as {@code EXT-X-GAP}; one
   * further behind (the rendition was off, or restarted after a failure) starts a new window there,
   * after a discontinuity; so every rendition of the stream lists the same segment under the same
   * number.
   *
   * @param sharedClock the stream's clock; null for one of the segmenter's own (as {@link #open(
   *     SegmentStore, String, String, HlsSettings, Clock, Listener)})
   * @param sharedTimeline the session's output timeline, on which the frames are put; null keeps a
   *     timeline of the segmenter's own
   */
  public static HlsSegmenter open(
      SegmentStore store,
      String streamId,
      String rendition,
      HlsSettings settings,
      Clock clock,
      Listener listener,
      SegmentClock sharedClock,
      long sequenceBase,
      SharedTimeline sharedTimeline)
      throws IOException {
    Objects.requireNonNull(store, "store");
    SegmentStore.checkName("stream id", streamId);
    SegmentStore.checkName("rendition", rendition);
    Objects.requireNonNull(settings, "settings");
    Objects.requireNonNull(clock, "clock");
    Objects.requireNonNull(listener, "listener");
    MediaPlaylist playlist = MediaPlaylist.empty(settings.targetDurationSeconds());
    Optional<String> existing = store.readMediaPlaylist(streamId, rendition);
    if (existing.isPresent()) {
      try {
        playlist = MediaPlaylist.parse(existing.get()).withEnded(false);
      } catch (PlaylistFormatException e) {
        listener.playlistReset(
            "existing playlist of " + streamId + "/" + rendition + ": " + e.getMessage());
      }
    }
    return new HlsSegmenter(
        store,
        streamId,
        rendition,
        settings,
        clock,
        listener,
        playlist,
        sharedClock,
        sequenceBase,
        sharedTimeline);
  }

  /**
   * Adds the rendition's end to its playlist ({@code EXT-X-ENDLIST}) when no segmenter is open,
   * e.g. once a dropped publisher has not come back in time after {@link #finishLive()}.
   */
  public static void endPlaylist(SegmentStore store, String streamId, String rendition)
      throws IOException, PlaylistFormatException {
    Optional<String> text = store.readMediaPlaylist(streamId, rendition);
    if (text.isPresent()) {
      MediaPlaylist playlist = MediaPlaylist.parse(text.get());
      if (!playlist.ended()) {
        store.writeMediaPlaylist(streamId, rendition, playlist.withEnded(true).render());
      }
    }
  }

  /** Lets {@code tap} see everything written from the next packet on. */
  public void tap(FrameTap tap) {
    this.tap = tap;
  }

  /**
   * Takes the next packet in decode order. Config packets configure their track; frames are muxed.
   * Packets of codecs other than H.264 and AAC are dropped (see {@link #ignoredTracks()}), as are
   * frames before their track's config and, when there is video, frames before the first keyframe.
   *
   * @throws MediaFormatException on a malformed config record or frame; nothing of it was written
   * @throws IOException when the store fails; the open segment is then discarded and the next
   *     segment starts with a discontinuity
   */
  public void accept(MediaPacket packet) throws IOException, MediaFormatException {
    if (done) {
      throw new IllegalStateException("segmenter of " + streamId + "/" + rendition + " is done");
    }
    if (ownClock != null) {
      packet = ownClock.mark(packet);
    }
    Codec codec = packet.codec();
    if (codec != Codec.H264 && codec != Codec.AAC) {
      if (!ignored.containsKey(codec)) {
        ignore(codec, TsMuxer.unsupportedReason(codec).orElseThrow());
      }
      droppedPackets++;
      return;
    }
    if (packet.isConfig()) {
      configure(packet);
      return;
    }
    boolean video = codec == Codec.H264;
    if ((video ? muxer.videoConfig() : muxer.audioConfig()) == null || packet.length() == 0) {
      droppedPackets++;
      return;
    }
    int track = video ? VIDEO : AUDIO;
    boolean main = isMainTrack(video);
    long dts = packet.dts();
    long pts = packet.pts();
    long last = lastDts[track];
    if (last != UNSET) {
      long step = dts - last;
      if (step < -MAX_BACKWARD_STEP_MILLIS || step > maxGapMillis) {
        discontinuity();
      } else if (step <= 0) {
        // jitter: just after the frame before, as TS decoders and remuxers need rising timestamps
        dts = last + 1;
        pts = Math.max(pts, dts);
        timestampsMoved++;
      } else if (main && step <= MAX_FRAME_MILLIS) {
        frameMillis = step;
      }
    }
    lastDts[track] = dts;
    boolean hasVideo = muxer.videoConfig() != null;
    boolean randomAccess = hasVideo ? video && packet.isKeyframe() : !video;
    if (video && main && packet.isKeyframe()) {
      if (lastKeyframeDts != UNSET && dts > lastKeyframeDts) {
        gopMillis = dts - lastKeyframeDts;
      }
      lastKeyframeDts = dts;
    }
    if (segment == null) {
      if (!packet.startsSegment()) {
        droppedPackets++;
        return;
      }
      openSegment(dts, pts, packet.segment());
    } else if (packet.startsSegment()) {
      if (tracksChanged()) {
        pendingDiscontinuity = true; // players reset their demuxer on a new track set
      }
      if (!randomAccess) {
        splitSegments++;
      }
      long end = dts + offsetMillis;
      if (sharedClock != null && packet.segment() > segmentNumber + 1) {
        // the start of the next segment never came (dropped): end this one where the clock did
        long duration = sharedClock.durationMillis(segmentNumber);
        if (duration > 0) {
          end = Math.min(end, segmentStart + duration);
        }
      }
      closeSegment(end);
      openSegment(dts, pts, packet.segment());
    }
    write(packet, video, dts, pts);
  }

  /**
   * Publishes the open segment and ends the playlist with {@code EXT-X-ENDLIST}: the stream is
   * over. A later {@link #open} still continues the playlist.
   */
  public void finish() throws IOException {
    end(true);
  }

  /**
   * Publishes the open segment but leaves the playlist live, for a publisher that dropped and may
   * come back; viewers keep polling. Call {@link #endPlaylist} if it does not.
   */
  public void finishLive() throws IOException {
    end(false);
  }

  /**
   * Discards the open segment and stops, leaving the playlist as it is. Never throws: it is what a
   * failing branch calls on its way out.
   */
  public void abort() {
    if (segment != null) {
      muxer.abandonSegment();
      segment.abort();
      segment = null;
    }
    if (tap != null && !done) {
      tap.segmentDropped();
      tap.ended(false);
    }
    done = true;
    while (!slidOut.isEmpty()) {
      try {
        delete(slidOut.removeFirst());
      } catch (IOException | RuntimeException e) {
        // best effort: a segment left behind is only disk space, never listed again
      }
    }
  }

  private void end(boolean endList) throws IOException {
    if (done) {
      return;
    }
    done = true;
    if (segment != null) {
      closeSegment(segmentLastDts + frameMillis);
    }
    if (endList && !playlist.segments().isEmpty()) {
      playlist = playlist.withEnded(true);
      store.writeMediaPlaylist(streamId, rendition, playlist.render());
    }
    if (tap != null) {
      tap.ended(endList);
    }
    // the session is over: nothing would delete these later
    while (!slidOut.isEmpty()) {
      delete(slidOut.removeFirst());
    }
  }

  /** The playlist as last written (or as read at open, before the first segment). */
  public MediaPlaylist playlist() {
    return playlist;
  }

  /**
   * What the master playlist needs about this rendition, once a segment of this session is done:
   * measured peak and average bit rate, picture size and codecs from the configs, frame rate from
   * the frame count.
   */
  public Optional<RenditionInfo> renditionInfo() {
    if (publishedMillis == 0) {
      return Optional.empty();
    }
    AvcDecoderConfig video = muxer.videoConfig();
    AacConfig audio = muxer.audioConfig();
    StringBuilder codecs = new StringBuilder();
    if (video != null) {
      codecs.append(video.codecsString());
    }
    if (audio != null) {
      codecs.append(codecs.length() > 0 ? "," : "").append(audio.codecsString());
    }
    long average = Math.max(1, publishedBytes * 8000 / publishedMillis);
    double fps = videoMillis > 0 ? Math.round(videoFrames * 1_000_000.0 / videoMillis) / 1000.0 : 0;
    return Optional.of(
        new RenditionInfo(
            rendition,
            Math.max(peakBitsPerSecond, average),
            average,
            video != null ? video.width() : 0,
            video != null ? video.height() : 0,
            codecs.toString(),
            fps));
  }

  /** Codecs whose packets are being left out, with the reason. */
  public Map<Codec, String> ignoredTracks() {
    return Map.copyOf(ignored);
  }

  /** Frames dropped: before a config or keyframe, of ignored codecs, or empty. */
  public long droppedPackets() {
    return droppedPackets;
  }

  /** Timestamp jumps seen in this session, each one a discontinuity. */
  public int timestampDiscontinuities() {
    return discontinuities;
  }

  /**
   * Frames whose timestamp stepped back by up to {@link #MAX_BACKWARD_STEP_MILLIS} (or stood still)
   * and were moved to just after the frame before them.
   */
  public long timestampsMoved() {
    return timestampsMoved;
  }

  /**
   * Segments cut at a non-keyframe because the GOP was longer than the target duration allows (the
   * maximum, or a continued playlist's).
   */
  public long splitSegments() {
    return splitSegments;
  }

  /**
   * Segments listed under another number than the shared clock gave them, because the playlist was
   * already past it; 0 unless something is wrong with the stream's numbering.
   */
  public long misnumberedSegments() {
    return misnumbered;
  }

  /** Segments of the shared clock this rendition missed and listed as {@code EXT-X-GAP}. */
  public long gapSegments() {
    return gaps;
  }

  private void configure(MediaPacket packet) throws MediaFormatException {
    byte[] data = packet.array();
    if (packet.codec() == Codec.H264) {
      muxer.setVideoConfig(AvcDecoderConfig.parse(data, packet.offset(), packet.length()));
      if (tap != null) {
        videoRecord =
            java.util.Arrays.copyOfRange(data, packet.offset(), packet.offset() + packet.length());
        tapConfigs();
      }
      return;
    }
    AacConfig config = AacConfig.parse(data, packet.offset(), packet.length());
    Optional<String> problem = TsMuxer.unsupportedReason(config);
    if (problem.isPresent()) {
      ignore(Codec.AAC, problem.get());
      muxer.setAudioConfig(null);
    } else {
      ignored.remove(Codec.AAC);
      muxer.setAudioConfig(config);
    }
    if (tap != null) {
      audioRecord =
          muxer.audioConfig() == null
              ? null
              : java.util.Arrays.copyOfRange(
                  data, packet.offset(), packet.offset() + packet.length());
      tapConfigs();
    }
  }

  private void tapConfigs() {
    tap.configured(
        muxer.videoConfig(),
        muxer.videoConfig() == null ? null : videoRecord,
        muxer.audioConfig(),
        muxer.audioConfig() == null ? null : audioRecord);
  }

  private void ignore(Codec codec, String reason) {
    if (!reason.equals(ignored.put(codec, reason))) {
      listener.trackIgnored(codec, reason);
    }
  }

  private boolean isMainTrack(boolean video) {
    return video == (muxer.videoConfig() != null);
  }

  private boolean tracksChanged() {
    return (muxer.videoConfig() != null) != muxer.segmentHasVideo()
        || (muxer.audioConfig() != null) != muxer.segmentHasAudio();
  }

  /**
   * The longest the open segment may last: what the listed target duration allows, or, before the
   * first segment decides it, what the GOP needs (the configured target when the GOP fits it, up to
   * the maximum otherwise).
   */
  private long budgetMillis() {
    if (listedBudgetMillis > 0) {
      return listedBudgetMillis;
    }
    return gopMillis > 0 && gopMillis <= configuredBudgetMillis
        ? configuredBudgetMillis
        : maxBudgetMillis;
  }

  private static long budget(int targetSeconds) {
    return SegmentClock.budget(targetSeconds);
  }

  /**
   * The target duration a new playlist gets from its first segment: the configured one, or the
   * segment's length when longer, up to the maximum; 100 ms of slack so that a 2.0 s GOP measured
   * at 2001 ms keeps a 2 s target.
   */
  static int targetSecondsFor(HlsSettings settings, long firstSegmentMillis) {
    return (int)
        Math.min(
            settings.maxTargetDurationSeconds(),
            Math.max(settings.targetDurationSeconds(), (firstSegmentMillis - 100 + 999) / 1000));
  }

  /** Ends the open segment at the last frame and starts the next one on a new timeline. */
  private void discontinuity() throws IOException {
    discontinuities++;
    if (segment != null) {
      closeSegment(segmentLastDts + frameMillis);
    }
    pendingDiscontinuity = true;
    anchored = false;
    lastDts[VIDEO] = UNSET;
    lastDts[AUDIO] = UNSET;
    lastKeyframeDts = UNSET;
  }

  /**
   * Opens a segment whose first frame is at {@code dts} / {@code pts} on the source timeline, the
   * clock's segment {@code number}.
   */
  private void openSegment(long dts, long pts, long number) throws IOException {
    segmentNumber = number;
    if (sequenceBase >= 0) {
      long wanted = sequenceBase + number;
      if (wanted > playlist.nextMediaSequence() && !listGaps(wanted)) {
        restartWindowAt(wanted);
      } else if (wanted < playlist.nextMediaSequence()) {
        misnumbered++; // cannot go back: listed under the next number, off the others by this much
      }
    }
    if (!anchored) {
      long end = playlist.timelineEndMillis();
      if (sharedTimeline != null) {
        // the same picture at the same time in every rendition; a timestamp jump of the source
        // shows in all of them alike, after the discontinuity each one marks
        offsetMillis = sharedTimeline.offsetMillis(dts, pts);
      } else {
        offsetMillis =
            end < 0
                ? Math.max(0, START_MARGIN_MILLIS - Math.min(dts, pts))
                : end + TIMELINE_GAP_MILLIS - dts;
      }
      anchorOutMillis = dts + offsetMillis;
      anchorWallMillis = Math.max(clock.millis(), wallEndMillis);
      anchored = true;
    }
    segmentSequence = playlist.nextMediaSequence();
    segmentName = segmentSequence + "-" + sessionTag + ".ts";
    SegmentOutput output = store.createSegment(streamId, rendition, segmentName);
    try {
      muxer.startSegment(output);
    } catch (IOException | RuntimeException e) {
      muxer.abandonSegment();
      output.abort();
      throw e;
    }
    segment = output;
    segmentStart = dts + offsetMillis;
    segmentLastDts = segmentStart;
    segmentProgramDateTime =
        Instant.ofEpochMilli(anchorWallMillis + segmentStart - anchorOutMillis);
    segmentDiscontinuity = pendingDiscontinuity;
    pendingDiscontinuity = false;
    segmentVideoFrames = 0;
    if (tap != null) {
      tap.segmentOpened(
          segmentSequence, segmentDiscontinuity, segmentProgramDateTime, segmentStart);
    }
  }

  private void write(MediaPacket packet, boolean video, long sourceDts, long sourcePts)
      throws IOException, MediaFormatException {
    long dts = sourceDts + offsetMillis;
    boolean listed = video ? muxer.segmentHasVideo() : muxer.segmentHasAudio();
    if (!listed
        || (!video
            && (dts <= lastAudioOut || muxer.audioOverlaps(packet, sourcePts + offsetMillis)))) {
      // its track is not in this segment's PMT (it gets in at the next keyframe), or it is audio
      // from a new timeline that would overlap the old one's last frames, or audio a player would
      // read at or before the last frame written (the muxer gathers frames into one PES, which a
      // demuxer stamps a frame apart: a frame a few ms early after a timestamp step, which CI saw
      // in a WHIP stream's HLS as one AAC DTS twice)
      droppedPackets++;
      return;
    }
    try {
      if (video) {
        muxer.writeVideo(packet, dts, sourcePts + offsetMillis);
        segmentVideoFrames++;
      } else {
        muxer.writeAudio(packet, sourcePts + offsetMillis);
        lastAudioOut = dts;
      }
    } catch (IOException e) {
      discardSegment();
      throw e;
    }
    if (tap != null) {
      tap.frame(packet, video, dts, sourcePts + offsetMillis);
    }
    if (isMainTrack(video) && dts > segmentLastDts) {
      segmentLastDts = dts;
    }
  }

  /**
   * Lists the segments this rendition missed before {@code wanted} (its queue dropped their first
   * frames, or a write failed) as {@code EXT-X-GAP}, each as long as the clock says it was, so
   * every later segment keeps the number the other renditions give it. Only for a few missing
   * segments of a listed window whose lengths the clock still knows; false otherwise.
   */
  private boolean listGaps(long wanted) {
    long next = playlist.nextMediaSequence();
    if (playlist.segments().isEmpty() || wanted - next >= settings.playlistSize()) {
      return false;
    }
    long[] durations = new long[(int) (wanted - next)];
    for (int i = 0; i < durations.length; i++) {
      durations[i] = sharedClock.durationMillis(next + i - sequenceBase);
      if (durations[i] <= 0) {
        return false;
      }
    }
    long budget = budgetMillis();
    for (int i = 0; i < durations.length; i++) {
      MediaPlaylist before = playlist;
      MediaPlaylist.Segment gap =
          new MediaPlaylist.Segment(
              (next + i) + "-gap.ts", Math.min(durations[i], budget), false, null, true);
      playlist = before.append(gap, settings.playlistSize());
      int removed = before.segments().size() + 1 - playlist.segments().size();
      for (int r = 0; r < removed; r++) {
        slidOut.addLast(before.segments().get(r).uri());
      }
      gaps++;
    }
    return true;
  }

  /**
   * The rendition missed segments the others list (it was off, or failed and restarted): its window
   * starts again at {@code sequence}, after a discontinuity, and what it listed slides out.
   */
  private void restartWindowAt(long sequence) {
    MediaPlaylist before = playlist;
    playlist = before.restartingAt(sequence);
    for (MediaPlaylist.Segment s : before.segments()) {
      slidOut.addLast(s.uri());
    }
    pendingDiscontinuity |= !before.segments().isEmpty();
  }

  private void discardSegment() {
    muxer.abandonSegment();
    segment.abort();
    segment = null;
    pendingDiscontinuity = true;
    if (tap != null) {
      tap.segmentDropped();
    }
  }

  /**
   * Commits and lists the open segment as ending at {@code endMillis}, or at the longest duration
   * the target duration allows if that is earlier (only after a gap in the source).
   */
  private void closeSegment(long endMillis) throws IOException {
    endMillis = Math.min(endMillis, segmentStart + budgetMillis());
    long bytes;
    try {
      bytes = muxer.endSegment();
    } catch (IOException e) {
      discardSegment();
      throw e;
    }
    SegmentOutput output = segment;
    segment = null;
    long duration = endMillis - segmentStart;
    if (duration <= 0) {
      output.abort(); // a single frame of unknown length: nothing to list
      pendingDiscontinuity |= segmentDiscontinuity;
      if (tap != null) {
        tap.segmentDropped();
      }
      return;
    }
    try {
      output.commit();
    } catch (IOException e) {
      pendingDiscontinuity = true;
      if (tap != null) {
        tap.segmentDropped();
      }
      throw e;
    }
    if (listedBudgetMillis == 0) {
      // The first segment of a new playlist decides its target duration (see the class comment).
      int seconds = targetSecondsFor(settings, duration);
      playlist = playlist.withTargetDuration(seconds);
      listedBudgetMillis = budget(seconds);
    }
    Instant programDateTime = segmentProgramDateTime;
    MediaPlaylist.Segment listed =
        new MediaPlaylist.Segment(segmentName, duration, segmentDiscontinuity, programDateTime);
    MediaPlaylist before = playlist;
    playlist = before.append(listed, settings.playlistSize()).withTimelineEnd(endMillis);
    wallEndMillis = programDateTime.toEpochMilli() + duration;
    store.writeMediaPlaylist(streamId, rendition, playlist.render());
    if (tap != null) {
      tap.segmentClosed(segmentSequence, endMillis, playlist.targetDuration());
    }
    Instant listedAt = clock.instant();
    int removed = before.segments().size() + 1 - playlist.segments().size();
    for (int i = 0; i < removed; i++) {
      slidOut.addLast(before.segments().get(i).uri());
    }
    while (slidOut.size() > settings.deleteGrace()) {
      delete(slidOut.removeFirst());
    }
    publishedBytes += bytes;
    publishedMillis += duration;
    if (duration * 2 >= targetMillis) {
      peakBitsPerSecond = Math.max(peakBitsPerSecond, bytes * 8000 / duration);
    }
    if (segmentVideoFrames > 0) {
      videoFrames += segmentVideoFrames;
      videoMillis += duration;
    }
    listener.segmentPublished(
        new PublishedSegment(
            rendition,
            segmentName,
            segmentSequence,
            duration,
            bytes,
            segmentDiscontinuity,
            programDateTime,
            listedAt));
  }

  /** Deletes a slid-out segment; URIs this segmenter did not write (after a restart) are kept. */
  private void delete(String uri) throws IOException {
    try {
      store.deleteSegment(streamId, rendition, uri);
    } catch (IllegalArgumentException notOurs) {
      // an absolute or nested URI from a playlist someone else wrote; leave it alone
    }
  }
}

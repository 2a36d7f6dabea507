package com.nrsgirls.streaming.pipeline.hls;

import com.nrsgirls.streaming.core.media.AacConfig;
import com.nrsgirls.streaming.core.media.Codec;
import com.nrsgirls.streaming.core.media.MediaFormatException;
import com.nrsgirls.streaming.core.media.MediaPacket;
import com.nrsgirls.streaming.pipeline.ts.TsMuxer;

/**
 * Decides where a stream's HLS segments begin, once, on the source's packets: every rendition (the
 * source copy and each transcoded rung) cuts where the clock says, with the same segment numbers,
 * so a player can switch renditions at any segment. {@link #mark} returns the packet that starts a
 * segment {@linkplain MediaPacket#startingSegment numbered}; transcoders make that picture an IDR
 * in every rung, and {@link HlsSegmenter}s cut there.
 *
 * <p>Where: at the first video keyframe once the target duration is reached (audio-only: at the
 * first frame past it), or earlier at a keyframe when waiting for the next one would make the
 * segment longer than the target duration allows. A GOP longer than the target duration makes a
 * longer segment: the playlist's target duration is decided by its first segment (the configured
 * target, or the first GOP's length when longer, up to {@link HlsSettings#maxTargetDuration()}), or
 * is the one a continued playlist already lists ({@link #continueListedTarget}). Only a GOP that
 * cannot fit is split into equal parts cut at non-keyframes. A new segment also starts at the first
 * keyframe after a timestamp jump or a change of the track set, as the segmenters start a new
 * timeline there.
 *
 * <p>Single-threaded: {@link #mark} is called on the stream's thread, in decode order, before the
 * packets fan out; {@link #continueListedTarget} may be called from another thread.
 */
public final class SegmentClock {
  private static final int VIDEO = 0;
  private static final int AUDIO = 1;
  private static final long UNSET = Long.MIN_VALUE;

  /** How many recent segments the clock remembers the times of. */
  private static final int RECENT = 64;

  private final HlsSettings settings;
  private final long cutMillis;
  private final long minSegmentMillis;
  private final long maxGapMillis;
  private final long configuredBudgetMillis;
  private final long maxBudgetMillis;

  /** The longest segment the listed target duration allows; 0 until decided. */
  private volatile long listedBudgetMillis;

  private final long[] lastDts = {UNSET, UNSET};
  private boolean hasVideo;
  private boolean hasAudio;
  private boolean segmentHasVideo;
  private boolean segmentHasAudio;
  private boolean pendingCut;
  private boolean open;
  private long segmentStart;
  private long lastMainDts;
  private long lastKeyframeDts = UNSET;
  private long gopMillis;
  private long frameMillis;
  private long next;
  private long splits;

  /** Source times where recent segments started and ended, by number modulo their length. */
  private final long[] starts = new long[RECENT];

  private final long[] ends = new long[RECENT];

  public SegmentClock(HlsSettings settings) {
    this.settings = settings;
    long target = settings.targetDuration().toMillis();
    this.cutMillis = target - target / 10;
    this.minSegmentMillis = target / 4;
    this.maxGapMillis = settings.maxTimestampGap().toMillis();
    this.configuredBudgetMillis = budget(settings.targetDurationSeconds());
    this.maxBudgetMillis = budget(settings.maxTargetDurationSeconds());
  }

  /**
   * The stream continues a playlist that already lists {@code targetSeconds} as its target
   * duration: segments are cut to fit it. Ignored once the clock has decided a target itself.
   */
  public void continueListedTarget(int targetSeconds) {
    if (listedBudgetMillis == 0) {
      listedBudgetMillis = budget(targetSeconds);
    }
  }

  private void recordEnd(long number, long end) {
    synchronized (starts) {
      ends[(int) (number % RECENT)] = end;
    }
  }

  /**
   * How long segment {@code number} lasted on the source's timeline, or -1 if it is still open, too
   * old to remember, or never started. Thread-safe: renditions ask it from their own threads to
   * list a segment they missed as a gap, or to end the one before it.
   */
  public long durationMillis(long number) {
    synchronized (starts) {
      if (number < 0 || number >= next || number < next - RECENT) {
        return -1;
      }
      long end = ends[(int) (number % RECENT)];
      return end == UNSET ? -1 : end - starts[(int) (number % RECENT)];
    }
  }

  /** Segments started so far; the next one gets this number. */
  public long segmentsStarted() {
    synchronized (starts) {
      return next;
    }
  }

  /** Segments cut at a non-keyframe because the GOP could not fit the target duration. */
  public long splitSegments() {
    return splits;
  }

  /**
   * The packet, numbered if a segment starts with it. Configs and frames of other codecs than H.264
   * and AAC pass unmarked.
   */
  public MediaPacket mark(MediaPacket packet) {
    Codec codec = packet.codec();
    if (codec != Codec.H264 && codec != Codec.AAC) {
      return packet;
    }
    boolean video = codec == Codec.H264;
    if (packet.isConfig()) {
      configure(packet, video);
      return packet;
    }
    if ((video ? !hasVideo : !hasAudio) || packet.length() == 0) {
      return packet; // the segmenters drop it too
    }
    int track = video ? VIDEO : AUDIO;
    boolean main = video == hasVideo;
    long dts = packet.dts();
    long last = lastDts[track];
    if (last != UNSET) {
      long step = dts - last;
      if (step < -HlsSegmenter.MAX_BACKWARD_STEP_MILLIS || step > maxGapMillis) {
        timestampJump();
      } else if (step <= 0) {
        dts = last + 1; // as the segmenters move jittered frames
      } else if (main && step <= HlsSegmenter.MAX_FRAME_MILLIS) {
        frameMillis = step;
      }
    }
    lastDts[track] = dts;
    boolean candidate = hasVideo ? video && packet.isKeyframe() : !video;
    if (video && main && packet.isKeyframe()) {
      if (lastKeyframeDts != UNSET && dts > lastKeyframeDts) {
        gopMillis = dts - lastKeyframeDts;
      }
      lastKeyframeDts = dts;
    }
    boolean cut;
    if (!open || pendingCut) {
      cut = candidate;
    } else {
      cut = main && shouldCut(dts, candidate);
      if (cut && !candidate) {
        splits++;
      }
    }
    if (main) {
      lastMainDts = dts;
    }
    if (!cut) {
      return packet;
    }
    if (open && listedBudgetMillis == 0) {
      decideTarget(dts - segmentStart);
    }
    if (open && !pendingCut) {
      recordEnd(next - 1, dts);
    }
    open = true;
    pendingCut = false;
    segmentStart = dts;
    long number;
    synchronized (starts) {
      number = next++;
      starts[(int) (number % RECENT)] = dts;
      ends[(int) (number % RECENT)] = UNSET;
    }
    segmentHasVideo = hasVideo;
    segmentHasAudio = hasAudio;
    return packet.startingSegment(number);
  }

  private void configure(MediaPacket packet, boolean video) {
    if (video) {
      hasVideo = true; // a malformed record leaves the segmenters' track as it was: configured
    } else {
      try {
        AacConfig config = AacConfig.parse(packet.array(), packet.offset(), packet.length());
        hasAudio = TsMuxer.unsupportedReason(config).isEmpty();
      } catch (MediaFormatException e) {
        // the segmenters keep the previous audio config too
      }
    }
    if (open && (hasVideo != segmentHasVideo || hasAudio != segmentHasAudio)) {
      pendingCut = true; // players reset their demuxer on a new track set
    }
  }

  /** A jump: the segmenters end their segment at the last frame and start anew at a keyframe. */
  private void timestampJump() {
    if (open && listedBudgetMillis == 0) {
      decideTarget(lastMainDts + frameMillis - segmentStart);
    }
    if (open && !pendingCut) {
      recordEnd(next - 1, lastMainDts + frameMillis);
    }
    pendingCut = true;
    lastDts[VIDEO] = UNSET;
    lastDts[AUDIO] = UNSET;
    lastKeyframeDts = UNSET;
  }

  /** The first segment of a new playlist decides its target duration, as the segmenters do. */
  private void decideTarget(long firstSegmentMillis) {
    listedBudgetMillis = budget(HlsSegmenter.targetSecondsFor(settings, firstSegmentMillis));
  }

  /** As {@link HlsSegmenter}'s cut rule always was; see the class comment. */
  private boolean shouldCut(long dts, boolean keyframe) {
    long elapsed = dts - segmentStart;
    long budget = budgetMillis();
    if (keyframe) {
      if (elapsed >= cutMillis) {
        return true;
      }
      return gopMillis > 0 && elapsed >= minSegmentMillis && elapsed + gopMillis > budget;
    }
    // half a frame more than the next frame needs: frame steps on a millisecond clock jitter
    if (elapsed + frameMillis + frameMillis / 2 > budget) {
      return true;
    }
    if (gopMillis <= budget) {
      return false;
    }
    long parts = (gopMillis + budget - 1) / budget;
    return elapsed >= gopMillis / parts;
  }

  private long budgetMillis() {
    long listed = listedBudgetMillis;
    if (listed > 0) {
      return listed;
    }
    return gopMillis > 0 && gopMillis <= configuredBudgetMillis
        ? configuredBudgetMillis
        : maxBudgetMillis;
  }

  /** The longest segment duration that rounds to {@code targetSeconds} (RFC 8216 §4.3.3.1). */
  static long budget(int targetSeconds) {
    return targetSeconds * 1000L + 499;
  }
}

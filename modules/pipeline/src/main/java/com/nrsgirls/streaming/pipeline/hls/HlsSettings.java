package com.nrsgirls.streaming.pipeline.hls;

import java.time.Duration;
import java.util.Objects;

/**
 * How an {@link HlsSegmenter} cuts and lists segments.
 *
 * @param targetDuration how long a segment should be; a segment is cut at the first video keyframe
 *     at or after (90% of) this, so with video the GOP length sets the real duration
 * @param maxTargetDuration the longest a GOP may make a segment: a new playlist's {@code
 *     EXT-X-TARGETDURATION} is the target duration, or the first GOP's length when that is longer,
 *     up to this; only a GOP that does not fit (longer than this, or longer than a continued
 *     playlist's target duration) is split
 * @param playlistSize segments listed in the live playlist (RFC 8216 §6.2.2 wants at least three
 *     target durations' worth)
 * @param deleteGrace segments kept in the store after they slide out of the playlist, for clients
 *     that fetched the playlist just before
 * @param maxTimestampGap a forward jump of a track's timestamps larger than this, like a jump
 *     backwards of more than 100 ms, is treated as a discontinuity
 */
public record HlsSettings(
    Duration targetDuration,
    Duration maxTargetDuration,
    int playlistSize,
    int deleteGrace,
    Duration maxTimestampGap) {

  public static final HlsSettings DEFAULT =
      new HlsSettings(Duration.ofSeconds(2), Duration.ofSeconds(12), 6, 2, Duration.ofSeconds(10));

  public HlsSettings {
    Objects.requireNonNull(targetDuration, "targetDuration");
    Objects.requireNonNull(maxTargetDuration, "maxTargetDuration");
    Objects.requireNonNull(maxTimestampGap, "maxTimestampGap");
    if (targetDuration.toMillis() < 100) {
      throw new IllegalArgumentException("target duration below 100 ms: " + targetDuration);
    }
    if (maxTargetDuration.compareTo(targetDuration) < 0) {
      throw new IllegalArgumentException("max target duration below the target duration");
    }
    if (playlistSize < 1) {
      throw new IllegalArgumentException("playlist size must be at least 1: " + playlistSize);
    }
    if (deleteGrace < 0) {
      throw new IllegalArgumentException("delete grace must not be negative: " + deleteGrace);
    }
    if (maxTimestampGap.compareTo(targetDuration) < 0) {
      throw new IllegalArgumentException("max timestamp gap below the target duration");
    }
  }

  public HlsSettings withTargetDuration(Duration value) {
    return new HlsSettings(
        value,
        value.compareTo(maxTargetDuration) > 0 ? value : maxTargetDuration,
        playlistSize,
        deleteGrace,
        value.compareTo(maxTimestampGap) > 0 ? value : maxTimestampGap);
  }

  public HlsSettings withMaxTargetDuration(Duration value) {
    return new HlsSettings(targetDuration, value, playlistSize, deleteGrace, maxTimestampGap);
  }

  public HlsSettings withPlaylistSize(int value) {
    return new HlsSettings(targetDuration, maxTargetDuration, value, deleteGrace, maxTimestampGap);
  }

  public HlsSettings withDeleteGrace(int value) {
    return new HlsSettings(targetDuration, maxTargetDuration, playlistSize, value, maxTimestampGap);
  }

  public HlsSettings withMaxTimestampGap(Duration value) {
    return new HlsSettings(targetDuration, maxTargetDuration, playlistSize, deleteGrace, value);
  }

  /** {@code EXT-X-TARGETDURATION} before any segment needs more: the target, rounded up. */
  int targetDurationSeconds() {
    return (int) Math.max(1, (targetDuration.toMillis() + 999) / 1000);
  }

  /** The longest {@code EXT-X-TARGETDURATION} a first GOP may set: the maximum, rounded up. */
  int maxTargetDurationSeconds() {
    return (int) Math.max(1, (maxTargetDuration.toMillis() + 999) / 1000);
  }
}

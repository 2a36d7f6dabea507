package com.nrsgirls.streaming.ingest;

/**
 * When a publisher's next video keyframe should arrive: the last keyframe's arrival plus the
 * timestamp distance between the last two keyframes. Encoders send in real time with a fixed GOP,
 * so the forecast is good to a frame or two. A segment can only close when that keyframe is in; the
 * connection reads without pacing around the forecast so the segment is not held back by the read
 * interval. Not thread-safe: it belongs to one connection's stage.
 */
final class KeyframeForecast {
  /** GOPs longer than this are not forecast (a still image, a paused encoder). */
  private static final long MAX_INTERVAL_MS = 20_000;

  /** Until the first interval is known, reads are not paced at all for at most this long. */
  private static final long STARTUP_NANOS = 10_000_000_000L;

  private final long leadNanos;
  private final long graceNanos;
  private final long startupEndsNanos;
  private boolean learned;
  private long lastDts;
  private boolean seen;
  private long expectedNanos;
  private boolean forecast;

  /**
   * @param leadNanos how long before the forecast the window opens
   * @param graceNanos how long after the forecast it stays open when the keyframe is late
   * @param startNanos when the publish started: until two keyframes gave the interval (at most 10
   *     s), every moment counts as due, so the stream's first segments are not held back either
   */
  KeyframeForecast(long leadNanos, long graceNanos, long startNanos) {
    this.leadNanos = leadNanos;
    this.graceNanos = graceNanos;
    this.startupEndsNanos = startNanos + STARTUP_NANOS;
  }

  /** A video keyframe with decode timestamp {@code dtsMillis} arrived at {@code nowNanos}. */
  void keyframe(long dtsMillis, long nowNanos) {
    long interval = dtsMillis - lastDts;
    forecast = seen && interval > 0 && interval <= MAX_INTERVAL_MS;
    if (forecast) {
      learned = true;
      expectedNanos = nowNanos + interval * 1_000_000;
    }
    lastDts = dtsMillis;
    seen = true;
  }

  /** Whether the next keyframe is due about now: within the lead before or the grace after. */
  boolean due(long nowNanos) {
    if (!learned) {
      return nowNanos - startupEndsNanos < 0;
    }
    return forecast
        && nowNanos - (expectedNanos - leadNanos) >= 0
        && nowNanos - (expectedNanos + graceNanos) <= 0;
  }
}

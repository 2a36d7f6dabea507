package com.nrsgirls.streaming.pipeline.stream;

import com.typesafe.config.Config;
import java.time.Duration;

/**
 * When a live session's health raises an alert ({@code nrs.streaming.pipeline.alerts}).
 *
 * @param noMedia no audio or video frame for this long
 * @param minBitrateKbps ingest bitrate under this, once the session has sent media for a health
 *     window
 * @param maxKeyframeInterval keyframes further apart than this
 * @param maxDroppedPackets the outputs dropped more packets than this within {@code droppedWindow}
 * @param droppedWindow see {@code maxDroppedPackets}
 * @param settle how long after a session starts, or after media comes back, the bitrate is not
 *     judged (the health window is still filling)
 */
public record AlertThresholds(
    Duration noMedia,
    long minBitrateKbps,
    Duration maxKeyframeInterval,
    long maxDroppedPackets,
    Duration droppedWindow,
    Duration settle) {

  /** The seed's thresholds and the issue's: 5 s, 1000 kbit/s, 4 s, 100 packets a minute. */
  public static final AlertThresholds DEFAULT =
      new AlertThresholds(
          Duration.ofSeconds(5),
          1000,
          Duration.ofSeconds(4),
          100,
          Duration.ofMinutes(1),
          Duration.ofSeconds(6));

  /**
   * From {@code nrs.streaming.pipeline.alerts}. With low-latency HLS on, keyframes further apart
   * than {@code max-keyframe-interval-low-latency} are flagged instead (when it is the lower): a
   * low-latency viewer joins at a keyframe, so the GOP sets the floor of a join, and the LL-HLS
   * issue asks for GOPs over 2 s to show in the health.
   */
  static AlertThresholds create(Config c, boolean lowLatencyHls) {
    Duration keyframes = c.getDuration("max-keyframe-interval");
    Duration lowLatency = c.getDuration("max-keyframe-interval-low-latency");
    return new AlertThresholds(
        c.getDuration("no-media"),
        c.getLong("min-bitrate-kbps"),
        lowLatencyHls && lowLatency.compareTo(keyframes) < 0 ? lowLatency : keyframes,
        c.getLong("max-dropped-packets"),
        c.getDuration("dropped-packets-window"),
        c.getDuration("settle"));
  }
}

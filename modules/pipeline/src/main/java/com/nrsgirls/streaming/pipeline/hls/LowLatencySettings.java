package com.nrsgirls.streaming.pipeline.hls;

import com.typesafe.config.Config;
import java.time.Duration;
import java.util.Objects;

/**
 * Low-latency HLS beside the classic playlists: every rendition also written as CMAF (fMP4) parts
 * of {@code partTarget}, listed in {@code {rendition}/ll.m3u8} with blocking reload.
 *
 * @param enabled whether the renditions write parts at all (the classic TS output is always on)
 * @param partTarget {@code EXT-X-PART-INF:PART-TARGET}: a part is cut before the video frame that
 *     would make it longer than this
 * @param partSegments how many of the last complete segments still list their parts (the open one
 *     always does)
 */
public record LowLatencySettings(boolean enabled, Duration partTarget, int partSegments) {
  public static final LowLatencySettings OFF =
      new LowLatencySettings(false, Duration.ofMillis(200), 3);

  public LowLatencySettings {
    Objects.requireNonNull(partTarget, "partTarget");
    if (partTarget.toMillis() < 50 || partTarget.toMillis() > 2000) {
      throw new IllegalArgumentException("part target outside 50 ms to 2 s: " + partTarget);
    }
    if (partSegments < 1) {
      throw new IllegalArgumentException("part segments must be at least 1: " + partSegments);
    }
  }

  /** From {@code nrs.streaming.pipeline.hls.low-latency}. */
  public static LowLatencySettings create(Config config) {
    Config c = config.getConfig("nrs.streaming.pipeline.hls.low-latency");
    return new LowLatencySettings(
        c.getBoolean("enabled"), c.getDuration("part-target"), c.getInt("part-segments"));
  }
}

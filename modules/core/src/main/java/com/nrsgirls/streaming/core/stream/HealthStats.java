package com.nrsgirls.streaming.core.stream;

import com.nrsgirls.streaming.core.CborSerializable;
import java.time.Instant;
import java.util.Map;

/**
 * A coarse snapshot of a live session's media, sent by its graph about once a second. Shown in the
 * state API; never persisted per snapshot.
 *
 * @param bitrateKbps ingest bitrate (audio and video payload) over the last interval
 * @param fps video frames per second over the last interval
 * @param keyframeIntervalMillis time between the last two video keyframes, 0 before the second
 * @param bytesReceived payload bytes since the session started
 * @param videoFrames video frames since the session started
 * @param audioFrames audio frames since the session started
 * @param branchDrops packets each output branch dropped because it fell behind, by branch name
 */
public record HealthStats(
    long bitrateKbps,
    double fps,
    long keyframeIntervalMillis,
    long bytesReceived,
    long videoFrames,
    long audioFrames,
    Map<String, Long> branchDrops,
    Instant measuredAt)
    implements CborSerializable {}

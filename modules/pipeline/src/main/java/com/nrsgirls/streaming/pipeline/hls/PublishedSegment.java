package com.nrsgirls.streaming.pipeline.hls;

import java.time.Instant;

/**
 * A segment that has just been listed in its media playlist: for metrics and latency measurements.
 *
 * @param rendition the rendition it belongs to
 * @param name its file name / URI relative to the media playlist
 * @param mediaSequence its media sequence number
 * @param durationMillis its {@code EXTINF} duration in milliseconds
 * @param bytes its size
 * @param discontinuity whether {@code EXT-X-DISCONTINUITY} precedes it
 * @param programDateTime the wall-clock time of its first sample, as listed
 * @param listedAt when the playlist listing it had been written
 */
public record PublishedSegment(
    String rendition,
    String name,
    long mediaSequence,
    long durationMillis,
    long bytes,
    boolean discontinuity,
    Instant programDateTime,
    Instant listedAt) {}

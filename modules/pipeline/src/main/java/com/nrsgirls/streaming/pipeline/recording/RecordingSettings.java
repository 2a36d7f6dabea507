package com.nrsgirls.streaming.pipeline.recording;

import com.typesafe.config.Config;
import java.nio.file.Path;
import java.time.Duration;

/**
 * How the node records ({@code nrs.streaming.pipeline.recording}).
 *
 * @param enabled whether a stream that did not say otherwise is recorded
 * @param partDuration a part is cut at the first keyframe at or after this much media
 * @param maxPartBytes a part that grows past this (a GOP far longer than the part duration) is cut
 *     at once, keyframe or not
 * @param spoolDir where parts wait, as files, until the store has confirmed them
 * @param retention recordings older than this are deleted; zero keeps them
 * @param retryMin first wait before an upload is tried again; doubles up to {@code retryMax}
 * @param retryMax the longest wait between tries
 * @param giveUpAfter an upload failing for this long marks the recording failed (its parts stay in
 *     the spool directory)
 */
public record RecordingSettings(
    boolean enabled,
    Duration partDuration,
    long maxPartBytes,
    Path spoolDir,
    Duration retention,
    Duration retryMin,
    Duration retryMax,
    Duration giveUpAfter) {

  public static RecordingSettings from(Config config) {
    Config c = config.getConfig("nrs.streaming.pipeline.recording");
    return new RecordingSettings(
        c.getBoolean("enabled"),
        c.getDuration("part-duration"),
        c.getBytes("max-part-bytes"),
        Path.of(c.getString("spool-dir")),
        c.getDuration("retention"),
        c.getDuration("retry-min"),
        c.getDuration("retry-max"),
        c.getDuration("give-up-after"));
  }
}

package com.nrsgirls.streaming.pipeline.graph;

import com.typesafe.config.Config;
import java.time.Duration;

/**
 * How a session's media graph is dimensioned, read once from {@code nrs.streaming.pipeline.graph}.
 *
 * @param hubBuffer packets the fan-out holds for its slowest branch buffer (a power of two)
 * @param branchBufferPackets packets a branch may fall behind before it drops to a keyframe
 * @param branchBufferBytes payload bytes a branch may fall behind before it drops to a keyframe
 * @param healthInterval how often the graph reports health to the entity
 * @param branchRestartBackoff wait before a failed branch is attached again
 * @param flushTimeout how long a branch may take to finish once the session is over
 * @param keyframeIntervalWarning a keyframe interval longer than this is warned about in the health
 * @param ingestAttachTimeout how long the graph waits for ingest to attach to its sink; past it the
 *     graph ends with {@link SessionGraph#INGEST_NEVER_ATTACHED} and ingest may attach again
 */
public record GraphSettings(
    int hubBuffer,
    int branchBufferPackets,
    long branchBufferBytes,
    Duration healthInterval,
    Duration branchRestartBackoff,
    Duration flushTimeout,
    Duration keyframeIntervalWarning,
    Duration ingestAttachTimeout) {

  public static GraphSettings create(Config config) {
    Config c = config.getConfig("nrs.streaming.pipeline.graph");
    int hub = c.getInt("hub-buffer");
    if (Integer.bitCount(hub) != 1) {
      throw new IllegalArgumentException("nrs.streaming.pipeline.graph.hub-buffer: power of two");
    }
    return new GraphSettings(
        hub,
        c.getInt("branch-buffer-packets"),
        c.getBytes("branch-buffer-bytes"),
        c.getDuration("health-interval"),
        c.getDuration("branch-restart-backoff"),
        c.getDuration("flush-timeout"),
        c.getDuration("keyframe-interval-warning"),
        c.getDuration("ingest-attach-timeout"));
  }
}

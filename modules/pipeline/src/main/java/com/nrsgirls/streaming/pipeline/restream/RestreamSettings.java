package com.nrsgirls.streaming.pipeline.restream;

import com.typesafe.config.Config;
import java.time.Duration;

/**
 * How the node pushes streams on to their restream targets, read once from {@code
 * nrs.streaming.pipeline.restream}.
 *
 * @param chunkSize the chunk size we send with
 * @param connectTimeout how long a TCP (and TLS) connect may take
 * @param publishTimeout how long from connected to the server accepting the publish
 * @param queuePackets packets a target may fall behind before it drops to the next keyframe
 * @param maxMessageLength the longest message accepted from a target's server
 */
public record RestreamSettings(
    int chunkSize,
    Duration connectTimeout,
    Duration publishTimeout,
    int queuePackets,
    int maxMessageLength) {

  public static RestreamSettings create(Config config) {
    Config c = config.getConfig("nrs.streaming.pipeline.restream");
    return new RestreamSettings(
        c.getInt("chunk-size"),
        c.getDuration("connect-timeout"),
        c.getDuration("publish-timeout"),
        c.getInt("queue-packets"),
        (int) c.getMemorySize("max-message-length").toBytes());
  }
}

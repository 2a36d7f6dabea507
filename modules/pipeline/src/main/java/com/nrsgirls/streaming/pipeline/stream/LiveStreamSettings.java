package com.nrsgirls.streaming.pipeline.stream;

import com.typesafe.config.Config;
import java.time.Duration;

/**
 * Settings of the {@code LiveStream} entity, read once from {@code nrs.streaming.pipeline}.
 *
 * @param keyTtl how long a new stream key stays valid
 * @param takeoverTimeout how long a reconnecting publisher waits for the old session to close
 * @param reconnectGrace how long a dropped publisher may take to come back before the stream's
 *     outputs are ended
 * @param snapshotEvery events between snapshots of a stream's state
 * @param idlePassivation an entity that is not live and was asked nothing for this long stops
 * @param recordByDefault whether a stream that did not say otherwise is recorded
 * @param recordingRetention recordings older than this are deleted, unless a stream says otherwise;
 *     zero keeps them
 * @param movedSessionGrace how long a session that was live where the entity ran before (its node
 *     died or left) waits for its publisher to resume it here before it is ended
 * @param alerts when a live session's health raises an alert
 * @param viewerTimeout an HLS viewer not seen fetching a media playlist for this long has left
 */
public record LiveStreamSettings(
    Duration keyTtl,
    Duration takeoverTimeout,
    Duration reconnectGrace,
    int snapshotEvery,
    Duration idlePassivation,
    boolean recordByDefault,
    Duration recordingRetention,
    Duration movedSessionGrace,
    AlertThresholds alerts,
    Duration viewerTimeout) {

  /** Settings with the default alert thresholds. */
  public LiveStreamSettings(
      Duration keyTtl,
      Duration takeoverTimeout,
      Duration reconnectGrace,
      int snapshotEvery,
      Duration idlePassivation,
      boolean recordByDefault,
      Duration recordingRetention,
      Duration movedSessionGrace) {
    this(
        keyTtl,
        takeoverTimeout,
        reconnectGrace,
        snapshotEvery,
        idlePassivation,
        recordByDefault,
        recordingRetention,
        movedSessionGrace,
        AlertThresholds.DEFAULT,
        Duration.ofSeconds(20));
  }

  /** Settings whose moved sessions wait as long as a dropped publisher may. */
  public LiveStreamSettings(
      Duration keyTtl,
      Duration takeoverTimeout,
      Duration reconnectGrace,
      int snapshotEvery,
      Duration idlePassivation,
      boolean recordByDefault,
      Duration recordingRetention) {
    this(
        keyTtl,
        takeoverTimeout,
        reconnectGrace,
        snapshotEvery,
        idlePassivation,
        recordByDefault,
        recordingRetention,
        reconnectGrace);
  }

  /** Settings without recording. */
  public LiveStreamSettings(
      Duration keyTtl,
      Duration takeoverTimeout,
      Duration reconnectGrace,
      int snapshotEvery,
      Duration idlePassivation) {
    this(
        keyTtl,
        takeoverTimeout,
        reconnectGrace,
        snapshotEvery,
        idlePassivation,
        false,
        Duration.ZERO);
  }

  public static LiveStreamSettings create(Config config) {
    Config c = config.getConfig("nrs.streaming.pipeline");
    return new LiveStreamSettings(
        c.getDuration("key-ttl"),
        c.getDuration("takeover-timeout"),
        c.getDuration("reconnect-grace"),
        c.getInt("snapshot-every"),
        c.getDuration("idle-passivation"),
        c.getBoolean("recording.enabled"),
        c.getDuration("recording.retention"),
        c.getDuration("moved-session-grace"),
        AlertThresholds.create(c.getConfig("alerts"), c.getBoolean("hls.low-latency.enabled")),
        c.getDuration("viewers.timeout"));
  }
}

package com.nrsgirls.streaming.ingest.whip;

import com.nrsgirls.streaming.webrtc.ingest.WhipReceiver;
import com.typesafe.config.Config;
import java.time.Duration;

/**
 * {@code nrs.streaming.webrtc}: the UDP port WHIP sessions share, the address and port the SDP
 * answer names, and each session's timers and bounds.
 */
public record WhipSettings(
    String bindAddress,
    int udpPort,
    String candidateAddress,
    int candidatePort,
    Duration handshakeTimeout,
    Duration mediaTimeout,
    int maxSessions,
    Duration tick,
    int queue,
    Duration keyframeInterval) {

  public static WhipSettings create(Config config) {
    Config c = config.getConfig("nrs.streaming.webrtc");
    return new WhipSettings(
        c.getString("bind-address"),
        c.getInt("udp-port"),
        c.getString("candidate-address"),
        c.getInt("candidate-port"),
        c.getDuration("handshake-timeout"),
        c.getDuration("media-timeout"),
        c.getInt("max-sessions"),
        c.getDuration("tick"),
        c.getInt("queue"),
        c.getDuration("keyframe-interval"));
  }

  /**
   * A receiver's settings: its defaults, with keyframes asked for every {@code keyframeInterval}.
   */
  public WhipReceiver.Settings receiver() {
    return WhipReceiver.Settings.defaults().withKeyframeInterval(keyframeInterval);
  }

  /** The host candidate's port: the configured one, else {@code boundPort}. */
  public int candidatePort(int boundPort) {
    return candidatePort > 0 ? candidatePort : boundPort;
  }

  /** The host candidate's address: the configured one, else the bind address (or loopback). */
  public String candidate() {
    if (!candidateAddress.isBlank()) {
      return candidateAddress;
    }
    return bindAddress.equals("0.0.0.0") || bindAddress.equals("::") ? "127.0.0.1" : bindAddress;
  }
}

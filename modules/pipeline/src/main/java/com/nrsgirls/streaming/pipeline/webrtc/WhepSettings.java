package com.nrsgirls.streaming.pipeline.webrtc;

import com.typesafe.config.Config;
import java.time.Duration;

/**
 * {@code nrs.streaming.webrtc.whep}: how many viewers, how long a stream's WebRTC output outlives
 * its last viewer, when a viewer is gone, and what they are sent; with the shared {@code
 * nrs.streaming.webrtc} handshake timeout and candidate address.
 */
public record WhepSettings(
    int maxViewers,
    Duration linger,
    Duration timeout,
    Duration reportInterval,
    int opusBitrate,
    int maxPayload,
    int gopCacheFrames,
    Duration handshakeTimeout,
    String candidateAddress,
    int candidatePort) {

  /**
   * @param candidateAddress the address WHEP answers name (WHIP's)
   * @param candidatePort the port they name, 0 for the port bound
   */
  public static WhepSettings create(Config config, String candidateAddress, int candidatePort) {
    Config c = config.getConfig("nrs.streaming.webrtc.whep");
    return new WhepSettings(
        c.getInt("max-viewers"),
        c.getDuration("linger"),
        c.getDuration("timeout"),
        c.getDuration("report-interval"),
        c.getInt("opus-bitrate"),
        c.getInt("max-payload"),
        c.getInt("gop-cache-frames"),
        config.getDuration("nrs.streaming.webrtc.handshake-timeout"),
        candidateAddress,
        candidatePort);
  }

  /** The port answers name: the configured one, else {@code boundPort}. */
  public int candidatePort(int boundPort) {
    return candidatePort > 0 ? candidatePort : boundPort;
  }
}

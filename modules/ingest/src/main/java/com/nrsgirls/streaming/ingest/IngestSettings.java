package com.nrsgirls.streaming.ingest;

import com.nrsgirls.streaming.ingest.rtmp.SessionSettings;
import com.typesafe.config.Config;
import java.time.Duration;
import org.apache.pekko.actor.typed.ActorSystem;

/**
 * The RTMP ingest configuration, read once from {@code nrs.streaming.ingest} (defaults in this
 * module's {@code reference.conf}).
 *
 * @param bindAddress interface the RTMP server listens on
 * @param port TCP port; 0 picks a free one (tests)
 * @param session protocol limits and announced values of each connection
 * @param idleTimeout a connection that sends nothing this long while we wait for input is closed
 * @param handshakeTimeout a connection must finish the RTMP handshake within this
 * @param publishDeadline a connection must ask to publish within this after its handshake
 * @param publishTimeout how long a publish may wait for the stream's answer
 * @param readInterval while publishing, how long the connection waits after a short read before it
 *     reads again; zero reads as soon as it has used the last bytes
 * @param dispatcher the id of the dispatcher the connections' streams run on
 * @param tcpReadSize the most one TCP read returns ({@code pekko.io.tcp.direct-buffer-size}): a
 *     read of half that or more suggests more bytes are waiting, so the next is not deferred
 * @param maxConnectionsPerIp open connections allowed from one address
 * @param maxFailedPublishesPerStreamAndIp publishes with a bad key one address may try for one
 *     stream per window before its publishes to that stream are refused until the window ends
 * @param maxFailedPublishesPerIp publishes with a bad key one address may try per window, for all
 *     streams, before its new connections are refused until the window ends
 * @param failedPublishWindow the window of both failure counts
 * @param resumeTimeout how long a publish whose stream's graph was lost (its node died or left)
 *     waits, its reads paused, for the stream to take it back on another node; zero closes it
 *     instead
 * @param proxyProtocol every connection starts with a PROXY protocol header (v1 or v2) from a load
 *     balancer, whose client address stands for the connection's (limits, logs, the session's
 *     remote address); a connection without one is closed
 */
public record IngestSettings(
    String bindAddress,
    int port,
    SessionSettings session,
    Duration idleTimeout,
    Duration handshakeTimeout,
    Duration publishDeadline,
    Duration publishTimeout,
    Duration readInterval,
    String dispatcher,
    int tcpReadSize,
    int maxConnectionsPerIp,
    int maxFailedPublishesPerStreamAndIp,
    int maxFailedPublishesPerIp,
    Duration failedPublishWindow,
    Duration resumeTimeout,
    boolean proxyProtocol) {

  public static IngestSettings create(ActorSystem<?> system) {
    return create(system.settings().config());
  }

  /** Reads {@code nrs.streaming.ingest} from a whole (resolved) configuration. */
  public static IngestSettings create(Config config) {
    Config c = config.getConfig("nrs.streaming.ingest");
    SessionSettings session =
        new SessionSettings(
            c.getString("application"),
            intBytes(c, "max-message-length"),
            intBytes(c, "max-message-length-before-publish"),
            intBytes(c, "max-chunk-size"),
            c.getInt("max-chunk-streams"),
            c.getInt("amf-max-depth"),
            c.getInt("amf-max-values"),
            intBytes(c, "chunk-size"),
            intBytes(c, "window-ack-size"),
            intBytes(c, "peer-bandwidth"));
    return new IngestSettings(
        c.getString("bind-address"),
        c.getInt("port"),
        session,
        c.getDuration("idle-timeout"),
        c.getDuration("handshake-timeout"),
        c.getDuration("publish-deadline"),
        c.getDuration("publish-timeout"),
        c.getDuration("read-interval"),
        c.getString("dispatcher"),
        (int) Math.min(Integer.MAX_VALUE, config.getBytes("pekko.io.tcp.direct-buffer-size")),
        c.getInt("max-connections-per-ip"),
        c.getInt("max-failed-publishes-per-stream-and-ip"),
        c.getInt("max-failed-publishes-per-ip"),
        c.getDuration("failed-publish-window"),
        c.getDuration("resume-timeout"),
        c.getBoolean("proxy-protocol"));
  }

  public IngestSettings withPort(int newPort) {
    return with(newPort, proxyProtocol);
  }

  public IngestSettings withProxyProtocol(boolean on) {
    return with(port, on);
  }

  private IngestSettings with(int newPort, boolean newProxyProtocol) {
    return new IngestSettings(
        bindAddress,
        newPort,
        session,
        idleTimeout,
        handshakeTimeout,
        publishDeadline,
        publishTimeout,
        readInterval,
        dispatcher,
        tcpReadSize,
        maxConnectionsPerIp,
        maxFailedPublishesPerStreamAndIp,
        maxFailedPublishesPerIp,
        failedPublishWindow,
        resumeTimeout,
        newProxyProtocol);
  }

  private static int intBytes(Config c, String path) {
    long bytes = c.getBytes(path);
    if (bytes > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("nrs.streaming.ingest." + path + " is too large");
    }
    return (int) bytes;
  }
}

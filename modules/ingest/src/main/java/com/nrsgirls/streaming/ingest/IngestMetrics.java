package com.nrsgirls.streaming.ingest;

import java.time.Duration;

/**
 * What ingest counts. The api module implements it with Micrometer; every method has a no-op
 * default so an implementation picks what it exports. Called from stream stages, so implementations
 * must be thread-safe and must not block.
 *
 * <p>Reasons are short kebab-case labels from a small fixed set (see {@code RtmpProtocolException}
 * and {@code PublishRejection}), safe to use as metric tags.
 */
public interface IngestMetrics {
  /** Counts nothing. */
  IngestMetrics NONE = new IngestMetrics() {};

  /** A TCP connection was accepted and its RTMP session started. */
  default void connectionOpened() {}

  /**
   * A connection that {@link #connectionOpened()} counted ended.
   *
   * @param reason why: {@code peer-closed} (the normal end), {@code connection-failed}, {@code
   *     publish-rejected}, {@code sink-closed} (the stream stopped or was taken over), {@code
   *     server-shutdown}, or the reason of the protocol error that closed it
   */
  default void connectionClosed(String reason, Duration duration, long bytesIn) {}

  /**
   * A connection was closed right away: {@code too-many-connections} from its address, or {@code
   * too-many-failed-publishes}.
   */
  default void connectionRefused(String reason) {}

  /**
   * A connection broke the protocol or a limit and was closed, e.g. {@code bad-handshake}, {@code
   * message-too-long}, {@code idle-timeout}, {@code no-publish} (none within the publish deadline).
   */
  default void protocolError(String reason) {}

  default void publishAccepted() {}

  /** A publish whose stream's graph was lost (its node died or left) went on on another node. */
  default void publishResumed() {}

  /**
   * A publish was refused: a {@code PublishRejection} in lower kebab case ({@code wrong-key}, ...),
   * {@code malformed-key}, {@code publish-timeout} or {@code gateway-error}.
   */
  default void publishRejected(String reason) {}

  /** Bytes received from publishers. */
  default void bytesIn(long bytes) {}
}

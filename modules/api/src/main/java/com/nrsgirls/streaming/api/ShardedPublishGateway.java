package com.nrsgirls.streaming.api;

import com.nrsgirls.streaming.core.stream.LiveStreamProtocol;
import com.nrsgirls.streaming.core.stream.PublishRejection;
import com.nrsgirls.streaming.core.stream.StreamKey;
import com.nrsgirls.streaming.ingest.PublishGateway;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;

/**
 * Ingest's way to the stream's entity: the key's public part names the stream, Cluster Sharding
 * finds the entity wherever it runs, and the entity checks the key. A stream the journal has never
 * heard of is refused here, with one read of the journal: starting its entity would cost sharding a
 * remembered start and stop in the journal for every publisher that guesses a stream id.
 */
final class ShardedPublishGateway implements PublishGateway {
  private final ClusterSharding sharding;
  private final StreamDirectory directory;
  private final Duration timeout;

  ShardedPublishGateway(ClusterSharding sharding, StreamDirectory directory, Duration timeout) {
    this.sharding = sharding;
    this.directory = directory;
    this.timeout = timeout;
  }

  @Override
  public CompletionStage<LiveStreamProtocol.PublishReply> publish(
      StreamKey key, LiveStreamProtocol.PublishSession session) {
    return directory
        .exists(key.streamId())
        .thenCompose(
            exists ->
                exists
                    ? sharding
                        .entityRefFor(LiveStreamProtocol.ENTITY_TYPE_KEY, key.streamId())
                        .ask(
                            replyTo ->
                                new LiveStreamProtocol.Publish(
                                    new LiveStreamProtocol.Key(key), session, replyTo),
                            timeout)
                    : CompletableFuture.completedFuture(
                        new LiveStreamProtocol.PublishRejected(PublishRejection.UNKNOWN_STREAM)));
  }
}

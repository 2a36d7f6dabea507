package com.nrsgirls.streaming.api;

import com.nrsgirls.streaming.core.stream.LiveStreamProtocol;
import com.nrsgirls.streaming.core.stream.StreamKey;
import com.nrsgirls.streaming.ingest.PublishGateway;
import java.time.Duration;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;

/**
 * Ingest's way to the stream's entity: the key's public part names the stream, Cluster Sharding
 * finds the entity wherever it runs, and the entity checks the key.
 */
final class ShardedPublishGateway implements PublishGateway {
  private final ClusterSharding sharding;
  private final Duration timeout;

  ShardedPublishGateway(ClusterSharding sharding, Duration timeout) {
    this.sharding = sharding;
    this.timeout = timeout;
  }

  @Override
  public CompletionStage<LiveStreamProtocol.PublishReply> publish(
      StreamKey key, LiveStreamProtocol.PublishSession session) {
    return sharding
        .entityRefFor(LiveStreamProtocol.ENTITY_TYPE_KEY, key.streamId())
        .ask(
            replyTo ->
                new LiveStreamProtocol.Publish(new LiveStreamProtocol.Key(key), session, replyTo),
            timeout);
  }
}

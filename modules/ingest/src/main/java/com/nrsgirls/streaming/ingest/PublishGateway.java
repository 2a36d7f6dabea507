package com.nrsgirls.streaming.ingest;

import com.nrsgirls.streaming.core.stream.LiveStreamProtocol.PublishReply;
import com.nrsgirls.streaming.core.stream.LiveStreamProtocol.PublishSession;
import com.nrsgirls.streaming.core.stream.StreamKey;
import java.util.concurrent.CompletionStage;

/**
 * Where ingest asks whether a publisher may go live. The node wires it to the stream's sharded
 * {@code LiveStream} entity ({@code LiveStreamProtocol.Publish}, asked through Cluster Sharding);
 * tests use a stub. The answer is a {@code PublishAccepted} with the sink to stream media into, or
 * a {@code PublishRejected}; a failed stage (an ask timeout) refuses the publish too.
 */
@FunctionalInterface
public interface PublishGateway {
  CompletionStage<PublishReply> publish(StreamKey key, PublishSession session);
}

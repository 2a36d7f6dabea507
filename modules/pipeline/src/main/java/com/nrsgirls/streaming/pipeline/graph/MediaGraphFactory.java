package com.nrsgirls.streaming.pipeline.graph;

import com.nrsgirls.streaming.core.stream.LiveStreamProtocol;
import org.apache.pekko.actor.typed.ActorRef;

/** Materializes the media graph of a new publish session. */
@FunctionalInterface
public interface MediaGraphFactory {
  /**
   * @param entity the stream's entity, told about detected media, health and the session's end
   */
  SessionGraph start(
      String streamId, String sessionId, ActorRef<LiveStreamProtocol.Command> entity);
}

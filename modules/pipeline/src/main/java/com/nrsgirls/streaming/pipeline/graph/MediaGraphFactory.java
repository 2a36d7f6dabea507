package com.nrsgirls.streaming.pipeline.graph;

import com.nrsgirls.streaming.core.stream.LiveStreamProtocol;
import com.nrsgirls.streaming.core.stream.OutputSettings;
import com.nrsgirls.streaming.core.stream.RestreamTarget;
import java.util.List;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;

/** Materializes the media graph of a new publish session, and closes a stream's outputs. */
public interface MediaGraphFactory {
  /**
   * @param entity the stream's entity, told about detected media, health and the session's end
   * @param outputs what the stream outputs besides its source rendition
   * @param targets where the stream is pushed on to, keys sealed
   */
  SessionGraph start(
      String streamId,
      String sessionId,
      ActorRef<LiveStreamProtocol.Command> entity,
      OutputSettings outputs,
      List<RestreamTarget> targets);

  /**
   * The stream is over (stopped, or its publisher did not come back): mark its outputs ended, e.g.
   * {@code EXT-X-ENDLIST} on its playlists. A later session continues them all the same.
   *
   * @param outputs the stream's output settings, which name its renditions
   */
  CompletionStage<Done> endOutputs(String streamId, OutputSettings outputs);
}

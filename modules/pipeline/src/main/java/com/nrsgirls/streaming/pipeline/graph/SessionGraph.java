package com.nrsgirls.streaming.pipeline.graph;

import com.nrsgirls.streaming.core.media.MediaPacket;
import com.nrsgirls.streaming.core.stream.OutputSettings;
import com.nrsgirls.streaming.core.stream.RestreamTarget;
import java.util.List;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;
import org.apache.pekko.stream.SinkRef;

/** The running media graph of one publish session, as the {@code LiveStream} entity holds it. */
public interface SessionGraph {
  /** The end reason of sessions that ended because their node was shutting down. */
  String NODE_SHUT_DOWN = "node shut down";

  /**
   * The end reason of a graph that ingest never attached to within {@link
   * GraphSettings#ingestAttachTimeout()} (its attach was lost on the way): not the session's end,
   * ingest attaches it to a new graph.
   */
  String INGEST_NEVER_ATTACHED = "ingest never attached";

  String sessionId();

  /** Where ingest streams the session's packets. */
  SinkRef<MediaPacket> sink();

  /**
   * Closes the graph: the publisher's connection is closed and every branch flushes what it has.
   * The reason ends up in the session's {@code PublishEnded} event.
   */
  void stop(String reason);

  /**
   * Closes the graph because the stream's entity stops here without ending the session (its node is
   * leaving, the entity moves): the publisher's connection is failed, not closed, which tells
   * ingest to hand the same session to the stream's next incarnation.
   */
  default void move(String reason) {
    stop(reason);
  }

  /** Completes when every branch has finished, however the session ended. */
  CompletionStage<Done> completion();

  /**
   * The stream's output settings changed: attach or detach what they change (the ABR branch),
   * without disturbing the publisher or the other outputs.
   */
  default void changeOutputs(OutputSettings settings) {}

  /**
   * The stream's restream targets changed: connect the new ones, reconnect the changed ones, end
   * the pushes to removed or disabled ones, without disturbing anything else.
   */
  default void changeTargets(List<RestreamTarget> targets) {}

  /**
   * Recording was switched on (a new recording's id) or off (null) while live: the recording output
   * is attached or detached (and its recording ended) without disturbing anything else.
   */
  default void changeRecording(String recordingId) {}

  /** The renditions viewers can play now: what the master playlist lists. */
  default List<String> renditions() {
    return List.of("source");
  }
}

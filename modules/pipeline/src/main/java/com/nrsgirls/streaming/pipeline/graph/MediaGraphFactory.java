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
   * @param recordingId the recording the session goes on (a new one, or the one an earlier session
   *     of the same outputs began); null when the stream is not recorded
   */
  SessionGraph start(
      String streamId,
      String sessionId,
      ActorRef<LiveStreamProtocol.Command> entity,
      OutputSettings outputs,
      List<RestreamTarget> targets,
      String recordingId);

  /**
   * As {@link #start(String, String, ActorRef, OutputSettings, List, String)}, numbering the
   * session's HLS segments from {@code sequenceFloor} at least (see {@code HlsPackager.open}).
   */
  default SessionGraph start(
      String streamId,
      String sessionId,
      ActorRef<LiveStreamProtocol.Command> entity,
      OutputSettings outputs,
      List<RestreamTarget> targets,
      String recordingId,
      long sequenceFloor) {
    return start(streamId, sessionId, entity, outputs, targets, recordingId);
  }

  /**
   * The recording is over (the stream's outputs ended, or recording was switched off while no
   * session runs). The node stores what it still holds and tells {@code entity} {@code
   * RecordingPartUploaded} per part and then {@code RecordingFinished}: {@code completed} if this
   * node recorded it, {@code interrupted} if it did not (its node stopped: what reached the store,
   * or this node's spool, is all there is).
   *
   * @param partsStored the parts the entity knows are stored
   */
  default void endRecording(
      String streamId,
      String recordingId,
      int partsStored,
      ActorRef<LiveStreamProtocol.Command> entity) {}

  /** Deletes a recording's objects (retention). */
  default CompletionStage<Done> deleteRecording(String streamId, String recordingId) {
    return java.util.concurrent.CompletableFuture.completedFuture(Done.getInstance());
  }

  /**
   * The stream is over (stopped, or its publisher did not come back): mark its outputs ended, e.g.
   * {@code EXT-X-ENDLIST} on its playlists. A later session continues them all the same.
   *
   * @param outputs the stream's output settings, which name its renditions
   */
  CompletionStage<Done> endOutputs(String streamId, OutputSettings outputs);
}

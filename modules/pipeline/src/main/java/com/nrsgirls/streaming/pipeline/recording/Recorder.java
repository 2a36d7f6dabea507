package com.nrsgirls.streaming.pipeline.recording;

import com.nrsgirls.streaming.core.media.MediaPacket;
import com.nrsgirls.streaming.core.stream.LiveStreamProtocol;
import com.nrsgirls.streaming.pipeline.graph.Branch;
import com.nrsgirls.streaming.pipeline.store.ObjectStore;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.Sink;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's recordings: one {@link RecordingRun} per recording being written here, fed by the
 * {@code recording} branch of each of its sessions, its parts spooled to disk and uploaded to the
 * object store in order. A recording outlives its sessions: a publisher that reconnects within the
 * reconnect grace continues it; it ends when the stream's outputs end ({@link #finish}).
 *
 * <p>Objects: {@code recordings/{streamId}/{recordingId}/} holds {@code init-N.mp4}, {@code
 * part-NNNNNN.m4s} and the playlist {@code index.m3u8}.
 */
public final class Recorder {
  private static final Logger log = LoggerFactory.getLogger(Recorder.class);

  /** The branch's name in the session's outputs. */
  public static final String OUTPUT = "recording";

  private final RecordingSettings settings;
  private final ObjectStore store;
  private final Executor blocking;
  private final ActorSystem<?> system;
  private final Map<String, RecordingRun> runs = new ConcurrentHashMap<>();

  public Recorder(ActorSystem<?> system, RecordingSettings settings, ObjectStore store) {
    this.system = system;
    this.settings = settings;
    this.store = store;
    this.blocking = system.dispatchers().lookup(DispatcherSelector.blocking());
  }

  public ObjectStore store() {
    return store;
  }

  /** The key prefix of a recording's objects. */
  public static String prefix(String streamId, String recordingId) {
    return "recordings/" + streamId + "/" + recordingId + "/";
  }

  /** The output that records a session into {@code recordingId}, continuing it if it runs here. */
  public Branch branch(
      String streamId,
      String sessionId,
      String recordingId,
      ActorRef<LiveStreamProtocol.Command> entity) {
    RecordingRun run =
        runs.computeIfAbsent(
            recordingId,
            id -> {
              log.info("stream={} session={} recording={} started", streamId, sessionId, id);
              return new RecordingRun(
                  streamId, id, settings, store, blocking, system.scheduler(), entity);
            });
    run.entity(entity);
    String context = "stream=" + streamId + " session=" + sessionId + " recording=" + recordingId;
    return new Branch(
        OUTPUT,
        () ->
            Flow.<MediaPacket>create()
                .watchTermination(
                    (nu, done) -> {
                      run.feedStarted(context);
                      done.whenComplete((d, e) -> run.feedEnded());
                      return nu;
                    })
                .toMat(Sink.foreach(run::offer), Keep.right()));
  }

  /**
   * Ends a recording: if it runs here, stores what it holds and completes it; otherwise (its node
   * stopped) stores what this node's spool still has of it and marks it interrupted. Either way the
   * entity hears of every part stored and then of the end.
   */
  public void finish(
      String streamId,
      String recordingId,
      int partsStored,
      ActorRef<LiveStreamProtocol.Command> entity) {
    RecordingRun run = runs.remove(recordingId);
    if (run != null) {
      run.entity(entity);
      run.finish();
      return;
    }
    RecordingRun.salvage(
        streamId, recordingId, partsStored, settings, store, blocking, system.scheduler(), entity);
  }

  /** Deletes every object of a recording. */
  public CompletionStage<Done> delete(String streamId, String recordingId) {
    String prefix = prefix(streamId, recordingId);
    return store
        .list(prefix)
        .thenCompose(
            objects -> {
              List<CompletableFuture<Done>> deletes = new ArrayList<>();
              for (ObjectStore.StoredObject o : objects) {
                deletes.add(store.delete(o.key()).toCompletableFuture());
              }
              return CompletableFuture.allOf(deletes.toArray(CompletableFuture[]::new))
                  .thenApply(v -> Done.getInstance());
            });
  }

  /** Recordings being written on this node. */
  public int running() {
    return runs.size();
  }
}

package com.nrsgirls.streaming.pipeline.stream;

import com.nrsgirls.streaming.core.media.MediaPacket;
import com.nrsgirls.streaming.core.stream.LiveStreamProtocol;
import com.nrsgirls.streaming.core.stream.OutputSettings;
import com.nrsgirls.streaming.core.stream.RestreamTarget;
import com.nrsgirls.streaming.pipeline.graph.MediaGraphFactory;
import com.nrsgirls.streaming.pipeline.graph.SessionGraph;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.stream.SinkRef;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.StreamRefs;

/** Media graphs that only record how the entity drives them; {@link #finish} ends one. */
final class FakeGraphs implements MediaGraphFactory {
  final List<FakeGraph> started = new CopyOnWriteArrayList<>();

  /** When set, a stopped graph only completes when the test calls {@link FakeGraph#finish}. */
  volatile boolean slowToStop;

  final java.util.concurrent.BlockingQueue<String> outputsEnded =
      new java.util.concurrent.LinkedBlockingQueue<>();
  private final ActorSystem<?> system;
  final List<OutputSettings> startedWith = new java.util.concurrent.CopyOnWriteArrayList<>();
  final List<List<RestreamTarget>> startedWithTargets = new CopyOnWriteArrayList<>();
  final List<String> startedWithRecording = new CopyOnWriteArrayList<>();
  final List<Long> startedWithFloor = new CopyOnWriteArrayList<>();
  final java.util.concurrent.BlockingQueue<String> recordingsEnded =
      new java.util.concurrent.LinkedBlockingQueue<>();

  @Override
  public void endRecording(
      String streamId,
      String recordingId,
      int partsStored,
      ActorRef<LiveStreamProtocol.Command> entity) {
    recordingsEnded.add(recordingId);
  }

  FakeGraphs(ActorSystem<?> system) {
    this.system = system;
  }

  @Override
  public SessionGraph start(
      String streamId,
      String sessionId,
      ActorRef<LiveStreamProtocol.Command> entity,
      OutputSettings outputs,
      List<RestreamTarget> targets,
      String recordingId,
      long sequenceFloor) {
    startedWithFloor.add(sequenceFloor);
    return start(streamId, sessionId, entity, outputs, targets, recordingId);
  }

  @Override
  public SessionGraph start(
      String streamId,
      String sessionId,
      ActorRef<LiveStreamProtocol.Command> entity,
      OutputSettings outputs,
      List<RestreamTarget> targets,
      String recordingId) {
    startedWithRecording.add(recordingId == null ? "" : recordingId);
    startedWith.add(outputs);
    startedWithTargets.add(targets);
    SinkRef<MediaPacket> ref = StreamRefs.<MediaPacket>sinkRef().to(Sink.ignore()).run(system);
    FakeGraph graph = new FakeGraph(sessionId, ref, entity, slowToStop);
    started.add(graph);
    return graph;
  }

  @Override
  public CompletionStage<Done> endOutputs(String streamId, OutputSettings outputs) {
    outputsEnded.add(streamId);
    return CompletableFuture.completedFuture(Done.getInstance());
  }

  FakeGraph last() {
    return started.get(started.size() - 1);
  }

  static final class FakeGraph implements SessionGraph {
    final String sessionId;
    final SinkRef<MediaPacket> sink;
    final ActorRef<LiveStreamProtocol.Command> entity;
    final CompletableFuture<Done> completion = new CompletableFuture<>();
    final boolean slowToStop;
    final List<OutputSettings> changes = new java.util.concurrent.CopyOnWriteArrayList<>();
    final List<List<RestreamTarget>> targetChanges = new CopyOnWriteArrayList<>();
    volatile String stopReason;

    FakeGraph(
        String sessionId,
        SinkRef<MediaPacket> sink,
        ActorRef<LiveStreamProtocol.Command> entity,
        boolean slowToStop) {
      this.sessionId = sessionId;
      this.sink = sink;
      this.entity = entity;
      this.slowToStop = slowToStop;
    }

    @Override
    public String sessionId() {
      return sessionId;
    }

    @Override
    public SinkRef<MediaPacket> sink() {
      return sink;
    }

    @Override
    public void stop(String reason) {
      stopReason = reason;
      if (!slowToStop) {
        finish(reason);
      }
    }

    /** The graph ends as a real one does: it tells the entity, then completes. */
    void finish(String reason) {
      if (!completion.isDone()) {
        entity.tell(new LiveStreamProtocol.SessionEnded(sessionId, reason));
        completion.complete(Done.getInstance());
      }
    }

    @Override
    public CompletionStage<Done> completion() {
      return completion;
    }

    @Override
    public void changeOutputs(OutputSettings settings) {
      changes.add(settings);
    }

    @Override
    public void changeTargets(List<RestreamTarget> targets) {
      targetChanges.add(targets);
    }
  }
}

package com.nrsgirls.streaming.pipeline.graph;

import com.nrsgirls.streaming.core.media.MediaPacket;
import com.nrsgirls.streaming.core.stream.AudioInfo;
import com.nrsgirls.streaming.core.stream.HealthStats;
import com.nrsgirls.streaming.core.stream.LiveStreamProtocol;
import com.nrsgirls.streaming.core.stream.OutputSettings;
import com.nrsgirls.streaming.core.stream.OutputStatus;
import com.nrsgirls.streaming.core.stream.RestreamTarget;
import com.nrsgirls.streaming.core.stream.VideoInfo;
import com.nrsgirls.streaming.pipeline.hls.SegmentClock;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.KillSwitches;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.SinkRef;
import org.apache.pekko.stream.UniqueKillSwitch;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.StreamRefs;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The media graph of one publish session:
 *
 * <pre>
 * SinkRef (from ingest) -> kill switch -> MediaInspector -> BranchFanOut -> branch sinks
 * </pre>
 *
 * One island: the fan-out runs every branch's sink fused, each behind its own bounded {@link
 * DropQueue}, so a packet crosses no thread between arriving from ingest and being muxed. The
 * entity hears about detected media, health (about once a second) and the session's end.
 */
public final class MediaGraph implements SessionGraph {
  private static final Logger log = LoggerFactory.getLogger(MediaGraph.class);

  private final String sessionId;
  private final SinkRef<MediaPacket> sink;
  private final UniqueKillSwitch killSwitch;
  private final BranchFanOut.Control fanOut;
  private final AtomicReference<String> stopReason;
  private final CompletableFuture<Done> completion = new CompletableFuture<>();
  private volatile SessionOutputs outputs;

  private MediaGraph(
      String sessionId,
      SinkRef<MediaPacket> sink,
      UniqueKillSwitch killSwitch,
      BranchFanOut.Control fanOut,
      AtomicReference<String> stopReason) {
    this.sessionId = sessionId;
    this.sink = sink;
    this.killSwitch = killSwitch;
    this.fanOut = fanOut;
    this.stopReason = stopReason;
  }

  /** Branches that need to know the source's picture first (ABR needs its size). */
  public interface MediaBranches {
    MediaBranches NONE = (width, height) -> List.of();

    /**
     * The branches to attach when the session's first video configuration arrives, before any
     * branch sees it: so they get every frame from the first keyframe on. Called once per session,
     * on the stream's thread.
     */
    List<Branch> forVideo(int width, int height);

    /**
     * A later video configuration of the same session has another picture size (a publisher that
     * changed its output resolution without reconnecting). Called on the stream's thread, before
     * any branch sees that configuration; what depends on the size re-plans itself.
     */
    default void videoSizeChanged(int width, int height) {}

    /** How the outputs these branches feed on their own are doing (a rung's restream targets). */
    default List<OutputStatus> outputs() {
      return List.of();
    }

    /** Packets those outputs dropped, by output name. */
    default Map<String, AtomicLong> drops() {
      return Map.of();
    }

    /** The session's latest segment-to-playlist latency (milliseconds), -1 before any. */
    default long segmentLatencyMillis() {
      return -1;
    }
  }

  /**
   * Materializes a graph with no segment clock and no branches that wait for the media; see {@link
   * #start(String, String, ActorRef, List, MediaBranches, SegmentClock, GraphSettings,
   * Materializer, Clock, BooleanSupplier)}.
   */
  public static MediaGraph start(
      String streamId,
      String sessionId,
      ActorRef<LiveStreamProtocol.Command> entity,
      List<Branch> branches,
      GraphSettings settings,
      Materializer materializer,
      Clock clock,
      BooleanSupplier nodeStopping) {
    return start(
        streamId,
        sessionId,
        entity,
        branches,
        MediaBranches.NONE,
        null,
        OutputListener.NONE,
        settings,
        materializer,
        clock,
        nodeStopping);
  }

  /**
   * Materializes the graph; the branches start when ingest starts streaming into the sink.
   *
   * @param mediaBranches attached when the session's first video configuration arrives
   * @param segmentClock marks where segments start, before the packets fan out; null for none
   * @param outputListener hears the branches' state changes
   */
  public static MediaGraph start(
      String streamId,
      String sessionId,
      ActorRef<LiveStreamProtocol.Command> entity,
      List<Branch> branches,
      MediaBranches mediaBranches,
      SegmentClock segmentClock,
      OutputListener outputListener,
      GraphSettings settings,
      Materializer materializer,
      Clock clock,
      BooleanSupplier nodeStopping) {
    String logContext = "stream=" + streamId + " session=" + sessionId;
    AtomicReference<String> stopReason = new AtomicReference<>();
    AtomicReference<BranchFanOut.Control> fanOutRef = new AtomicReference<>();
    CompletableFuture<Throwable> ingestEnd = new CompletableFuture<>();
    MediaInspector.Listener listener =
        new MediaInspector.Listener() {
          @Override
          public void mediaDetected(VideoInfo video, AudioInfo audio) {
            entity.tell(new LiveStreamProtocol.SessionMediaDetected(sessionId, video, audio));
          }

          @Override
          public void health(HealthStats stats) {
            entity.tell(new LiveStreamProtocol.SessionHealth(sessionId, stats));
            outputListener.health(streamId, sessionId, stats);
          }
        };
    MediaInspector inspector =
        new MediaInspector(
            logContext,
            settings.healthInterval(),
            settings.keyframeIntervalWarning(),
            clock,
            listener,
            () -> {
              Map<String, AtomicLong> drops = mediaBranches.drops();
              if (drops.isEmpty()) {
                return fanOutRef.get().drops();
              }
              Map<String, AtomicLong> all = new java.util.LinkedHashMap<>(fanOutRef.get().drops());
              all.putAll(drops);
              return all;
            },
            () -> {
              List<OutputStatus> more = mediaBranches.outputs();
              if (more.isEmpty()) {
                return fanOutRef.get().outputs();
              }
              List<OutputStatus> all = new java.util.ArrayList<>(fanOutRef.get().outputs());
              all.addAll(more);
              all.sort(java.util.Comparator.comparing(OutputStatus::name));
              return all;
            },
            mediaBranches::segmentLatencyMillis,
            ingestEnd::complete);
    Pair<Pair<SinkRef<MediaPacket>, UniqueKillSwitch>, BranchFanOut.Control> m =
        StreamRefs.<MediaPacket>sinkRef()
            .addAttributes(
                org.apache.pekko.stream.StreamRefAttributes.subscriptionTimeout(
                    settings.ingestAttachTimeout()))
            .viaMat(KillSwitches.single(), Keep.both())
            .via(inspector)
            .toMat(
                Sink.fromGraph(
                    new BranchFanOut(
                        logContext,
                        branches,
                        mediaBranches,
                        segmentClock,
                        outputListener,
                        settings)),
                Keep.both())
            .run(materializer);
    fanOutRef.set(m.second());
    MediaGraph graph =
        new MediaGraph(sessionId, m.first().first(), m.first().second(), m.second(), stopReason);
    m.second()
        .completion()
        .whenComplete(
            (ok, err) -> {
              String reason = graph.endReason(ingestEnd.getNow(null), nodeStopping);
              log.info("{} media graph closed: {}", logContext, reason);
              outputListener.sessionClosed(streamId, sessionId);
              entity.tell(new LiveStreamProtocol.SessionEnded(sessionId, reason));
              graph.completion.complete(Done.getInstance());
            });
    return graph;
  }

  private String endReason(Throwable ingestFailure, BooleanSupplier nodeStopping) {
    String stopped = stopReason.get();
    if (stopped != null) {
      return stopped;
    }
    if (nodeStopping.getAsBoolean()) {
      return NODE_SHUT_DOWN; // ingest closed its publishers on the way down
    }
    for (Throwable t = ingestFailure; t != null; t = t.getCause()) {
      if (t instanceof org.apache.pekko.stream.StreamRefSubscriptionTimeoutException) {
        return INGEST_NEVER_ATTACHED;
      }
    }
    // The failure's message names StreamRef actors; the journal and the API get the gist.
    return ingestFailure == null ? "publisher disconnected" : "publisher connection lost";
  }

  /** Adds a branch to the running session (a restream target enabled while live, say). */
  public CompletionStage<Done> attach(Branch branch) {
    return fanOut.attach(branch);
  }

  /** Ends one branch while the session goes on; completes when it has finished. */
  public CompletionStage<Done> detach(String name) {
    return fanOut.detach(name);
  }

  /** Lets {@code outputs} attach and detach its branches, and hands setting changes to it. */
  void bindOutputs(SessionOutputs outputs) {
    outputs.bind(
        new SessionOutputs.Attachment() {
          @Override
          public CompletionStage<Done> attach(Branch branch) {
            return fanOut.attach(branch);
          }

          @Override
          public CompletionStage<Done> detach(String name) {
            return fanOut.detach(name);
          }
        });
    this.outputs = outputs;
  }

  /** The recording output of the session, as {@link #changeRecording} switches it. */
  private String recordingId;

  private java.util.function.Function<String, Branch> recordingBranch;
  private java.util.function.Consumer<String> recordingEnded;
  private CompletionStage<Done> recordingChange =
      java.util.concurrent.CompletableFuture.completedFuture(Done.getInstance());

  /**
   * Lets {@link #changeRecording} attach a recording's branch (made by {@code branch}) and detach
   * the current one ({@code current}, null if none), telling {@code ended} its id once detached.
   */
  void bindRecording(
      String current,
      java.util.function.Function<String, Branch> branch,
      java.util.function.Consumer<String> ended) {
    this.recordingId = current;
    this.recordingBranch = branch;
    this.recordingEnded = ended;
  }

  @Override
  public synchronized void changeRecording(String next) {
    if (recordingBranch == null || java.util.Objects.equals(next, recordingId)) {
      return;
    }
    String old = recordingId;
    recordingId = next;
    if (old != null) {
      recordingChange =
          recordingChange
              .thenCompose(
                  d -> fanOut.detach(com.nrsgirls.streaming.pipeline.recording.Recorder.OUTPUT))
              .thenApply(
                  d -> {
                    recordingEnded.accept(old);
                    return d;
                  });
    }
    if (next != null) {
      recordingChange =
          recordingChange.thenCompose(d -> fanOut.attach(recordingBranch.apply(next)));
    }
    recordingChange = recordingChange.exceptionally(e -> Done.getInstance());
  }

  @Override
  public void changeOutputs(OutputSettings settings) {
    SessionOutputs o = outputs;
    if (o != null) {
      o.change(settings);
    }
  }

  @Override
  public void changeTargets(List<RestreamTarget> targets) {
    SessionOutputs o = outputs;
    if (o != null) {
      o.changeTargets(targets);
    }
  }

  @Override
  public List<String> renditions() {
    SessionOutputs o = outputs;
    if (o == null) {
      return List.of("source");
    }
    List<String> listed = o.renditions();
    return listed.isEmpty() ? List.of("source") : listed;
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
    if (stopReason.compareAndSet(null, reason)) {
      killSwitch.shutdown();
    }
  }

  @Override
  public void move(String reason) {
    if (stopReason.compareAndSet(null, reason)) {
      // fails the StreamRef's source: its remote partner (ingest) fails, and resumes
      killSwitch.abort(new StreamMovedException(reason));
    }
  }

  /** What a moved session's graph ends with. */
  static final class StreamMovedException extends RuntimeException {
    StreamMovedException(String reason) {
      super(reason, null, false, false);
    }
  }

  @Override
  public CompletionStage<Done> completion() {
    return completion;
  }
}

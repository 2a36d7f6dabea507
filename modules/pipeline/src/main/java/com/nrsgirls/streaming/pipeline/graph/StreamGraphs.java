package com.nrsgirls.streaming.pipeline.graph;

import com.nrsgirls.streaming.core.media.MediaPacket;
import com.nrsgirls.streaming.core.secret.SecretSeal;
import com.nrsgirls.streaming.core.stream.LiveStreamProtocol;
import com.nrsgirls.streaming.core.stream.OutputSettings;
import com.nrsgirls.streaming.core.stream.RestreamTarget;
import com.nrsgirls.streaming.pipeline.abr.AbrSettings;
import com.nrsgirls.streaming.pipeline.hls.HlsPackager;
import com.nrsgirls.streaming.pipeline.hls.HlsSegmenter;
import com.nrsgirls.streaming.pipeline.hls.HlsSettings;
import com.nrsgirls.streaming.pipeline.hls.LowLatencyPlaylists;
import com.nrsgirls.streaming.pipeline.hls.LowLatencySettings;
import com.nrsgirls.streaming.pipeline.hls.PlaylistFormatException;
import com.nrsgirls.streaming.pipeline.hls.SegmentStore;
import com.nrsgirls.streaming.pipeline.recording.Recorder;
import com.nrsgirls.streaming.pipeline.restream.RestreamBranch;
import com.nrsgirls.streaming.pipeline.restream.RestreamHub;
import com.nrsgirls.streaming.pipeline.restream.RestreamSettings;
import com.nrsgirls.streaming.pipeline.restream.platform.PlatformClient;
import com.nrsgirls.streaming.pipeline.webrtc.WhepHub;
import com.typesafe.config.Config;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BiFunction;
import java.util.function.Function;
import org.apache.pekko.Done;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.Scheduler;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.Sink;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's media graphs: every session gets an {@link HlsPackager} (its segment clock, numbering
 * and master playlist), the HLS copy branch of its source rendition and, once the source's picture
 * size is known, the ABR branch with the rungs below it; plus whatever extra branches the node was
 * built with (restream and recording plug in here).
 */
public final class StreamGraphs implements MediaGraphFactory {
  private static final Logger log = LoggerFactory.getLogger(StreamGraphs.class);

  /** How long a stopping node waits for an entity to confirm a session's end is recorded. */
  private static final Duration SETTLE_TIMEOUT = Duration.ofSeconds(4);

  /** Builds one more branch for a session, given its stream id and session id. */
  public interface BranchFactory extends BiFunction<String, String, Branch> {}

  private final GraphSettings graphSettings;
  private final HlsSettings hlsSettings;
  private final SegmentStore store;
  private final Clock clock;
  private final HlsBranch.SegmentListener segmentListener;
  private final List<BranchFactory> extraBranches;
  private final Materializer materializer;
  private final Executor blocking;
  private final AtomicBoolean stopping = new AtomicBoolean();
  private final AtomicLong framesEncoded = new AtomicLong();

  /**
   * Per stream whose outputs have not been ended since it was live here, every rendition its master
   * playlist listed: ending the outputs ends them all, even those its settings no longer name.
   */
  private final Map<String, Set<String>> listedRenditions = new ConcurrentHashMap<>();

  /** Per running session, completes once it has closed (and, if the node is stopping, settled). */
  private final Set<CompletableFuture<Done>> unsettled = ConcurrentHashMap.newKeySet();

  private final Scheduler scheduler;
  private final AbrSettings abr;
  private final OutputListener outputListener;
  private final Executor decode;
  private final Executor encode;
  private final RestreamHub restreamHub;
  private final SecretSeal seal;
  private final Recorder recorder;

  /** Each stream's running session on this node. */
  private final Map<String, MediaGraph> live = new ConcurrentHashMap<>();

  private volatile WhepHub whep;
  private volatile LowLatencySettings lowLatency = LowLatencySettings.OFF;
  private volatile LowLatencyPlaylists lowLatencyPlaylists;

  /**
   * Every rendition of the sessions started from now on also writes its low-latency (CMAF) output,
   * its playlists kept in {@code playlists} (when {@code settings} is enabled).
   */
  public void serveLowLatency(LowLatencySettings settings, LowLatencyPlaylists playlists) {
    this.lowLatencyPlaylists = playlists;
    this.lowLatency = settings;
  }

  public StreamGraphs(
      ActorSystem<?> system,
      GraphSettings graphSettings,
      HlsSettings hlsSettings,
      AbrSettings abr,
      SegmentStore store,
      Clock clock,
      HlsBranch.SegmentListener segmentListener,
      OutputListener outputListener,
      List<BranchFactory> extraBranches,
      RestreamSettings restream,
      Map<String, PlatformClient> platforms,
      SecretSeal seal,
      Recorder recorder) {
    this.recorder = recorder;
    this.restreamHub = new RestreamHub(system, restream, platforms);
    this.seal = seal;
    this.abr = abr;
    this.outputListener = outputListener;
    this.decode =
        system.dispatchers().lookup(DispatcherSelector.fromConfig(AbrSettings.DECODE_DISPATCHER));
    this.encode =
        system.dispatchers().lookup(DispatcherSelector.fromConfig(AbrSettings.ENCODE_DISPATCHER));
    this.graphSettings = graphSettings;
    this.hlsSettings = hlsSettings;
    this.store = store;
    this.clock = clock;
    this.segmentListener = segmentListener;
    this.extraBranches = List.copyOf(extraBranches);
    this.materializer = Materializer.matFromSystem(system);
    this.scheduler = system.scheduler();
    this.blocking = system.dispatchers().lookup(DispatcherSelector.blocking());
  }

  /**
   * Serves WebRTC viewers from this node's sessions: {@code hub} attaches its branch to a running
   * session when a stream's first viewer comes, and each later session of a watched stream starts
   * with it.
   */
  public void serveWebrtc(WhepHub hub) {
    hub.bind(
        new WhepHub.LiveGraphs() {
          @Override
          public boolean attach(String streamId, Function<String, Branch> branch) {
            MediaGraph graph = live.get(streamId);
            if (graph == null) {
              return false;
            }
            Branch b = branch.apply(graph.sessionId());
            if (b != null) {
              graph.attach(b);
            }
            return true;
          }

          @Override
          public CompletionStage<Done> detach(String streamId, String name) {
            MediaGraph graph = live.get(streamId);
            return graph == null
                ? CompletableFuture.completedFuture(Done.getInstance())
                : graph.detach(name);
          }
        });
    this.whep = hub;
  }

  /** Pictures the ABR ladders of this node have encoded, all rungs together. */
  public long abrFramesEncoded() {
    return framesEncoded.get();
  }

  private Sink<MediaPacket, CompletionStage<Done>> hlsRendition(
      String rendition, HlsPackager packager, String streamId, String sessionId) {
    return HlsBranch.rendition(
        rendition,
        packager,
        store,
        blocking,
        streamId,
        sessionId,
        hlsSettings,
        clock,
        segmentListener,
        lowLatency,
        lowLatencyPlaylists);
  }

  /**
   * A rung's second output, beside its HLS rendition: a fan-out of its own where the restream
   * targets fed from that rung attach, each with its own queue, so a slow target never slows the
   * ladder. Tells the session's outputs when it opens (again after each restart of the ladder).
   */
  private Sink<MediaPacket, NotUsed> rungTap(
      String logContext, String rung, AtomicReference<SessionOutputs> outputs) {
    return Sink.fromGraph(
            new BranchFanOut(
                logContext + " rung=" + rung,
                List.of(),
                MediaGraph.MediaBranches.NONE,
                null,
                outputListener,
                graphSettings))
        .mapMaterializedValue(
            control -> {
              outputs.get().rungOpened(rung, control);
              return NotUsed.getInstance();
            });
  }

  /** The push to a target, its key opened from its seal; null (logged) if it cannot be made. */
  private Branch restreamBranch(
      String logContext, String streamId, String sessionId, RestreamTarget target) {
    RestreamHub.Credentials credentials;
    try {
      credentials =
          target.linked()
              ? RestreamHub.Credentials.account(
                  seal.open(
                      target.sealedAccessToken(),
                      RestreamTarget.tokenSealContext(streamId, target.targetId())))
              : RestreamHub.Credentials.key(
                  seal.open(
                      target.sealedKey(), RestreamTarget.sealContext(streamId, target.targetId())));
    } catch (IllegalArgumentException e) {
      log.error(
          "{} restream target {} not pushed to: its {} does not open ({}); set it again",
          logContext,
          target.targetId(),
          target.linked() ? "access token" : "stream key",
          e.getMessage());
      return null;
    }
    try {
      return RestreamBranch.create(restreamHub, streamId, sessionId, target, credentials);
    } catch (IllegalArgumentException e) {
      log.error(
          "{} restream target {} not pushed to: {}", logContext, target.targetId(), e.getMessage());
      return null;
    }
  }

  /** Ends the playlists of renditions a stream no longer has (EXT-X-ENDLIST), off the caller. */
  private void endPlaylists(String streamId, List<String> renditions) {
    CompletableFuture.runAsync(
        () -> {
          for (String rendition : renditions) {
            try {
              HlsSegmenter.endPlaylist(store, streamId, rendition);
            } catch (IOException | PlaylistFormatException | RuntimeException e) {
              log.warn(
                  "stream={} rendition={} playlist could not be ended: {}",
                  streamId,
                  rendition,
                  e.toString());
            }
          }
        },
        blocking);
  }

  /** HLS settings from {@code nrs.streaming.pipeline.hls}. */
  public static HlsSettings hlsSettings(Config config) {
    Config c = config.getConfig("nrs.streaming.pipeline.hls");
    return new HlsSettings(
        c.getDuration("target-duration"),
        c.getDuration("max-target-duration"),
        c.getInt("playlist-size"),
        c.getInt("delete-grace"),
        c.getDuration("max-timestamp-gap"));
  }

  @Override
  public SessionGraph start(
      String streamId,
      String sessionId,
      ActorRef<LiveStreamProtocol.Command> entity,
      OutputSettings outputSettings,
      List<RestreamTarget> targets,
      String recordingId) {
    return start(streamId, sessionId, entity, outputSettings, targets, recordingId, 0);
  }

  @Override
  public SessionGraph start(
      String streamId,
      String sessionId,
      ActorRef<LiveStreamProtocol.Command> entity,
      OutputSettings outputSettings,
      List<RestreamTarget> targets,
      String recordingId,
      long sequenceFloor) {
    HlsPackager packager =
        HlsPackager.open(
            store,
            blocking,
            streamId,
            hlsSettings,
            SessionOutputs.renditionNames(abr, outputSettings),
            listedRenditions.computeIfAbsent(streamId, id -> ConcurrentHashMap.newKeySet()),
            sequenceFloor);
    List<Branch> branches = new ArrayList<>();
    branches.add(
        new Branch(
            "hls-source", () -> hlsRendition(HlsPackager.SOURCE, packager, streamId, sessionId)));
    for (BranchFactory extra : extraBranches) {
      branches.add(extra.apply(streamId, sessionId));
    }
    if (recorder != null && recordingId != null) {
      branches.add(recorder.branch(streamId, sessionId, recordingId, entity));
    }
    WhepHub viewers = whep;
    Branch webrtc = viewers == null ? null : viewers.branchFor(streamId, sessionId);
    if (webrtc != null) {
      branches.add(webrtc);
    }
    String logContext = "stream=" + streamId + " session=" + sessionId;
    AtomicReference<SessionOutputs> outputsRef = new AtomicReference<>();
    SessionOutputs outputs =
        new SessionOutputs(
            logContext,
            outputSettings,
            abr,
            packager,
            plan ->
                AbrBranch.create(
                    logContext,
                    plan,
                    abr.encoder(),
                    decode,
                    encode,
                    rung ->
                        Flow.<MediaPacket>create()
                            .alsoTo(rungTap(logContext, rung.name(), outputsRef))
                            .toMat(
                                hlsRendition(rung.name(), packager, streamId, sessionId),
                                Keep.right()),
                    framesEncoded,
                    abr.queuePackets()),
            gone -> endPlaylists(streamId, gone),
            targets,
            target -> restreamBranch(logContext, streamId, sessionId, target),
            targetId -> restreamHub.end(streamId, targetId));
    outputsRef.set(outputs);
    MediaGraph graph =
        MediaGraph.start(
            streamId,
            sessionId,
            entity,
            branches,
            outputs,
            packager.clock(),
            outputListener,
            graphSettings,
            materializer,
            clock,
            stopping::get);
    graph.bindOutputs(outputs);
    if (recorder != null) {
      graph.bindRecording(
          recordingId,
          id -> recorder.branch(streamId, sessionId, id, entity),
          id -> recorder.finish(streamId, id, 0, entity));
    }
    CompletableFuture<Done> settled = new CompletableFuture<>();
    unsettled.add(settled);
    live.put(streamId, graph);
    if (viewers != null) {
      // a stream's first viewer may have come while this session started, and attached to the
      // last session's graph
      Branch late = viewers.branchFor(streamId, sessionId);
      if (late != null) {
        graph.attach(late);
      }
    }
    graph
        .completion()
        .whenComplete(
            (done, error) -> {
              live.remove(streamId, graph);
              if (!stopping.get()) {
                unsettled.remove(settled);
                settled.complete(Done.getInstance());
                return;
              }
              // The entity handles the graph's end before anything asked of it later, so a state
              // query sent now answers only once the end is in the journal.
              AskPattern.<LiveStreamProtocol.Command, LiveStreamProtocol.OperatorReply>ask(
                      entity, LiveStreamProtocol.GetState::new, SETTLE_TIMEOUT, scheduler)
                  .whenComplete(
                      (state, askError) -> {
                        unsettled.remove(settled);
                        settled.complete(Done.getInstance());
                      });
            });
    return graph;
  }

  /**
   * Completes once every session has closed and, for those that closed because the node is
   * stopping, their entities have recorded the end. The node's shutdown waits on this so that a
   * clean stop never leaves a session open in the journal.
   */
  public CompletionStage<Done> sessionsSettled() {
    return CompletableFuture.allOf(unsettled.toArray(CompletableFuture[]::new))
        .thenApply(v -> Done.getInstance());
  }

  /**
   * The node is shutting down: sessions that end from now on end with {@link
   * SessionGraph#NODE_SHUT_DOWN}, not as if their publishers had left.
   */
  public void nodeStopping() {
    stopping.set(true);
  }

  @Override
  public void endRecording(
      String streamId,
      String recordingId,
      int partsStored,
      ActorRef<LiveStreamProtocol.Command> entity) {
    if (recorder != null) {
      recorder.finish(streamId, recordingId, partsStored, entity);
    }
  }

  @Override
  public CompletionStage<Done> deleteRecording(String streamId, String recordingId) {
    return recorder != null
        ? recorder.delete(streamId, recordingId)
        : CompletableFuture.completedFuture(Done.getInstance());
  }

  @Override
  public CompletionStage<Done> endOutputs(String streamId, OutputSettings outputs) {
    restreamHub.endAll(streamId); // the platforms see the broadcast end
    WhepHub viewers = whep;
    if (viewers != null) {
      viewers.endAll(streamId);
    }
    LowLatencyPlaylists ll = lowLatencyPlaylists;
    if (ll != null) {
      ll.end(streamId);
    }
    return CompletableFuture.supplyAsync(
        () -> {
          try {
            Set<String> renditions =
                new LinkedHashSet<>(SessionOutputs.renditionNames(abr, outputs));
            Set<String> listed = listedRenditions.get(streamId);
            if (listed != null) {
              renditions.addAll(listed);
            }
            for (String rendition : renditions) {
              HlsSegmenter.endPlaylist(store, streamId, rendition);
            }
            listedRenditions.remove(streamId, listed); // all ended; a retry would need them

            return Done.getInstance();
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          } catch (PlaylistFormatException e) {
            throw new IllegalStateException(e);
          }
        },
        blocking);
  }
}

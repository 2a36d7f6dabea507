package com.nrsgirls.streaming.pipeline.graph;

import com.nrsgirls.streaming.core.media.MediaPacket;
import com.nrsgirls.streaming.core.stream.AudioInfo;
import com.nrsgirls.streaming.core.stream.HealthStats;
import com.nrsgirls.streaming.core.stream.LiveStreamProtocol;
import com.nrsgirls.streaming.core.stream.VideoInfo;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.pekko.Done;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.KillSwitches;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.SinkRef;
import org.apache.pekko.stream.UniqueKillSwitch;
import org.apache.pekko.stream.javadsl.BroadcastHub;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.stream.javadsl.StreamRefs;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The media graph of one publish session:
 *
 * <pre>
 * SinkRef (from ingest) -> kill switch -> MediaInspector -> BroadcastHub
 *     hub -> KeyframeDropBuffer -> async -> branch sink   (one per branch)
 * </pre>
 *
 * The hub is the single fan-out point. Every branch has its own drop buffer, so a branch that falls
 * behind drops to its next keyframe instead of slowing ingest or its siblings; a branch that fails
 * is attached again after a backoff, starting with the latest codec configuration records, while
 * the others go on. The entity hears about detected media, health (about once a second) and the
 * session's end.
 */
public final class MediaGraph implements SessionGraph {
  private static final Logger log = LoggerFactory.getLogger(MediaGraph.class);

  private final String logContext;
  private final String sessionId;
  private final GraphSettings settings;
  private final Materializer materializer;
  private final AtomicReference<String> stopReason = new AtomicReference<>();
  private final AtomicReference<List<MediaPacket>> latestConfigs = new AtomicReference<>(List.of());
  private final CompletableFuture<Throwable> upstreamEnd = new CompletableFuture<>();
  private final CompletableFuture<Done> sessionOver = new CompletableFuture<>();
  private final CompletableFuture<Done> completion = new CompletableFuture<>();
  private SinkRef<MediaPacket> sink;
  private UniqueKillSwitch killSwitch;
  private Source<MediaPacket, NotUsed> hub;

  private MediaGraph(
      String logContext, String sessionId, GraphSettings settings, Materializer materializer) {
    this.logContext = logContext;
    this.sessionId = sessionId;
    this.settings = settings;
    this.materializer = materializer;
  }

  /** Materializes the graph; the branches start when ingest starts streaming into the sink. */
  public static MediaGraph start(
      String streamId,
      String sessionId,
      ActorRef<LiveStreamProtocol.Command> entity,
      List<Branch> branches,
      GraphSettings settings,
      Materializer materializer,
      Clock clock) {
    MediaGraph graph =
        new MediaGraph(
            "stream=" + streamId + " session=" + sessionId, sessionId, settings, materializer);
    graph.run(entity, branches, clock);
    return graph;
  }

  private void run(
      ActorRef<LiveStreamProtocol.Command> entity, List<Branch> branches, Clock clock) {
    Map<String, AtomicLong> drops = new LinkedHashMap<>();
    for (Branch b : branches) {
      drops.put(b.name(), new AtomicLong());
    }
    MediaInspector.Listener listener =
        new MediaInspector.Listener() {
          @Override
          public void mediaDetected(VideoInfo video, AudioInfo audio) {
            entity.tell(new LiveStreamProtocol.SessionMediaDetected(sessionId, video, audio));
          }

          @Override
          public void health(HealthStats stats) {
            entity.tell(new LiveStreamProtocol.SessionHealth(sessionId, stats));
          }
        };
    MediaInspector inspector =
        new MediaInspector(
            logContext,
            settings.healthInterval(),
            clock,
            listener,
            drops,
            latestConfigs,
            ex -> {
              upstreamEnd.complete(ex);
              sessionOver.complete(Done.getInstance());
            });
    Pair<Pair<SinkRef<MediaPacket>, UniqueKillSwitch>, Source<MediaPacket, NotUsed>> m =
        StreamRefs.<MediaPacket>sinkRef()
            .viaMat(KillSwitches.single(), Keep.both())
            .via(inspector)
            .toMat(
                BroadcastHub.of(MediaPacket.class, branches.size(), settings.hubBuffer()),
                Keep.both())
            .run(materializer);
    sink = m.first().first();
    killSwitch = m.first().second();
    hub = m.second();

    List<CompletableFuture<Done>> done = new ArrayList<>();
    for (Branch b : branches) {
      CompletableFuture<Done> branchDone = new CompletableFuture<>();
      done.add(branchDone);
      attach(b, drops.get(b.name()), false, branchDone);
    }
    CompletableFuture.allOf(done.toArray(CompletableFuture[]::new))
        .whenComplete(
            (ok, err) -> {
              String reason = endReason();
              log.info("{} media graph closed: {}", logContext, reason);
              entity.tell(new LiveStreamProtocol.SessionEnded(sessionId, reason));
              completion.complete(Done.getInstance());
            });
  }

  private void attach(
      Branch branch, AtomicLong dropped, boolean restart, CompletableFuture<Done> branchDone) {
    Source<MediaPacket, NotUsed> source =
        restart ? Source.from(latestConfigs.get()).concat(hub) : hub;
    Pair<UniqueKillSwitch, CompletionStage<Done>> run =
        source
            .via(
                new KeyframeDropBuffer(
                    settings.branchBufferPackets(), settings.branchBufferBytes(), dropped))
            .async()
            .viaMat(KillSwitches.single(), Keep.right())
            .toMat(branch.sink().get(), Keep.both())
            .run(materializer);
    // A branch gets flush-timeout to finish once the session is over; one that is stuck (a
    // stalled restream target, say) is then aborted so the session can end.
    sessionOver.thenRun(
        () ->
            CompletableFuture.delayedExecutor(
                    settings.flushTimeout().toMillis(), TimeUnit.MILLISECONDS)
                .execute(
                    () ->
                        run.first()
                            .abort(
                                new IllegalStateException(
                                    "branch did not finish within "
                                        + settings.flushTimeout().toMillis()
                                        + " ms"))));
    run.second()
        .whenComplete(
            (ok, err) -> {
              if (err == null) {
                branchDone.complete(Done.getInstance());
              } else if (sessionOver.isDone()) {
                log.warn(
                    "{} branch {} failed while closing: {}",
                    logContext,
                    branch.name(),
                    err.toString());
                branchDone.complete(Done.getInstance());
              } else {
                log.warn(
                    "{} branch {} failed, attaching it again in {} ms: {}",
                    logContext,
                    branch.name(),
                    settings.branchRestartBackoff().toMillis(),
                    err.toString());
                CompletableFuture.delayedExecutor(
                        settings.branchRestartBackoff().toMillis(), TimeUnit.MILLISECONDS)
                    .execute(() -> attach(branch, dropped, true, branchDone));
              }
            });
  }

  private String endReason() {
    String stopped = stopReason.get();
    if (stopped != null) {
      return stopped;
    }
    Throwable failure = upstreamEnd.getNow(null);
    return failure == null
        ? "publisher disconnected"
        : "publisher connection lost: " + failure.getMessage();
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
      sessionOver.complete(Done.getInstance());
      killSwitch.shutdown();
    }
  }

  @Override
  public CompletionStage<Done> completion() {
    return completion;
  }
}

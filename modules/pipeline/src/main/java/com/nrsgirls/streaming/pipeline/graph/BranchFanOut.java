package com.nrsgirls.streaming.pipeline.graph;

import com.nrsgirls.streaming.core.media.AvcDecoderConfig;
import com.nrsgirls.streaming.core.media.Codec;
import com.nrsgirls.streaming.core.media.MediaFormatException;
import com.nrsgirls.streaming.core.media.MediaPacket;
import com.nrsgirls.streaming.core.stream.OutputStatus;
import com.nrsgirls.streaming.pipeline.hls.SegmentClock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.Done;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.Attributes;
import org.apache.pekko.stream.Inlet;
import org.apache.pekko.stream.SinkShape;
import org.apache.pekko.stream.SubscriptionWithCancelException;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.stream.stage.AbstractGraphStageWithMaterializedValue;
import org.apache.pekko.stream.stage.AbstractInHandler;
import org.apache.pekko.stream.stage.AbstractOutHandler;
import org.apache.pekko.stream.stage.AsyncCallback;
import org.apache.pekko.stream.stage.GraphStageLogic;
import org.apache.pekko.stream.stage.TimerGraphStageLogic;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.jdk.javaapi.FutureConverters;

/**
 * The single fan-out point of a session's media graph. Every branch gets its own {@link DropQueue},
 * and its sink runs as a sub-stream fused into this stage's actor: a packet reaches every branch
 * without a thread hop. The stage always pulls, so a branch that falls behind only fills and then
 * drops its own queue; it never slows ingest or the other branches. A branch whose work is heavy or
 * blocking (a transcoder) puts an asynchronous boundary inside its own sink.
 *
 * <p>A branch that fails is attached again after a backoff (doubling up to a minute), starting with
 * the latest codec configuration of each track; a branch attached while the session runs starts the
 * same way. When ingest ends, each branch drains its queue and completes; one that has not finished
 * within the flush timeout is aborted. The materialized {@link Control} attaches branches later and
 * reports drops and completion.
 */
final class BranchFanOut
    extends AbstractGraphStageWithMaterializedValue<SinkShape<MediaPacket>, BranchFanOut.Control> {
  private static final Logger log = LoggerFactory.getLogger(BranchFanOut.class);
  private static final Duration MAX_BACKOFF = Duration.ofMinutes(1);

  /** A branch that failed after running this long starts its backoff over. */
  private static final Duration HEALTHY_RUN = Duration.ofSeconds(30);

  /** The running fan-out, as the graph holds it; thread-safe. */
  interface Control {
    /** Adds a branch; its stage completes when the branch has finished. */
    CompletionStage<Done> attach(Branch branch);

    /**
     * Ends the branch named {@code name} while the session goes on: what it has queued is dropped,
     * its input completes, and it is not restarted. The stage completes when it has finished (at
     * once if there is no such branch).
     */
    CompletionStage<Done> detach(String name);

    /** Packets each branch dropped so far, by branch name. */
    Map<String, AtomicLong> drops();

    /** How each branch is doing now. */
    List<OutputStatus> outputs();

    /** Completes when every branch has finished, after ingest ended. */
    CompletionStage<Done> completion();
  }

  private final Inlet<MediaPacket> in = Inlet.create("BranchFanOut.in");
  private final SinkShape<MediaPacket> shape = SinkShape.of(in);
  private final String logContext;
  private final List<Branch> initial;
  private final MediaGraph.MediaBranches mediaBranches;
  private final OutputListener outputListener;
  private final SegmentClock segmentClock;
  private final GraphSettings settings;

  /**
   * @param segmentClock marks the packets where segments start before any branch sees them; null
   *     for none
   */
  BranchFanOut(
      String logContext,
      List<Branch> initial,
      MediaGraph.MediaBranches mediaBranches,
      SegmentClock segmentClock,
      OutputListener outputListener,
      GraphSettings settings) {
    this.logContext = logContext;
    this.outputListener = outputListener;
    this.initial = List.copyOf(initial);
    this.mediaBranches = mediaBranches;
    this.segmentClock = segmentClock;
    this.settings = settings;
  }

  @Override
  public SinkShape<MediaPacket> shape() {
    return shape;
  }

  @Override
  public Pair<GraphStageLogic, Control> createLogicAndMaterializedValuePair(
      Attributes inheritedAttributes) {
    Logic logic = new Logic();
    return Pair.create(logic, logic.control);
  }

  /** One branch: its queue, its current sub-stream, and its end. */
  private final class Attached {
    final Branch branch;
    final DropQueue queue;
    final CompletableFuture<Done> done;
    GraphStageLogic.SubSourceOutlet<MediaPacket> outlet;
    final AtomicLong dropped;
    int failures;
    int restarts;
    long liveSinceNanos;
    boolean detached;
    String state;
    volatile String lastError;

    Attached(Branch branch, AtomicLong dropped, CompletableFuture<Done> done) {
      this.branch = branch;
      this.queue =
          new DropQueue(
              branch.queuePackets() > 0 ? branch.queuePackets() : settings.branchBufferPackets(),
              settings.branchBufferBytes(),
              dropped);
      this.dropped = dropped;
      this.done = done;
    }
  }

  private final class Logic extends TimerGraphStageLogic {
    private final List<Attached> branches = new ArrayList<>();
    private final Map<String, AtomicLong> drops = new ConcurrentHashMap<>();
    private final Map<Attached, OutputStatus> statuses = new ConcurrentHashMap<>();
    private final CompletableFuture<Done> allDone = new CompletableFuture<>();
    private final AsyncCallback<Pair<Branch, CompletableFuture<Done>>> attachCallback =
        createAsyncCallback(p -> attach(p.first(), p.second()));
    private final AsyncCallback<Pair<String, CompletableFuture<Done>>> detachCallback =
        createAsyncCallback(p -> detach(p.first(), p.second()));
    private MediaPacket videoConfig;
    private MediaPacket audioConfig;
    private boolean ingestEnded;
    private boolean mediaBranchesAttached;
    private int videoWidth;
    private int videoHeight;
    final Control control;

    Logic() {
      super(shape);
      control =
          new Control() {
            @Override
            public CompletionStage<Done> attach(Branch branch) {
              CompletableFuture<Done> done = new CompletableFuture<>();
              FutureConverters.asJava(attachCallback.invokeWithFeedback(Pair.create(branch, done)))
                  .whenComplete(
                      (ok, err) -> {
                        if (err != null) {
                          done.completeExceptionally(err); // the fan-out is already gone
                        }
                      });
              return done;
            }

            @Override
            public CompletionStage<Done> detach(String name) {
              CompletableFuture<Done> done = new CompletableFuture<>();
              FutureConverters.asJava(detachCallback.invokeWithFeedback(Pair.create(name, done)))
                  .whenComplete(
                      (ok, err) -> {
                        if (err != null) {
                          done.complete(Done.getInstance()); // the fan-out is gone, and it too
                        }
                      });
              return done;
            }

            @Override
            public Map<String, AtomicLong> drops() {
              return drops;
            }

            @Override
            public List<OutputStatus> outputs() {
              List<OutputStatus> list = new ArrayList<>();
              for (Map.Entry<Attached, OutputStatus> e : statuses.entrySet()) {
                OutputStatus s = e.getValue();
                Attached a = e.getKey();
                list.add(
                    new OutputStatus(
                        s.name(),
                        s.state(),
                        s.restarts(),
                        a.dropped.get(),
                        s.since(),
                        a.lastError,
                        a.branch.bytesSent().getAsLong(),
                        a.branch.feed(),
                        a.branch.detail()));
              }
              list.sort(java.util.Comparator.comparing(OutputStatus::name));
              return list;
            }

            @Override
            public CompletionStage<Done> completion() {
              return allDone;
            }
          };
      setHandler(
          in,
          new AbstractInHandler() {
            @Override
            public void onPush() {
              MediaPacket packet = grab(in);
              if (segmentClock != null) {
                packet = segmentClock.mark(packet);
              }
              if (packet.isConfig()) {
                if (packet.isVideo()) {
                  mediaBranchesFor(packet);
                  videoConfig = packet;
                } else {
                  audioConfig = packet;
                }
              }
              for (int i = 0; i < branches.size(); i++) {
                Attached a = branches.get(i);
                if (a.outlet != null && !a.detached) {
                  int dropped = a.queue.offer(packet);
                  if (dropped > 0) {
                    outputListener.outputDropped(a.branch.name(), dropped);
                  }
                  deliver(a);
                }
              }
              pull(in);
            }

            @Override
            public void onUpstreamFinish() {
              endIngest();
            }

            @Override
            public void onUpstreamFailure(Throwable ex) {
              // The publisher's connection failed; the branches keep what they were given.
              endIngest();
            }
          });
    }

    @Override
    public void preStart() {
      setKeepGoing(true);
      for (Branch b : initial) {
        attach(b, new CompletableFuture<>());
      }
      pull(in);
    }

    /**
     * Attaches what waits for the picture size, before the first video config goes anywhere, and
     * tells it when a later config changes the size.
     */
    private void mediaBranchesFor(MediaPacket config) {
      if (config.codec() != Codec.H264) {
        return;
      }
      AvcDecoderConfig avc;
      try {
        avc = AvcDecoderConfig.parse(config.array(), config.offset(), config.length());
      } catch (MediaFormatException e) {
        return; // the next one may be readable; the inspector reports this one
      }
      if (mediaBranchesAttached) {
        if (avc.width() != videoWidth || avc.height() != videoHeight) {
          videoWidth = avc.width();
          videoHeight = avc.height();
          try {
            mediaBranches.videoSizeChanged(videoWidth, videoHeight);
          } catch (RuntimeException e) {
            log.error(
                "{} branches not re-planned for {}x{}: {}",
                logContext,
                videoWidth,
                videoHeight,
                e.toString());
          }
        }
        return;
      }
      mediaBranchesAttached = true;
      videoWidth = avc.width();
      videoHeight = avc.height();
      List<Branch> late;
      try {
        late = mediaBranches.forVideo(avc.width(), avc.height());
      } catch (RuntimeException e) {
        log.error(
            "{} branches for {}x{} not attached: {}",
            logContext,
            avc.width(),
            avc.height(),
            e.toString());
        return;
      }
      for (Branch b : late) {
        attach(b, new CompletableFuture<>());
      }
    }

    private void attach(Branch branch, CompletableFuture<Done> done) {
      if (ingestEnded) {
        done.complete(Done.getInstance());
        return;
      }
      branches.removeIf(b -> b.detached && b.done.isDone()); // detached ones are gone for good
      AtomicLong dropped = drops.computeIfAbsent(branch.name(), n -> new AtomicLong());
      Attached a = new Attached(branch, dropped, done);
      branches.add(a);
      start(a);
    }

    private void setState(Attached a, String state) {
      if (state.equals(a.state)) {
        return;
      }
      String from = a.state;
      a.state = state;
      statuses.put(
          a,
          new OutputStatus(
              a.branch.name(),
              state,
              a.restarts,
              0,
              Instant.now(),
              null,
              0,
              a.branch.feed(),
              a.branch.detail()));
      outputListener.outputStateChanged(a.branch.name(), from, state);
    }

    private void ended(Attached a) {
      if (statuses.remove(a) != null) {
        outputListener.outputStateChanged(a.branch.name(), a.state, null);
      }
    }

    /** Runs the branch's sink as a fused sub-stream, beginning with the current configs. */
    private void start(Attached a) {
      if (a.failures < OutputStatus.FAILED_AFTER) {
        setState(a, OutputStatus.STARTING);
      }
      if (videoConfig != null) {
        a.queue.offer(videoConfig);
      }
      if (audioConfig != null) {
        a.queue.offer(audioConfig);
      }
      SubSourceOutlet<MediaPacket> outlet =
          new SubSourceOutlet<>("BranchFanOut." + a.branch.name());
      a.outlet = outlet;
      outlet.setHandler(
          new AbstractOutHandler() {
            @Override
            public void onPull() {
              deliver(a);
            }

            @Override
            public void onDownstreamFinish(Throwable cause) {
              branchCancelled(a, outlet, cause);
            }
          });
      CompletionStage<Done> finished;
      try {
        finished =
            Source.fromGraph(outlet.source())
                .toMat(a.branch.sink().get(), Keep.right())
                .run(subFusingMaterializer());
      } catch (RuntimeException e) {
        branchFailed(a, e);
        return;
      }
      AsyncCallback<Throwable> onFinished =
          createAsyncCallback(err -> branchFinished(a, outlet, err));
      finished.whenComplete((ok, err) -> onFinished.invoke(err));
    }

    private void deliver(Attached a) {
      SubSourceOutlet<MediaPacket> outlet = a.outlet;
      if (outlet == null || outlet.isClosed()) {
        return;
      }
      if (outlet.isAvailable() && !a.queue.isEmpty()) {
        MediaPacket p = a.queue.poll();
        if (!OutputStatus.LIVE.equals(a.state) && p.isKeyframe() && !p.isConfig()) {
          a.liveSinceNanos = System.nanoTime();
          setState(a, OutputStatus.LIVE);
        }
        outlet.push(p);
      }
      if ((ingestEnded || a.detached) && a.queue.isEmpty()) {
        outlet.complete();
      }
    }

    private void detach(String name, CompletableFuture<Done> done) {
      for (Attached a : branches) {
        if (a.branch.name().equals(name) && !a.detached && !a.done.isDone()) {
          a.detached = true;
          a.done.whenComplete((ok, err) -> done.complete(Done.getInstance()));
          while (a.queue.poll() != null) {
            // stale for a branch that is going away
          }
          if (a.outlet == null) {
            finish(a); // waiting for a restart that will not come
          } else {
            deliver(a);
          }
          return;
        }
      }
      done.complete(Done.getInstance());
    }

    private void branchCancelled(Attached a, SubSourceOutlet<MediaPacket> outlet, Throwable cause) {
      if (a.outlet != outlet) {
        return;
      }
      if (cause instanceof SubscriptionWithCancelException.NonFailureCancellation) {
        return; // the branch stopped taking input on purpose; its sink's completion says the rest
      }
      branchFailed(a, cause);
    }

    private void branchFinished(Attached a, SubSourceOutlet<MediaPacket> outlet, Throwable err) {
      if (a.outlet != outlet) {
        return;
      }
      if (err == null || ingestEnded || a.detached) {
        if (err != null) {
          log.warn(
              "{} branch {} failed while closing: {}", logContext, a.branch.name(), err.toString());
        }
        finish(a);
      } else {
        branchFailed(a, err);
      }
    }

    /** A failure in words for the state API: the innermost useful message, printable, short. */
    private static String describe(Throwable err) {
      Throwable t = err;
      while ((t instanceof java.util.concurrent.CompletionException
              || t instanceof java.util.concurrent.ExecutionException)
          && t.getCause() != null) {
        t = t.getCause();
      }
      String text = t.getMessage() != null ? t.getMessage() : t.getClass().getSimpleName();
      StringBuilder b = new StringBuilder();
      for (int i = 0; i < text.length() && b.length() < 300; i++) {
        char c = text.charAt(i);
        b.append(c >= 0x20 && c < 0x7F ? c : ' ');
      }
      return b.toString();
    }

    private void branchFailed(Attached a, Throwable err) {
      a.outlet = null;
      if (ingestEnded || a.detached) {
        finish(a);
        return;
      }
      if (OutputStatus.LIVE.equals(a.state)
          && System.nanoTime() - a.liveSinceNanos > HEALTHY_RUN.toNanos()) {
        a.failures = 0; // it ran well for a while: this failure starts the backoff over
      }
      a.failures++;
      a.restarts++;
      a.lastError = describe(err);
      setState(
          a, a.failures >= OutputStatus.FAILED_AFTER ? OutputStatus.FAILED : OutputStatus.RETRYING);
      long capped =
          Math.min(
              MAX_BACKOFF.toMillis(),
              settings.branchRestartBackoff().toMillis() << Math.min(a.failures - 1, 16));
      // ±20 % jitter: the targets of many streams that lost one platform do not return in step
      long backoff = Math.round(capped * (0.8 + 0.4 * ThreadLocalRandom.current().nextDouble()));
      log.warn(
          "{} branch {} failed ({} so far), attaching it again in {} ms: {}",
          logContext,
          a.branch.name(),
          a.failures,
          backoff,
          err.toString());
      while (a.queue.poll() != null) {
        // what it had queued is stale by the time it is back
      }
      scheduleOnce(a, Duration.ofMillis(backoff));
    }

    @Override
    public void onTimer(Object key) {
      if (key instanceof Attached a) {
        if (!ingestEnded && !a.detached && a.outlet == null && !a.done.isDone()) {
          start(a);
        }
      } else if ("flush-timeout".equals(key)) {
        for (Attached a : branches) {
          if (!a.done.isDone()) {
            log.warn(
                "{} branch {} did not finish within {} ms, aborting it",
                logContext,
                a.branch.name(),
                settings.flushTimeout().toMillis());
            SubSourceOutlet<MediaPacket> outlet = a.outlet;
            a.outlet = null;
            if (outlet != null && !outlet.isClosed()) {
              outlet.fail(new IllegalStateException("branch did not finish in time"));
            }
            finish(a);
          }
        }
      }
    }

    private void endIngest() {
      if (ingestEnded) {
        return;
      }
      ingestEnded = true;
      for (Attached a : branches) {
        if (a.outlet == null) {
          finish(a); // waiting for a restart that will not come
        } else {
          deliver(a);
        }
      }
      scheduleOnce("flush-timeout", settings.flushTimeout());
      checkAllDone();
    }

    private void finish(Attached a) {
      a.done.complete(Done.getInstance());
      ended(a);
      checkAllDone();
    }

    private void checkAllDone() {
      if (ingestEnded && branches.stream().allMatch(a -> a.done.isDone())) {
        allDone.complete(Done.getInstance());
        completeStage();
      }
    }

    @Override
    public void postStop() {
      for (Attached a : branches) {
        a.done.complete(Done.getInstance());
        ended(a);
      }
      allDone.complete(Done.getInstance());
    }
  }
}

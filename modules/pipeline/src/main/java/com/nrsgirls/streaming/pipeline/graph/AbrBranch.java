package com.nrsgirls.streaming.pipeline.graph;

import com.nrsgirls.streaming.core.media.MediaPacket;
import com.nrsgirls.streaming.pipeline.abr.LadderTranscoder;
import com.nrsgirls.streaming.pipeline.abr.RungSize;
import com.nrsgirls.streaming.pipeline.abr.TranscodeException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.apache.pekko.Done;
import org.apache.pekko.stream.Attributes;
import org.apache.pekko.stream.FlowShape;
import org.apache.pekko.stream.Inlet;
import org.apache.pekko.stream.Outlet;
import org.apache.pekko.stream.SinkShape;
import org.apache.pekko.stream.UniformFanOutShape;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.GraphDSL;
import org.apache.pekko.stream.javadsl.Partition;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.stage.AbstractInHandler;
import org.apache.pekko.stream.stage.AbstractOutHandler;
import org.apache.pekko.stream.stage.AsyncCallback;
import org.apache.pekko.stream.stage.GraphStage;
import org.apache.pekko.stream.stage.GraphStageLogic;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The ABR branch of a session: the source's packets through a {@link LadderTranscoder}, each rung's
 * packets into that rung's HLS output (an {@link HlsBranch} rendition, cut by the session's segment
 * clock and listed by its packager).
 *
 * <pre>
 * DropQueue (the fan-out's) -> Transcode (decode executor; rungs on the encode executor)
 *     -> Partition by rung -> HlsBranch per rung
 * </pre>
 *
 * <p>Transcoding never holds up ingest or the other branches: the stage takes the next packet only
 * once the transcoder has finished with the last one, so when the encoders fall behind the branch's
 * queue in the fan-out fills and drops to the next keyframe (counted as the branch's drops). The
 * transcoder works on a bounded executor of its own, never on the stream's thread or Pekko's
 * default dispatcher; its native memory is freed when the stage stops, after any work in flight. A
 * codec failure fails the branch, which the fan-out restarts with a new transcoder.
 */
final class AbrBranch {
  private static final Logger log = LoggerFactory.getLogger(AbrBranch.class);

  /** The branch's name in logs and statistics. */
  static final String NAME = "abr";

  private AbrBranch() {}

  /** One packet of one rung. */
  record RungPacket(int rung, MediaPacket packet) {}

  /**
   * The branch for {@code plan}, each rung's HLS output made by {@code rungSink}.
   *
   * @param framesEncoded counts pictures encoded, all rungs together, for the health
   * @param queuePackets how far the ladder may fall behind before it drops to the next keyframe
   */
  static Branch create(
      String logContext,
      List<RungSize> plan,
      LadderTranscoder.EncoderSettings encoderSettings,
      Executor decode,
      Executor encode,
      Function<RungSize, Sink<MediaPacket, CompletionStage<Done>>> rungSink,
      AtomicLong framesEncoded,
      int queuePackets) {
    return new Branch(
        NAME,
        () ->
            Flow.fromGraph(
                    new Transcode(logContext, plan, encoderSettings, decode, encode, framesEncoded))
                .toMat(rungs(plan, rungSink), (notUsed, done) -> done),
        queuePackets);
  }

  /** A sink that hands each rung's packets to its own output; done when all of them are. */
  private static Sink<RungPacket, CompletionStage<Done>> rungs(
      List<RungSize> plan, Function<RungSize, Sink<MediaPacket, CompletionStage<Done>>> rungSink) {
    List<Sink<RungPacket, CompletionStage<Done>>> outputs = new ArrayList<>();
    for (RungSize r : plan) {
      outputs.add(
          Flow.<RungPacket>create().map(RungPacket::packet).toMat(rungSink.apply(r), (a, b) -> b));
    }
    return Sink.fromGraph(
            GraphDSL.create(
                outputs,
                (builder, shapes) -> {
                  UniformFanOutShape<RungPacket, RungPacket> partition =
                      builder.add(Partition.create(plan.size(), RungPacket::rung));
                  for (int i = 0; i < shapes.size(); i++) {
                    builder.from(partition.out(i)).to(shapes.get(i));
                  }
                  return new SinkShape<>(partition.in());
                }))
        .mapMaterializedValue(
            stages ->
                CompletableFuture.allOf(
                        stages.stream()
                            .map(CompletionStage::toCompletableFuture)
                            .toArray(CompletableFuture[]::new))
                    .thenApply(v -> Done.getInstance()));
  }

  /** Runs the transcoder off the stream's thread, one packet at a time. */
  private static final class Transcode extends GraphStage<FlowShape<MediaPacket, RungPacket>> {
    private final Inlet<MediaPacket> in = Inlet.create("AbrBranch.Transcode.in");
    private final Outlet<RungPacket> out = Outlet.create("AbrBranch.Transcode.out");
    private final FlowShape<MediaPacket, RungPacket> shape = FlowShape.of(in, out);
    private final String logContext;
    private final List<RungSize> plan;
    private final LadderTranscoder.EncoderSettings encoderSettings;
    private final Executor decode;
    private final Executor encode;
    private final AtomicLong framesEncoded;

    Transcode(
        String logContext,
        List<RungSize> plan,
        LadderTranscoder.EncoderSettings encoderSettings,
        Executor decode,
        Executor encode,
        AtomicLong framesEncoded) {
      this.logContext = logContext;
      this.plan = List.copyOf(plan);
      this.encoderSettings = encoderSettings;
      this.decode = decode;
      this.encode = encode;
      this.framesEncoded = framesEncoded;
    }

    @Override
    public FlowShape<MediaPacket, RungPacket> shape() {
      return shape;
    }

    @Override
    public GraphStageLogic createLogic(Attributes inheritedAttributes) {
      return new GraphStageLogic(shape) {
        private final ArrayDeque<RungPacket> ready = new ArrayDeque<>();
        private final List<RungPacket> produced = new ArrayList<>();
        private LadderTranscoder transcoder;
        private CompletableFuture<?> inFlight = CompletableFuture.completedFuture(null);
        private boolean busy;
        private boolean upstreamDone;
        private boolean finished;

        {
          setHandler(
              in,
              new AbstractInHandler() {
                @Override
                public void onPush() {
                  MediaPacket packet = grab(in);
                  run(() -> transcoder.accept(packet));
                }

                @Override
                public void onUpstreamFinish() {
                  upstreamDone = true;
                  if (!busy) {
                    finishTranscoder();
                  }
                }
              });
          setHandler(
              out,
              new AbstractOutHandler() {
                @Override
                public void onPull() {
                  emitReady();
                }
              });
        }

        @Override
        public void preStart() {
          try {
            transcoder =
                LadderTranscoder.create(
                    plan,
                    encoderSettings,
                    encode,
                    (rung, packet) -> produced.add(new RungPacket(plan.indexOf(rung), packet)));
          } catch (TranscodeException e) {
            failStage(e);
            return;
          }
          pull(in);
        }

        private interface TranscoderCall {
          void run() throws Exception;
        }

        /** Runs {@code call} on the decode executor; its output is taken on the stage's thread. */
        private void run(TranscoderCall call) {
          busy = true;
          AsyncCallback<Throwable> done = createAsyncCallback(this::transcoded);
          inFlight =
              CompletableFuture.runAsync(
                      () -> {
                        try {
                          call.run();
                        } catch (Exception e) {
                          throw new IllegalStateException(e.getMessage(), e);
                        }
                      },
                      decode)
                  .whenComplete((ok, err) -> done.invoke(err));
        }

        private void transcoded(Throwable err) {
          busy = false;
          if (err != null) {
            Throwable cause = err.getCause() != null ? err.getCause() : err;
            log.warn("{} ABR transcoder failed: {}", logContext, cause.getMessage());
            failStage(cause);
            return;
          }
          // the task's completion orders its writes to `produced` before this read
          for (RungPacket p : produced) {
            if (p.packet().isVideo() && !p.packet().isConfig()) {
              framesEncoded.incrementAndGet();
            }
          }
          ready.addAll(produced);
          produced.clear();
          if (upstreamDone && !finished) {
            finishTranscoder();
          }
          emitReady();
        }

        private void emitReady() {
          while (isAvailable(out) && !ready.isEmpty()) {
            push(out, ready.poll());
          }
          if (ready.isEmpty() && !busy) {
            if (finished) {
              completeStage();
            } else if (!upstreamDone && !hasBeenPulled(in) && !isClosed(in)) {
              pull(in);
            }
          }
        }

        private void finishTranscoder() {
          finished = true;
          run(transcoder::finish);
        }

        @Override
        public void postStop() {
          LadderTranscoder t = transcoder;
          if (t != null) {
            // after any call in flight, on the executor that runs them: never under its feet
            inFlight.whenCompleteAsync((ok, err) -> t.close(), decode);
          }
        }
      };
    }
  }
}

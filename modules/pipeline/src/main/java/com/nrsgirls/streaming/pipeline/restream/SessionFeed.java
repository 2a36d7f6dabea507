package com.nrsgirls.streaming.pipeline.restream;

import com.nrsgirls.streaming.core.media.MediaPacket;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.Attributes;
import org.apache.pekko.stream.FlowShape;
import org.apache.pekko.stream.Inlet;
import org.apache.pekko.stream.Outlet;
import org.apache.pekko.stream.stage.AbstractGraphStageWithMaterializedValue;
import org.apache.pekko.stream.stage.AbstractInHandler;
import org.apache.pekko.stream.stage.AbstractOutHandler;
import org.apache.pekko.stream.stage.AsyncCallback;
import org.apache.pekko.stream.stage.GraphStageLogic;

/**
 * One session's branch into a {@link TargetPush}: it takes no packet from the session's queue until
 * the target accepted the publish (so the fan-out's queue holds them, dropping to a keyframe if it
 * must, and the output turns live only when packets flow), then passes them on tagged with the
 * session. Its materialized value completes when the session's packets are all handed on, and fails
 * when the push fails under it, so the fan-out reconnects the target with backoff.
 */
final class SessionFeed
    extends AbstractGraphStageWithMaterializedValue<
        FlowShape<MediaPacket, SessionPacket>, CompletionStage<Done>> {
  private final String sessionId;
  private final TargetPush push;
  private final Inlet<MediaPacket> in = Inlet.create("SessionFeed.in");
  private final Outlet<SessionPacket> out = Outlet.create("SessionFeed.out");
  private final FlowShape<MediaPacket, SessionPacket> shape = FlowShape.of(in, out);

  SessionFeed(String sessionId, TargetPush push) {
    this.sessionId = sessionId;
    this.push = push;
  }

  @Override
  public FlowShape<MediaPacket, SessionPacket> shape() {
    return shape;
  }

  @Override
  public Pair<GraphStageLogic, CompletionStage<Done>> createLogicAndMaterializedValuePair(
      Attributes attributes) {
    CompletableFuture<Done> done = new CompletableFuture<>();
    GraphStageLogic logic =
        new GraphStageLogic(shape) {
          private boolean publishing;

          {
            setHandler(
                in,
                new AbstractInHandler() {
                  @Override
                  public void onPush() {
                    push(out, new SessionPacket(sessionId, grab(in)));
                  }

                  @Override
                  public void onUpstreamFinish() {
                    done.complete(Done.getInstance());
                    completeStage();
                  }

                  @Override
                  public void onUpstreamFailure(Throwable ex) {
                    done.completeExceptionally(ex);
                    failStage(ex);
                  }
                });
            setHandler(
                out,
                new AbstractOutHandler() {
                  @Override
                  public void onPull() {
                    if (publishing && !hasBeenPulled(in)) {
                      pull(in);
                    }
                  }

                  @Override
                  public void onDownstreamFinish(Throwable cause) {
                    failed(cause);
                  }
                });
          }

          @Override
          public void preStart() {
            AsyncCallback<Throwable> ready =
                createAsyncCallback(
                    err -> {
                      if (err != null) {
                        failed(err);
                        return;
                      }
                      publishing = true;
                      if (isAvailable(out) && !hasBeenPulled(in)) {
                        pull(in);
                      }
                    });
            push.publishing().whenComplete((ok, err) -> ready.invoke(err));
          }

          /** The push under this session ended: the branch fails with its reason. */
          private void failed(Throwable cause) {
            Throwable why = push.failure();
            RestreamException e =
                new RestreamException(
                    why != null ? why.getMessage() : "the connection to the target ended", why);
            done.completeExceptionally(e);
            failStage(e);
          }

          @Override
          public void postStop() {
            done.completeExceptionally(new RestreamException("the session's feed was stopped"));
          }
        };
    return Pair.create(logic, done);
  }
}

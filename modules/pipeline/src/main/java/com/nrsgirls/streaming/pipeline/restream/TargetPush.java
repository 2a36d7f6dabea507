package com.nrsgirls.streaming.pipeline.restream;

import com.nrsgirls.streaming.core.stream.RestreamTarget;
import com.nrsgirls.streaming.pipeline.restream.platform.PlatformClient;
import com.nrsgirls.streaming.rtmp.RtmpUrl;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.pekko.Done;
import org.apache.pekko.NotUsed;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.KillSwitches;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.UniqueKillSwitch;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.MergeHub;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;

/**
 * One connection to one restream target, which outlives the publish sessions that feed it: the
 * sessions' branches feed it one after the other through a {@link MergeHub}, so a publisher that
 * reconnects within the grace (or is taken over) continues the same broadcast on the platform. It
 * ends when the stream's outputs end or the target is changed or removed ({@link #end()}), or when
 * the connection fails; a session's branch then fails and the fan-out makes a new one after its
 * backoff.
 */
final class TargetPush {
  /** Packets a feeding session may have in flight into the hub: backpressure stays close. */
  private static final int PER_SESSION_BUFFER = 4;

  private final RestreamTarget target;
  private final Sink<SessionPacket, NotUsed> hub;
  private final UniqueKillSwitch ending;
  private final CompletionStage<Done> terminated;
  private final CompletableFuture<Done> publishing;
  private final AtomicReference<Throwable> failure;

  private TargetPush(
      RestreamTarget target,
      Sink<SessionPacket, NotUsed> hub,
      UniqueKillSwitch ending,
      CompletionStage<Done> terminated,
      CompletableFuture<Done> publishing,
      AtomicReference<Throwable> failure) {
    this.target = target;
    this.hub = hub;
    this.ending = ending;
    this.terminated = terminated;
    this.publishing = publishing;
    this.failure = failure;
  }

  /**
   * Connects to the target once {@code ingest} says where (at once for a target with a key; after
   * its platform's API answered for a linked account); the push runs until {@link #end()} or a
   * failure, and fails with the API's failure.
   */
  static TargetPush start(
      RestreamTarget target,
      CompletionStage<PlatformClient.Ingest> ingest,
      RestreamSettings settings,
      AtomicLong bytesSent,
      RestreamBranch.Connector connector,
      Materializer materializer) {
    CompletableFuture<Done> publishing = new CompletableFuture<>();
    AtomicReference<Throwable> failure = new AtomicReference<>();
    // the hub runs from now on (sessions may join it), the connection once the ingest is known
    Pair<Pair<Sink<SessionPacket, NotUsed>, UniqueKillSwitch>, Source<SessionPacket, NotUsed>> hub =
        MergeHub.of(SessionPacket.class, PER_SESSION_BUFFER)
            .viaMat(KillSwitches.single(), Keep.both())
            .preMaterialize(materializer);
    CompletableFuture<Done> terminated = new CompletableFuture<>();
    ingest.whenComplete(
        (where, err) -> {
          if (err != null) {
            Throwable cause = err instanceof CompletionException ? err.getCause() : err;
            failure.compareAndSet(null, cause);
            publishing.completeExceptionally(cause);
            hub.first().second().abort(cause);
            terminated.completeExceptionally(cause);
            return;
          }
          hub.second()
              .runWith(
                  connector.sink(
                      RtmpUrl.parse(where.url()),
                      where.streamKey(),
                      settings,
                      bytesSent,
                      publishing,
                      failure),
                  materializer)
              .whenComplete(
                  (ok, pushErr) -> {
                    if (pushErr != null) {
                      failure.compareAndSet(null, pushErr);
                      terminated.completeExceptionally(pushErr);
                    } else {
                      terminated.complete(ok);
                    }
                  });
        });
    return new TargetPush(
        target, hub.first().first(), hub.first().second(), terminated, publishing, failure);
  }

  RestreamTarget target() {
    return target;
  }

  /** Where a session's packets go. */
  Sink<SessionPacket, NotUsed> hub() {
    return hub;
  }

  /** Completes once the server accepted the publish; fails if the push ended before. */
  CompletionStage<Done> publishing() {
    return publishing;
  }

  /** Whether the push has ended (failed, or ended on purpose): a new session needs a new one. */
  boolean ended() {
    return terminated.toCompletableFuture().isDone();
  }

  /** Why the push failed; null while it has not. */
  Throwable failure() {
    return failure.get();
  }

  /** Ends the push politely: what was sent is flushed, then FCUnpublish and deleteStream. */
  void end() {
    ending.shutdown();
  }

  CompletionStage<Done> terminated() {
    return terminated;
  }
}

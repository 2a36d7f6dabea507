package com.nrsgirls.streaming.ingest;

import com.nrsgirls.streaming.core.media.MediaPacket;
import com.nrsgirls.streaming.core.stream.LiveStreamProtocol.PublishAccepted;
import com.nrsgirls.streaming.core.stream.LiveStreamProtocol.PublishRejected;
import com.nrsgirls.streaming.core.stream.LiveStreamProtocol.PublishReply;
import com.nrsgirls.streaming.core.stream.LiveStreamProtocol.PublishSession;
import com.nrsgirls.streaming.core.stream.PublishRejection;
import com.nrsgirls.streaming.core.stream.StreamKey;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.SinkRef;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.SinkQueueWithCancel;
import org.apache.pekko.stream.javadsl.StreamRefs;

/**
 * Plays the LiveStream entity: accepts {@link #KEY} into a sink that collects every packet, {@link
 * #CANCELLING_KEY} into one that cancels after {@link #CANCEL_AFTER} packets, as a stream stopped
 * by an operator would, and {@link #SLOW_KEY} into a queue the test pulls from, answering only when
 * the test {@link #releaseSlowDecision() says so}; {@link #SILENT_KEY} is never answered; any other
 * key is a wrong key.
 */
final class StubGateway implements PublishGateway {
  static final String KEY = "live_abcdef123456_SECRET";
  static final String CANCELLING_KEY = "live_cancel123456_SECRET";
  static final int CANCEL_AFTER = 30;
  static final String SLOW_KEY = "live_slowsink1234_SECRET";
  static final String SILENT_KEY = "live_silent123456_SECRET";

  /**
   * One accepted publish: its session and everything the sink received, or, for {@link #SLOW_KEY},
   * the queue to pull it from.
   */
  record Accepted(
      PublishSession session,
      CompletionStage<List<MediaPacket>> packets,
      SinkQueueWithCancel<MediaPacket> queue) {}

  private final ActorSystem<?> system;
  private final LinkedBlockingQueue<Accepted> accepted = new LinkedBlockingQueue<>();
  private final CompletableFuture<Boolean> slowDecision = new CompletableFuture<>();
  private final java.util.concurrent.atomic.AtomicInteger asked =
      new java.util.concurrent.atomic.AtomicInteger();

  StubGateway(ActorSystem<?> system) {
    this.system = system;
  }

  /** How many publishes asked the stream so far. */
  int asked() {
    return asked.get();
  }

  @Override
  public CompletionStage<PublishReply> publish(StreamKey key, PublishSession session) {
    asked.incrementAndGet();
    String k = key.reveal();
    if (k.equals(SILENT_KEY)) {
      return new CompletableFuture<>();
    }
    if (k.equals(SLOW_KEY)) {
      Pair<SinkRef<MediaPacket>, SinkQueueWithCancel<MediaPacket>> ref =
          StreamRefs.<MediaPacket>sinkRef().toMat(Sink.queue(), Keep.both()).run(system);
      accepted.add(new Accepted(session, null, ref.second()));
      return slowDecision.thenApply(done -> new PublishAccepted(key.streamId(), ref.first()));
    }
    if (!k.equals(KEY) && !k.equals(CANCELLING_KEY)) {
      return CompletableFuture.completedFuture(new PublishRejected(PublishRejection.WRONG_KEY));
    }
    Sink<MediaPacket, CompletionStage<List<MediaPacket>>> collect = Sink.seq();
    Pair<SinkRef<MediaPacket>, CompletionStage<List<MediaPacket>>> ref =
        k.equals(KEY)
            ? StreamRefs.<MediaPacket>sinkRef().toMat(collect, Keep.both()).run(system)
            : StreamRefs.<MediaPacket>sinkRef()
                .take(CANCEL_AFTER)
                .toMat(collect, Keep.both())
                .run(system);
    accepted.add(new Accepted(session, ref.second(), null));
    // answer asynchronously, as an ask would
    return CompletableFuture.supplyAsync(() -> new PublishAccepted(key.streamId(), ref.first()));
  }

  /** Lets the publishes of {@link #SLOW_KEY} go live. */
  void releaseSlowDecision() {
    slowDecision.complete(true);
  }

  /** The next accepted publish, waiting up to ten seconds for it. */
  Accepted nextAccepted() throws InterruptedException {
    Accepted next = accepted.poll(10, TimeUnit.SECONDS);
    if (next == null) {
      throw new AssertionError("no publish was accepted");
    }
    return next;
  }
}

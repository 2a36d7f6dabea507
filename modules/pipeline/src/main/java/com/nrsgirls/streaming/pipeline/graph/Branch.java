package com.nrsgirls.streaming.pipeline.graph;

import com.nrsgirls.streaming.core.media.MediaPacket;
import java.util.concurrent.CompletionStage;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.apache.pekko.Done;
import org.apache.pekko.stream.javadsl.Sink;

/**
 * One output of a session's media graph (HLS copy, ABR, a restream target, recording). The sink
 * runs behind its own {@link KeyframeDropBuffer} and asynchronous boundary; its materialized value
 * completes when the branch has flushed everything it was given. The supplier is called again when
 * the branch is restarted after a failure.
 *
 * @param name short name for logs and statistics, e.g. {@code hls-source}
 * @param queuePackets packets the branch may fall behind before it drops to the next keyframe; 0
 *     for the graph's {@code branch-buffer-packets}. A transcoder keeps it short: its viewers
 *     should not fall further behind live than that.
 * @param bytesSent bytes the branch has sent to a remote server so far in the session, over all its
 *     restarts (a restream target); 0 for a branch that sends nothing out
 * @param feed what it is fed, when that can be other than the source (a restream target fed from an
 *     ABR rung); null otherwise
 * @param detail what its status should say about how it is fed; null if nothing
 */
public record Branch(
    String name,
    Supplier<Sink<MediaPacket, CompletionStage<Done>>> sink,
    int queuePackets,
    LongSupplier bytesSent,
    String feed,
    String detail) {
  public Branch(
      String name,
      Supplier<Sink<MediaPacket, CompletionStage<Done>>> sink,
      int queuePackets,
      LongSupplier bytesSent) {
    this(name, sink, queuePackets, bytesSent, null, null);
  }

  /** This branch fed from {@code feed}, its status saying {@code text}. */
  public Branch fedFrom(String feed, String text) {
    return new Branch(name, sink, queuePackets, bytesSent, feed, text);
  }

  public Branch(String name, Supplier<Sink<MediaPacket, CompletionStage<Done>>> sink) {
    this(name, sink, 0);
  }

  public Branch(
      String name, Supplier<Sink<MediaPacket, CompletionStage<Done>>> sink, int queuePackets) {
    this(name, sink, queuePackets, () -> 0);
  }
}

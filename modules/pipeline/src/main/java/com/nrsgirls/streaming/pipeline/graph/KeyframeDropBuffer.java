package com.nrsgirls.streaming.pipeline.graph;

import com.nrsgirls.streaming.core.media.MediaPacket;
import java.util.ArrayDeque;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.stream.Attributes;
import org.apache.pekko.stream.FlowShape;
import org.apache.pekko.stream.Inlet;
import org.apache.pekko.stream.Outlet;
import org.apache.pekko.stream.stage.AbstractInHandler;
import org.apache.pekko.stream.stage.AbstractOutHandler;
import org.apache.pekko.stream.stage.GraphStage;
import org.apache.pekko.stream.stage.GraphStageLogic;

/**
 * The bounded buffer in front of every output branch. It always pulls from the fan-out, so a slow
 * branch never slows ingest or its sibling branches. When the buffer is full it drops the frames it
 * holds and everything after them up to the next video keyframe, so the branch resumes on a
 * decodable picture; codec configuration packets are never dropped. Each dropped packet is counted.
 *
 * <p>Audio-only streams have no keyframes to wait for: there the branch resumes as soon as the
 * buffer has room again.
 */
public final class KeyframeDropBuffer extends GraphStage<FlowShape<MediaPacket, MediaPacket>> {
  private final Inlet<MediaPacket> in = Inlet.create("KeyframeDropBuffer.in");
  private final Outlet<MediaPacket> out = Outlet.create("KeyframeDropBuffer.out");
  private final FlowShape<MediaPacket, MediaPacket> shape = FlowShape.of(in, out);
  private final int maxPackets;
  private final long maxBytes;
  private final AtomicLong dropped;

  /**
   * @param maxPackets packets the buffer holds before it starts dropping
   * @param maxBytes payload bytes the buffer holds before it starts dropping
   * @param dropped where dropped packets are counted; read by the graph's statistics
   */
  public KeyframeDropBuffer(int maxPackets, long maxBytes, AtomicLong dropped) {
    if (maxPackets < 1 || maxBytes < 1) {
      throw new IllegalArgumentException("buffer limits must be positive");
    }
    this.maxPackets = maxPackets;
    this.maxBytes = maxBytes;
    this.dropped = dropped;
  }

  @Override
  public FlowShape<MediaPacket, MediaPacket> shape() {
    return shape;
  }

  @Override
  public GraphStageLogic createLogic(Attributes inheritedAttributes) {
    return new GraphStageLogic(shape) {
      private final ArrayDeque<MediaPacket> queue = new ArrayDeque<>();
      private long queuedBytes;
      private boolean dropping;
      private boolean sawVideo;

      {
        setHandler(
            in,
            new AbstractInHandler() {
              @Override
              public void onPush() {
                offer(grab(in));
                if (isAvailable(out) && !queue.isEmpty()) {
                  pushHead();
                }
                pull(in);
              }

              @Override
              public void onUpstreamFinish() {
                if (queue.isEmpty()) {
                  completeStage();
                }
              }
            });
        setHandler(
            out,
            new AbstractOutHandler() {
              @Override
              public void onPull() {
                if (!queue.isEmpty()) {
                  pushHead();
                  if (queue.isEmpty() && isClosed(in)) {
                    completeStage();
                  }
                }
              }
            });
      }

      @Override
      public void preStart() {
        pull(in);
      }

      private void offer(MediaPacket packet) {
        if (packet.isVideo()) {
          sawVideo = true;
        }
        if (packet.isConfig()) {
          enqueue(packet);
          return;
        }
        if (dropping) {
          boolean resumePoint = sawVideo ? packet.isVideo() && packet.isKeyframe() : true;
          if (resumePoint && hasRoomFor(packet)) {
            dropping = false;
          } else {
            dropped.incrementAndGet();
            return;
          }
        } else if (!hasRoomFor(packet)) {
          dropping = true;
          dropFrames();
          dropped.incrementAndGet();
          return;
        }
        enqueue(packet);
      }

      private boolean hasRoomFor(MediaPacket packet) {
        return queue.size() < maxPackets && queuedBytes + packet.length() <= maxBytes;
      }

      private void enqueue(MediaPacket packet) {
        queue.addLast(packet);
        queuedBytes += packet.length();
      }

      /** Drops every buffered frame, keeping configuration packets in order. */
      private void dropFrames() {
        int n = queue.size();
        for (int i = 0; i < n; i++) {
          MediaPacket p = queue.pollFirst();
          if (p.isConfig()) {
            queue.addLast(p);
          } else {
            queuedBytes -= p.length();
            dropped.incrementAndGet();
          }
        }
      }

      private void pushHead() {
        MediaPacket p = queue.pollFirst();
        queuedBytes -= p.length();
        push(out, p);
      }
    };
  }
}

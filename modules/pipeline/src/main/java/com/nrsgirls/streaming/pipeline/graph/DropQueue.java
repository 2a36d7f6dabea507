package com.nrsgirls.streaming.pipeline.graph;

import com.nrsgirls.streaming.core.media.MediaPacket;
import java.util.ArrayDeque;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The bounded queue in front of one output branch, and its policy when the branch falls behind:
 * once the queue is full, every frame it holds is dropped, and so is everything after them up to
 * the next video keyframe, so the branch resumes on a decodable picture. Codec configuration
 * packets are not dropped while they are current: a full queue keeps the latest one of each track,
 * which bounds a publisher that sends nothing but configs. Each dropped packet is counted.
 *
 * <p>Audio-only streams have no keyframes to wait for: the branch resumes as soon as there is room.
 * Plain Java and single-threaded: it lives inside the fan-out stage's logic.
 */
final class DropQueue {
  private final ArrayDeque<MediaPacket> queue = new ArrayDeque<>();
  private final int maxPackets;
  private final long maxBytes;
  private final AtomicLong dropped;
  private long queuedBytes;
  private boolean dropping;
  private boolean sawVideo;

  /**
   * @param maxPackets packets the queue holds before it starts dropping
   * @param maxBytes payload bytes the queue holds before it starts dropping
   * @param dropped where dropped packets are counted; read by the graph's statistics
   */
  DropQueue(int maxPackets, long maxBytes, AtomicLong dropped) {
    if (maxPackets < 4 || maxBytes < 1) {
      throw new IllegalArgumentException("queue limits too small");
    }
    this.maxPackets = maxPackets;
    this.maxBytes = maxBytes;
    this.dropped = dropped;
  }

  /**
   * Queues the packet, or drops it and what it depends on.
   *
   * @return how many packets this offer dropped (0 nearly always)
   */
  int offer(MediaPacket packet) {
    if (packet.isVideo()) {
      sawVideo = true;
    }
    if (packet.isConfig()) {
      int n = 0;
      if (!hasRoomFor(packet)) {
        dropping = true;
        n = dropFrames();
      }
      enqueue(packet);
      return n;
    }
    if (dropping) {
      boolean resumePoint = !sawVideo || (packet.isVideo() && packet.isKeyframe());
      if (!resumePoint || !hasRoomFor(packet)) {
        dropped.incrementAndGet();
        return 1;
      }
      dropping = false;
    } else if (!hasRoomFor(packet)) {
      dropping = true;
      int n = dropFrames() + 1;
      dropped.incrementAndGet();
      return n;
    }
    enqueue(packet);
    return 0;
  }

  /** The next packet for the branch, or null. */
  MediaPacket poll() {
    MediaPacket p = queue.pollFirst();
    if (p != null) {
      queuedBytes -= p.length();
    }
    return p;
  }

  boolean isEmpty() {
    return queue.isEmpty();
  }

  int size() {
    return queue.size();
  }

  private boolean hasRoomFor(MediaPacket packet) {
    return queue.size() < maxPackets && queuedBytes + packet.length() <= maxBytes;
  }

  private void enqueue(MediaPacket packet) {
    queue.addLast(packet);
    queuedBytes += packet.length();
  }

  /**
   * Drops every queued frame and every config but the latest of each track, keeping order.
   *
   * @return how many frames it dropped
   */
  private int dropFrames() {
    int frames = 0;
    MediaPacket video = null;
    MediaPacket audio = null;
    for (MediaPacket p : queue) {
      if (p.isConfig()) {
        if (p.isVideo()) {
          video = p;
        } else {
          audio = p;
        }
      }
    }
    int n = queue.size();
    for (int i = 0; i < n; i++) {
      MediaPacket p = queue.pollFirst();
      queuedBytes -= p.length();
      if (p == video || p == audio) {
        enqueue(p);
      } else if (!p.isConfig()) {
        dropped.incrementAndGet();
        frames++;
      }
    }
    return frames;
  }
}

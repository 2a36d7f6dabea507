package com.nrsgirls.streaming.pipeline.graph;

import static org.junit.jupiter.api.Assertions.*;

import com.nrsgirls.streaming.core.media.Codec;
import com.nrsgirls.streaming.core.media.MediaPacket;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class DropQueueTest {
  private final AtomicLong dropped = new AtomicLong();
  private long time;

  private MediaPacket video(boolean key) {
    return new MediaPacket(
        Codec.H264, time += 33, 0, key ? MediaPacket.FLAG_KEYFRAME : 0, new byte[100], 0, 100);
  }

  private MediaPacket audio() {
    return new MediaPacket(
        Codec.AAC, time += 21, 0, MediaPacket.FLAG_KEYFRAME, new byte[10], 0, 10);
  }

  private static MediaPacket config(Codec codec) {
    return new MediaPacket(
        codec, 0, 0, MediaPacket.FLAG_CONFIG | MediaPacket.FLAG_KEYFRAME, new byte[4], 0, 4);
  }

  private static List<MediaPacket> drain(DropQueue q) {
    List<MediaPacket> out = new ArrayList<>();
    for (MediaPacket p = q.poll(); p != null; p = q.poll()) {
      out.add(p);
    }
    return out;
  }

  @Test
  void passesEverythingInOrderWhileThereIsRoom() {
    DropQueue q = new DropQueue(10, 1 << 20, dropped);
    List<MediaPacket> in = List.of(config(Codec.H264), video(true), audio(), video(false));
    in.forEach(q::offer);
    assertEquals(in, drain(q));
    assertEquals(0, dropped.get());
  }

  @Test
  void aFullQueueDropsToTheNextKeyframeAndKeepsTheConfigs() {
    DropQueue q = new DropQueue(5, 1 << 20, dropped);
    MediaPacket vc = config(Codec.H264);
    MediaPacket ac = config(Codec.AAC);
    q.offer(vc);
    q.offer(ac);
    q.offer(video(true));
    q.offer(video(false));
    q.offer(audio());
    // full: this frame, the queued frames, and everything up to the next keyframe go
    q.offer(video(false));
    q.offer(audio());
    q.offer(video(false));
    MediaPacket key = video(true);
    q.offer(key);
    MediaPacket after = audio();
    q.offer(after);
    assertEquals(List.of(vc, ac, key, after), drain(q));
    assertEquals(6, dropped.get(), "3 queued frames and 3 after them");
  }

  @Test
  void aByteLimitCountsToo() {
    DropQueue q = new DropQueue(100, 250, dropped);
    q.offer(video(true));
    q.offer(video(false));
    q.offer(video(false)); // 300 bytes: over the limit
    assertTrue(q.isEmpty());
    assertEquals(3, dropped.get());
  }

  @Test
  void audioOnlyResumesAsSoonAsThereIsRoom() {
    DropQueue q = new DropQueue(4, 1 << 20, dropped);
    for (int i = 0; i < 5; i++) {
      q.offer(audio());
    }
    assertEquals(5, dropped.get(), "4 queued and the one that did not fit");
    MediaPacket next = audio();
    q.offer(next);
    assertEquals(List.of(next), drain(q));
  }

  @Test
  void aFloodOfConfigsStaysBounded() {
    DropQueue q = new DropQueue(8, 1 << 20, dropped);
    q.offer(video(true));
    MediaPacket last = null;
    for (int i = 0; i < 10_000; i++) {
      last = config(i % 2 == 0 ? Codec.H264 : Codec.AAC);
      q.offer(last);
      assertTrue(q.size() <= 8, "size " + q.size());
    }
    List<MediaPacket> out = drain(q);
    assertSame(last, out.get(out.size() - 1), "the newest config is kept");
  }
}

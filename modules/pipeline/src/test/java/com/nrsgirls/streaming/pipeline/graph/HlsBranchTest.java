package com.nrsgirls.streaming.pipeline.graph;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nrsgirls.streaming.core.media.MediaPacket;
import com.nrsgirls.streaming.pipeline.hls.HlsSettings;
import com.nrsgirls.streaming.pipeline.hls.LocalSegmentStore;
import com.nrsgirls.streaming.pipeline.hls.PublishedSegment;
import com.nrsgirls.streaming.pipeline.testing.TestClips;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.javadsl.Source;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HlsBranchTest {
  private static final ActorTestKit testKit = ActorTestKit.create();
  private static final Materializer mat = Materializer.matFromSystem(testKit.system());

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  @Test
  void reportsWhatItRepairedAsDeltasWithTheSegments(@TempDir Path dir) throws Exception {
    List<MediaPacket> clip = TestClips.h264Aac(6, 320, 240);
    List<MediaPacket> packets = new ArrayList<>();
    // A frame before any codec config: dropped.
    MediaPacket firstVideo =
        clip.stream().filter(p -> p.isVideo() && !p.isConfig()).findFirst().get();
    packets.add(firstVideo);
    int audioFrames = 0;
    for (MediaPacket p : clip) {
      if (p.isAudio() && !p.isConfig() && ++audioFrames == 40) {
        // An audio frame stamped before the one ahead of it: moved just after it.
        packets.add(
            new MediaPacket(
                p.codec(), p.dts() - 30, 0, p.flags(), p.array(), p.offset(), p.length()));
        continue;
      }
      packets.add(p);
    }
    List<PublishedSegment> segments = new CopyOnWriteArrayList<>();
    List<HlsBranch.Repairs> reports = new CopyOnWriteArrayList<>();
    HlsBranch.SegmentListener listener =
        new HlsBranch.SegmentListener() {
          @Override
          public void segmentPublished(String streamId, PublishedSegment segment) {
            segments.add(segment);
          }

          @Override
          public void repairs(String streamId, HlsBranch.Repairs delta) {
            reports.add(delta);
          }
        };
    Branch branch =
        HlsBranch.source(
            new LocalSegmentStore(dir),
            testKit.system().dispatchers().lookup(DispatcherSelector.blocking()),
            "repairs0001",
            "s1",
            HlsSettings.DEFAULT,
            Clock.systemUTC(),
            listener);
    Source.from(packets)
        .runWith(branch.sink().get(), mat)
        .toCompletableFuture()
        .get(30, TimeUnit.SECONDS);

    assertEquals(3, segments.size(), segments.toString());
    assertTrue(reports.size() >= 1 && reports.size() <= 2, reports.toString());
    long dropped = reports.stream().mapToLong(HlsBranch.Repairs::droppedFrames).sum();
    long moved = reports.stream().mapToLong(HlsBranch.Repairs::timestampsMoved).sum();
    assertEquals(1, dropped, reports.toString());
    assertEquals(1, moved, reports.toString());
    assertTrue(
        reports.stream()
            .allMatch(
                r ->
                    r.splitSegments() == 0
                        && r.malformedFrames() == 0
                        && r.failedWrites() == 0
                        && r.droppedFrames() + r.timestampsMoved() > 0),
        "only what changed is reported: " + reports);
  }
}

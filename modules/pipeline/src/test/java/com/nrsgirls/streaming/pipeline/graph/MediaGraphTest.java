package com.nrsgirls.streaming.pipeline.graph;

import static org.junit.jupiter.api.Assertions.*;

import com.nrsgirls.streaming.core.media.MediaPacket;
import com.nrsgirls.streaming.core.stream.LiveStreamProtocol;
import com.nrsgirls.streaming.pipeline.hls.HlsSettings;
import com.nrsgirls.streaming.pipeline.hls.LocalSegmentStore;
import com.nrsgirls.streaming.pipeline.testing.TestClips;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.Done;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.FishingOutcomes;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MediaGraphTest {
  private static final ActorTestKit testKit = ActorTestKit.create();
  private static final Materializer mat = Materializer.matFromSystem(testKit.system());
  private static final GraphSettings SETTINGS =
      new GraphSettings(
          64,
          50,
          8 * 1024 * 1024,
          Duration.ofMillis(200),
          Duration.ofMillis(100),
          Duration.ofSeconds(1),
          Duration.ofSeconds(4),
          Duration.ofSeconds(10));

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  private static Branch collecting(String name, List<MediaPacket> into) {
    return new Branch(name, () -> Sink.foreach(into::add));
  }

  /** A branch whose consumer never finishes anything: it takes one packet and hangs. */
  private static Branch stalled(String name) {
    return new Branch(
        name,
        () ->
            Flow.<MediaPacket>create()
                .mapAsync(1, p -> new CompletableFuture<MediaPacket>())
                .toMat(Sink.ignore(), Keep.right()));
  }

  @Test
  void aStalledBranchSlowsNeitherIngestNorTheOtherBranches() throws Exception {
    List<MediaPacket> packets = TestClips.h264Aac(10, 320, 240);
    List<MediaPacket> hls = new CopyOnWriteArrayList<>();
    TestProbe<LiveStreamProtocol.Command> entity = testKit.createTestProbe();
    MediaGraph graph =
        MediaGraph.start(
            "stalltest01",
            "s1",
            entity.getRef(),
            List.of(collecting("hls-source", hls), stalled("stalled")),
            SETTINGS,
            mat,
            Clock.systemUTC(),
            () -> false);

    // About four times real time: a burst, but not an impossible one.
    CompletionStage<Done> ingest =
        Source.from(packets)
            .throttle(300, Duration.ofSeconds(1))
            .watchTermination(Keep.right())
            .to(graph.sink().getSink())
            .run(mat);

    // Ingest runs to its end although one branch never consumes.
    ingest.toCompletableFuture().get(20, TimeUnit.SECONDS);
    graph.completion().toCompletableFuture().get(20, TimeUnit.SECONDS);
    assertTrue(
        packets.equals(hls),
        "the healthy branch got every packet in order: " + hls.size() + " of " + packets.size());

    LiveStreamProtocol.SessionEnded ended = null;
    long stalledDrops = 0;
    while (ended == null) {
      LiveStreamProtocol.Command msg = entity.receiveMessage(Duration.ofSeconds(10));
      if (msg instanceof LiveStreamProtocol.SessionHealth h) {
        stalledDrops = Math.max(stalledDrops, h.stats().branchDrops().get("stalled"));
        assertEquals(0L, h.stats().branchDrops().get("hls-source"));
      } else if (msg instanceof LiveStreamProtocol.SessionEnded e) {
        ended = e;
      }
    }
    assertEquals("publisher disconnected", ended.reason());
    assertTrue(stalledDrops > packets.size() / 2, "stalled branch drops: " + stalledDrops);
  }

  /**
   * Ingest's attach (the StreamRef handshake) is sent once; lost on the way, the graph would wait
   * StreamRefs' 30 s for it. It ends after the attach timeout instead, with the reason that lets
   * the entity keep the session for ingest to resume.
   */
  @Test
  void aGraphIngestNeverAttachedToEndsAfterTheAttachTimeout() throws Exception {
    TestProbe<LiveStreamProtocol.Command> entity = testKit.createTestProbe();
    GraphSettings quick =
        new GraphSettings(
            SETTINGS.hubBuffer(),
            SETTINGS.branchBufferPackets(),
            SETTINGS.branchBufferBytes(),
            SETTINGS.healthInterval(),
            SETTINGS.branchRestartBackoff(),
            SETTINGS.flushTimeout(),
            SETTINGS.keyframeIntervalWarning(),
            Duration.ofMillis(500));
    MediaGraph graph =
        MediaGraph.start(
            "noattach01",
            "s1",
            entity.getRef(),
            List.of(collecting("hls-source", new CopyOnWriteArrayList<>())),
            quick,
            mat,
            Clock.systemUTC(),
            () -> false);
    graph.completion().toCompletableFuture().get(10, TimeUnit.SECONDS);
    LiveStreamProtocol.SessionEnded ended = null;
    while (ended == null) {
      if (entity.receiveMessage(Duration.ofSeconds(10))
          instanceof LiveStreamProtocol.SessionEnded e) {
        ended = e;
      }
    }
    assertEquals(SessionGraph.INGEST_NEVER_ATTACHED, ended.reason());
  }

  @Test
  void aStalledBranchLeavesTheRealHlsBranchWhole(@TempDir Path dir) throws Exception {
    List<MediaPacket> packets = TestClips.h264Aac(10, 320, 240);
    LocalSegmentStore store = new LocalSegmentStore(dir);
    TestProbe<LiveStreamProtocol.Command> entity = testKit.createTestProbe();
    MediaGraph graph =
        MediaGraph.start(
            "stallhls01",
            "s1",
            entity.getRef(),
            List.of(
                HlsBranch.source(
                    store,
                    testKit.system().dispatchers().lookup(DispatcherSelector.blocking()),
                    "stallhls01",
                    "s1",
                    HlsSettings.DEFAULT,
                    Clock.systemUTC(),
                    HlsBranch.SegmentListener.NONE),
                stalled("stalled")),
            SETTINGS,
            mat,
            Clock.systemUTC(),
            () -> false);
    Source.from(packets).throttle(300, Duration.ofSeconds(1)).runWith(graph.sink().getSink(), mat);
    graph.completion().toCompletableFuture().get(30, TimeUnit.SECONDS);

    long hlsDrops = -1;
    long stalledDrops = 0;
    for (LiveStreamProtocol.Command msg = entity.receiveMessage(Duration.ofSeconds(10));
        !(msg instanceof LiveStreamProtocol.SessionEnded);
        msg = entity.receiveMessage(Duration.ofSeconds(10))) {
      if (msg instanceof LiveStreamProtocol.SessionHealth h) {
        hlsDrops = h.stats().branchDrops().get("hls-source");
        stalledDrops = h.stats().branchDrops().get("stalled");
      }
    }
    assertEquals(0, hlsDrops);
    assertTrue(stalledDrops > 0, "the stalled branch dropped");
    String playlist = Files.readString(dir.resolve("stallhls01/source/index.m3u8"));
    assertEquals(5, playlist.lines().filter(l -> l.endsWith(".ts")).count(), playlist);
    assertTrue(Files.exists(dir.resolve("stallhls01/index.m3u8")), "master playlist written");
  }

  @Test
  void aPictureSizeChangeMidSessionIsToldToWhatPlannedForTheFirstSize() throws Exception {
    List<MediaPacket> packets = new ArrayList<>(TestClips.h264Aac(2, 1280, 720));
    long offset = packets.get(packets.size() - 1).dts() + 40;
    for (MediaPacket p : TestClips.h264Aac(2, 640, 360)) {
      packets.add(p.shifted(offset));
    }
    offset = packets.get(packets.size() - 1).dts() + 40;
    for (MediaPacket p : TestClips.h264Aac(2, 640, 360)) {
      packets.add(p.shifted(offset)); // the same size again: nothing to re-plan
    }
    List<String> calls = new CopyOnWriteArrayList<>();
    List<MediaPacket> late = new CopyOnWriteArrayList<>();
    MediaGraph.MediaBranches planner =
        new MediaGraph.MediaBranches() {
          @Override
          public List<Branch> forVideo(int width, int height) {
            calls.add("first " + width + "x" + height);
            return List.of(collecting("late", late));
          }

          @Override
          public void videoSizeChanged(int width, int height) {
            calls.add("changed " + width + "x" + height + " after " + late.size());
          }
        };
    TestProbe<LiveStreamProtocol.Command> entity = testKit.createTestProbe();
    MediaGraph graph =
        MediaGraph.start(
            "sizechange01",
            "s1",
            entity.getRef(),
            List.of(),
            planner,
            null,
            OutputListener.NONE,
            SETTINGS,
            mat,
            Clock.systemUTC(),
            () -> false);
    Source.from(packets).runWith(graph.sink().getSink(), mat);
    graph.completion().toCompletableFuture().get(20, TimeUnit.SECONDS);

    assertEquals(2, calls.size(), calls.toString());
    assertEquals("first 1280x720", calls.get(0));
    assertTrue(calls.get(1).startsWith("changed 640x360 after "), calls.get(1));
    // told before the late branch saw the new configuration
    int toldAfter = Integer.parseInt(calls.get(1).substring("changed 640x360 after ".length()));
    int secondConfig = -1;
    int videoConfigs = 0;
    for (int i = 0; i < packets.size() && secondConfig < 0; i++) {
      if (packets.get(i).isVideo() && packets.get(i).isConfig() && ++videoConfigs == 2) {
        secondConfig = i;
      }
    }
    assertTrue(toldAfter <= secondConfig, toldAfter + " > " + secondConfig);
    assertEquals(packets, late, "the branch planned for the first size got every packet");
  }

  @Test
  void reportsMediaAndHealthToTheEntity() throws Exception {
    List<MediaPacket> packets = TestClips.h264Aac(10, 320, 240);
    TestProbe<LiveStreamProtocol.Command> entity = testKit.createTestProbe();
    MediaGraph graph =
        MediaGraph.start(
            "mediatest01",
            "s1",
            entity.getRef(),
            List.of(collecting("hls-source", new ArrayList<>())),
            SETTINGS,
            mat,
            Clock.systemUTC(),
            () -> false);
    // Real time pacing is not needed: health counts what arrived in each interval.
    Source.from(packets).runWith(graph.sink().getSink(), mat);

    LiveStreamProtocol.SessionMediaDetected media =
        entity
            .fishForMessage(
                Duration.ofSeconds(10),
                m ->
                    m instanceof LiveStreamProtocol.SessionMediaDetected d
                            && d.video() != null
                            && d.audio() != null
                        ? FishingOutcomes.complete()
                        : FishingOutcomes.continueAndIgnore())
            .stream()
            .map(LiveStreamProtocol.SessionMediaDetected.class::cast)
            .reduce((a, b) -> b)
            .orElseThrow();
    assertEquals(320, media.video().width());
    assertEquals(240, media.video().height());
    assertTrue(media.video().codecs().startsWith("avc1.64"), media.video().codecs());
    assertEquals(48000, media.audio().sampleRate());
    assertEquals("mp4a.40.2", media.audio().codecs());

    graph.completion().toCompletableFuture().get(20, TimeUnit.SECONDS);
    long videoFrames = packets.stream().filter(p -> p.isVideo() && !p.isConfig()).count();
    LiveStreamProtocol.SessionHealth last = null;
    while (true) {
      LiveStreamProtocol.Command msg = entity.receiveMessage(Duration.ofSeconds(5));
      if (msg instanceof LiveStreamProtocol.SessionHealth h) {
        last = h;
      } else if (msg instanceof LiveStreamProtocol.SessionEnded) {
        break;
      }
    }
    assertNotNull(last);
    assertEquals(videoFrames, last.stats().videoFrames());
    assertEquals(2000, last.stats().keyframeIntervalMillis(), 100);
  }

  @Test
  void aFailedBranchIsAttachedAgainStartingWithTheCodecConfigs() throws Exception {
    List<MediaPacket> packets = TestClips.h264Aac(10, 320, 240);
    AtomicInteger instances = new AtomicInteger();
    List<List<MediaPacket>> received = new CopyOnWriteArrayList<>();
    Branch flaky =
        new Branch(
            "flaky",
            () -> {
              int instance = instances.incrementAndGet();
              List<MediaPacket> got = new CopyOnWriteArrayList<>();
              received.add(got);
              return Sink.foreach(
                  p -> {
                    got.add(p);
                    if (instance == 1 && got.size() == 40) {
                      throw new IllegalStateException("disk full (simulated)");
                    }
                  });
            });
    TestProbe<LiveStreamProtocol.Command> entity = testKit.createTestProbe();
    MediaGraph graph =
        MediaGraph.start(
            "flakytest01",
            "s1",
            entity.getRef(),
            List.of(flaky),
            SETTINGS,
            mat,
            Clock.systemUTC(),
            () -> false);
    // Paced so the session is still running when the branch comes back.
    Source.from(packets).throttle(100, Duration.ofMillis(100)).runWith(graph.sink().getSink(), mat);
    graph.completion().toCompletableFuture().get(30, TimeUnit.SECONDS);

    assertEquals(2, instances.get());
    List<MediaPacket> second = received.get(1);
    assertTrue(second.get(0).isConfig() && second.get(0).isVideo(), "starts with the H.264 config");
    assertTrue(second.get(1).isConfig() && second.get(1).isAudio(), "then the AAC config");
    assertSame(packets.get(packets.size() - 1), second.get(second.size() - 1));
  }
}

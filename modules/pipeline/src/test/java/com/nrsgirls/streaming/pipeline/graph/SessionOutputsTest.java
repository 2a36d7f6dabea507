package com.nrsgirls.streaming.pipeline.graph;

import static org.junit.jupiter.api.Assertions.*;

import com.nrsgirls.streaming.core.stream.LadderRung;
import com.nrsgirls.streaming.core.stream.OutputSettings;
import com.nrsgirls.streaming.core.stream.RestreamTarget;
import com.nrsgirls.streaming.pipeline.abr.AbrSettings;
import com.nrsgirls.streaming.pipeline.abr.LadderTranscoder;
import com.nrsgirls.streaming.pipeline.abr.RungSize;
import com.nrsgirls.streaming.pipeline.hls.HlsPackager;
import com.nrsgirls.streaming.pipeline.hls.HlsSettings;
import com.nrsgirls.streaming.pipeline.hls.LocalSegmentStore;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.pekko.Done;
import org.apache.pekko.stream.javadsl.Sink;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SessionOutputsTest {
  private static final List<LadderRung> LADDER =
      List.of(
          new LadderRung("1080p", 1080, 4500, 128),
          new LadderRung("720p", 720, 2500, 128),
          new LadderRung("480p", 480, 1000, 96));
  private static final AbrSettings NODE =
      new AbrSettings(
          true,
          LADDER,
          new LadderTranscoder.EncoderSettings("veryfast", "zerolatency", 0, 0, 30),
          160);

  /** What the outputs did to the graph, in order. */
  private final List<String> graphCalls = new CopyOnWriteArrayList<>();

  private final List<List<String>> gone = new CopyOnWriteArrayList<>();

  private SessionOutputs outputs(Path dir) {
    return outputs(dir, List.of());
  }

  private SessionOutputs outputs(Path dir, List<RestreamTarget> targets) {
    HlsPackager packager =
        HlsPackager.open(
            new LocalSegmentStore(dir),
            Runnable::run,
            "sizes01",
            HlsSettings.DEFAULT,
            List.of(HlsPackager.SOURCE),
            new HashSet<>());
    SessionOutputs outputs =
        new SessionOutputs(
            "stream=sizes01 session=s1",
            null,
            NODE,
            packager,
            plan -> new Branch(AbrBranch.NAME + " " + describe(plan), Sink::ignore),
            gone::add,
            targets,
            t -> new Branch(t.outputName(), Sink::ignore),
            id -> graphCalls.add("ended " + id));
    outputs.bind(
        new SessionOutputs.Attachment() {
          @Override
          public CompletionStage<Done> attach(Branch branch) {
            graphCalls.add("attach " + branch.name());
            return CompletableFuture.completedFuture(Done.getInstance());
          }

          @Override
          public CompletionStage<Done> detach(String name) {
            graphCalls.add("detach " + name);
            return CompletableFuture.completedFuture(Done.getInstance());
          }
        });
    return outputs;
  }

  private static String describe(List<RungSize> plan) {
    return String.join(",", plan.stream().map(r -> r.width() + "x" + r.height()).toList());
  }

  @Test
  void aSmallerSourceMidSessionIsNeverUpscaled(@TempDir Path dir) {
    SessionOutputs outputs = outputs(dir);
    List<Branch> first = outputs.forVideo(1920, 1080);
    assertEquals(1, first.size());
    assertEquals("abr 1280x720,854x480", first.get(0).name());

    outputs.videoSizeChanged(1280, 720);
    outputs.videoSizeChanged(640, 360);

    assertEquals(List.of("detach abr", "attach abr 854x480", "detach abr"), graphCalls);
    assertEquals(List.of(List.of("720p"), List.of("480p")), gone);
  }

  @Test
  void aLargerSourceMidSessionGainsTheRungsItNowAllows(@TempDir Path dir) {
    SessionOutputs outputs = outputs(dir);
    assertEquals(List.of(), outputs.forVideo(640, 360), "nothing below 360p");

    outputs.videoSizeChanged(1280, 720);
    outputs.videoSizeChanged(1280, 720); // the same plan again: nothing to do

    assertEquals(List.of("attach abr 854x480"), graphCalls);
    assertEquals(List.of(), gone);
  }

  @Test
  void theStreamsOwnSettingsStillApplyAfterASizeChange(@TempDir Path dir) {
    SessionOutputs outputs = outputs(dir);
    outputs.forVideo(1920, 1080);
    outputs.change(new OutputSettings(false, null));
    outputs.videoSizeChanged(1280, 720);

    assertEquals(List.of("detach abr"), graphCalls, "ABR off stays off");
  }

  @Test
  void restreamTargetsAttachWithTheLadderAndChangeOneByOne(@TempDir Path dir) {
    RestreamTarget a = new RestreamTarget("a", "custom", "rtmp://h/app", "v1:a", true);
    RestreamTarget off = new RestreamTarget("off", "custom", "rtmp://h/app", "v1:b", false);
    SessionOutputs outputs = outputs(dir, List.of(a, off));
    assertEquals(
        List.of("abr 854x480", "restream-a"),
        outputs.forVideo(1280, 720).stream().map(Branch::name).toList());

    RestreamTarget moved = new RestreamTarget("a", "custom", "rtmp://other/app", "v1:a", true);
    RestreamTarget c = new RestreamTarget("c", "twitch", "rtmp://live.twitch.tv/app", "v1:c", true);
    outputs.changeTargets(List.of(moved, off, c));
    assertEquals(
        List.of("detach restream-a", "ended a", "attach restream-a", "attach restream-c"),
        graphCalls);
    graphCalls.clear();

    outputs.changeTargets(List.of(moved, off, c)); // nothing changed
    assertEquals(List.of(), graphCalls);
    outputs.changeTargets(List.of());
    assertEquals(
        List.of("detach restream-a", "ended a", "detach restream-c", "ended c"), graphCalls);
  }

  /** A rung's output as the ladder opens it: records what attaches and detaches there. */
  private BranchFanOut.Control tap(String rung) {
    return new BranchFanOut.Control() {
      @Override
      public CompletionStage<Done> attach(Branch branch) {
        graphCalls.add(rung + " attach " + branch.name() + " fed " + branch.feed());
        return CompletableFuture.completedFuture(Done.getInstance());
      }

      @Override
      public CompletionStage<Done> detach(String name) {
        graphCalls.add(rung + " detach " + name);
        return CompletableFuture.completedFuture(Done.getInstance());
      }

      @Override
      public java.util.Map<String, java.util.concurrent.atomic.AtomicLong> drops() {
        return java.util.Map.of();
      }

      @Override
      public List<com.nrsgirls.streaming.core.stream.OutputStatus> outputs() {
        return List.of();
      }

      @Override
      public CompletionStage<Done> completion() {
        return new CompletableFuture<>();
      }
    };
  }

  @Test
  void aTargetWhosePlatformTakesLessThanTheSourceIsFedFromTheBestRungWithinIt(@TempDir Path dir) {
    RestreamTarget fb = new RestreamTarget("fb", "facebook", "rtmps://f/rtmp", "v1:f", true);
    RestreamTarget yt = new RestreamTarget("yt", "youtube", "rtmp://y/live2", "v1:y", true);
    SessionOutputs outputs = outputs(dir, List.of(fb, yt));
    List<Branch> first = outputs.forVideo(1920, 1080);
    assertEquals(
        List.of("abr 1280x720,854x480", "restream-yt"),
        first.stream().map(Branch::name).toList(),
        "YouTube takes 1080p: the source; Facebook waits for the 720p rung");
    assertEquals("source", first.get(1).feed());
    outputs.rungOpened("480p", tap("480p"));
    outputs.rungOpened("720p", tap("720p"));
    assertEquals(List.of("720p attach restream-fb fed 720p"), graphCalls);
    graphCalls.clear();

    // the ladder restarts (a failure): the new rung output gets the target again
    outputs.rungOpened("720p", tap("720p"));
    assertEquals(List.of("720p attach restream-fb fed 720p"), graphCalls);
    graphCalls.clear();

    // the source drops to 720p: Facebook takes it as it is
    outputs.videoSizeChanged(1280, 720);
    assertEquals(List.of("detach abr", "attach abr 854x480", "attach restream-fb"), graphCalls);
  }

  @Test
  void withoutARungWithinTheLimitTheSourceGoesWithAWord(@TempDir Path dir) {
    RestreamTarget fb = new RestreamTarget("fb", "facebook", "rtmps://f/rtmp", "v1:f", true);
    SessionOutputs outputs = outputs(dir, List.of(fb));
    outputs.change(new OutputSettings(false, null));
    List<Branch> first = outputs.forVideo(1920, 1080);
    assertEquals(List.of("restream-fb"), first.stream().map(Branch::name).toList());
    assertEquals("source", first.get(0).feed());
    assertTrue(first.get(0).detail().contains("switch ABR on"), first.get(0).detail());
  }
}

package com.nrsgirls.streaming.pipeline.abr;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.nrsgirls.streaming.core.stream.LadderRung;
import java.util.List;
import org.junit.jupiter.api.Test;

class LadderTest {
  private static List<String> sizes(List<RungSize> plan) {
    return plan.stream().map(r -> r.name() + "=" + r.width() + "x" + r.height()).toList();
  }

  @Test
  void aFullHdSourceSkipsTheRungOfItsOwnHeight() {
    assertEquals(
        List.of("720p=1280x720", "480p=854x480"), sizes(Ladder.plan(Ladder.DEFAULT, 1920, 1080)));
  }

  @Test
  void nothingIsUpscaled() {
    assertEquals(List.of("480p=854x480"), sizes(Ladder.plan(Ladder.DEFAULT, 1280, 720)));
    assertEquals(List.of(), sizes(Ladder.plan(Ladder.DEFAULT, 640, 360)));
    assertEquals(
        List.of("1080p=1920x1080", "720p=1280x720", "480p=854x480"),
        sizes(Ladder.plan(Ladder.DEFAULT, 3840, 2160)));
  }

  @Test
  void oddSourcesKeepTheirAspectRatioWithEvenSizes() {
    assertEquals(
        List.of("720p=1282x720", "480p=854x480"), sizes(Ladder.plan(Ladder.DEFAULT, 1366, 768)));
    // a phone held upright: rungs are by height, so its width shrinks with it
    assertEquals(
        List.of("1080p=608x1080", "720p=406x720", "480p=270x480"),
        sizes(Ladder.plan(Ladder.DEFAULT, 1080, 1920)));
    assertEquals(
        List.of("odd=644x362"),
        sizes(Ladder.plan(List.of(new LadderRung("odd", 361, 500, 64)), 1280, 721)));
  }

  @Test
  void rungsComeOutTallestFirstWhateverTheirOrder() {
    List<LadderRung> shuffled = List.of(Ladder.DEFAULT.get(2), Ladder.DEFAULT.get(0));
    assertEquals(
        List.of("1080p=1920x1080", "480p=854x480"), sizes(Ladder.plan(shuffled, 2560, 1440)));
  }

  @Test
  void badRungsAndSourcesAreRefused() {
    assertThrows(IllegalArgumentException.class, () -> new LadderRung("source", 720, 1000, 96));
    assertThrows(IllegalArgumentException.class, () -> new LadderRung("../x", 720, 1000, 96));
    assertThrows(IllegalArgumentException.class, () -> new LadderRung("tiny", 10, 1000, 96));
    assertThrows(IllegalArgumentException.class, () -> new LadderRung("cheap", 720, 1, 96));
    assertThrows(IllegalArgumentException.class, () -> Ladder.plan(Ladder.DEFAULT, 0, 720));
  }
}

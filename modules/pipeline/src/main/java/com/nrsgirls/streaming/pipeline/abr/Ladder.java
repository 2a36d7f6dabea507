package com.nrsgirls.streaming.pipeline.abr;

import com.nrsgirls.streaming.core.stream.LadderRung;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Plans a ladder for a source picture: which rungs run and at what size. A rung at or above the
 * source's height is skipped (never upscale: the source rendition is the top of the ladder, as a
 * copy), and every size keeps the source's aspect ratio with even dimensions, which 4:2:0 chroma
 * needs.
 */
public final class Ladder {
  private Ladder() {}

  /** The seed's ladder: 1080p 4500k, 720p 2500k, 480p 1000k; AAC 128k (96k at 480p). */
  public static final List<LadderRung> DEFAULT =
      List.of(
          new LadderRung("1080p", 1080, 4500, 128),
          new LadderRung("720p", 720, 2500, 128),
          new LadderRung("480p", 480, 1000, 96));

  /**
   * The rungs that run for a {@code sourceWidth}x{@code sourceHeight} source, tallest first.
   *
   * @throws IllegalArgumentException for a source size that is not positive
   */
  public static List<RungSize> plan(List<LadderRung> rungs, int sourceWidth, int sourceHeight) {
    if (sourceWidth <= 0 || sourceHeight <= 0) {
      throw new IllegalArgumentException(
          "source size " + sourceWidth + "x" + sourceHeight + " is not a picture");
    }
    List<RungSize> planned = new ArrayList<>();
    for (LadderRung rung : rungs) {
      if (rung.height() >= sourceHeight) {
        continue;
      }
      int height = even(rung.height());
      int width = even(Math.round((float) sourceWidth * height / sourceHeight));
      planned.add(new RungSize(rung, Math.max(2, width), height));
    }
    planned.sort(Comparator.comparingInt(RungSize::height).reversed());
    return List.copyOf(planned);
  }

  private static int even(int n) {
    return (n + 1) & ~1;
  }
}

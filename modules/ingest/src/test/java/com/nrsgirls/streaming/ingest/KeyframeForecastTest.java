package com.nrsgirls.streaming.ingest;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class KeyframeForecastTest {
  private static final long MS = 1_000_000;

  @Test
  void everythingIsDueUntilTwoKeyframesGaveTheIntervalButNotForLong() {
    KeyframeForecast f = new KeyframeForecast(100 * MS, 1000 * MS, 0);
    assertTrue(f.due(0));
    f.keyframe(0, 0);
    assertTrue(f.due(1000 * MS));
    assertTrue(f.due(9_999 * MS));
    assertFalse(f.due(10_000 * MS), "audio only, or no second keyframe: paced after 10 s");
    f.keyframe(2_000, 2_000 * MS);
    assertFalse(f.due(2_001 * MS), "the interval is known: paced until the next is due");
    assertTrue(f.due(3_950 * MS));
  }

  @Test
  void theWindowOpensBeforeTheForecastAndClosesAfterTheGrace() {
    KeyframeForecast f = new KeyframeForecast(100 * MS, 1000 * MS, -100_000 * MS);
    f.keyframe(10_000, 5_000 * MS);
    f.keyframe(12_000, 7_010 * MS); // arrived 10 ms late: the next is due at 9 010 ms
    assertFalse(f.due(8_000 * MS));
    assertFalse(f.due(8_909 * MS));
    assertTrue(f.due(8_910 * MS));
    assertTrue(f.due(9_010 * MS));
    assertTrue(f.due(10_010 * MS));
    assertFalse(f.due(10_011 * MS), "a keyframe that never comes does not keep the window open");
    f.keyframe(14_000, 9_000 * MS);
    assertFalse(f.due(9_001 * MS), "once it came, the next one is 2 s away");
    assertTrue(f.due(10_950 * MS));
  }

  @Test
  void timestampsThatGoBackOrJumpFarAreNotForecast() {
    KeyframeForecast f = new KeyframeForecast(100 * MS, 1000 * MS, -100_000 * MS);
    f.keyframe(50_000, 0);
    f.keyframe(52_000, 1_000 * MS);
    f.keyframe(2_000, 1_010 * MS); // a timestamp reset
    assertFalse(f.due(3_000 * MS));
    f.keyframe(4_000, 2_000 * MS);
    assertTrue(f.due(4_000 * MS));
    f.keyframe(64_000, 4_000 * MS); // a minute-long gap: no forecast
    assertFalse(f.due(64_000 * MS));
  }

  @Test
  void nanoTimeWrapIsHarmless() {
    KeyframeForecast f;
    long start = Long.MAX_VALUE - 3_000 * MS;
    f = new KeyframeForecast(100 * MS, 1000 * MS, start);
    f.keyframe(0, start);
    f.keyframe(2_000, start + 2_000 * MS);
    assertTrue(f.due(start + 4_000 * MS)); // past Long.MAX_VALUE
    assertFalse(f.due(start + 3_000 * MS));
  }
}

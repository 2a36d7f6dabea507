package com.nrsgirls.streaming.pipeline.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nrsgirls.streaming.core.stream.LiveStreamProtocol.ViewerView;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Joins, leaves after the timeout, peak, distinct viewers and watch time. */
class ViewerSessionsTest {
  @Test
  void countsJoinsLeavesAndWatchTime() {
    ViewerSessions v = new ViewerSessions(Duration.ofSeconds(10));
    v.seen(List.of("a", "b"), 0);
    v.seen(List.of("a", "b", "c"), 2_000);
    assertTrue(v.changed());
    v.snapshotTaken();
    for (long t = 4_000; t <= 30_000; t += 2_000) {
      v.seen(List.of("a", "c"), t); // b stopped at 2 s
      v.expire(t);
    }
    assertEquals(new ViewerView(2, 3, 3, 30 + 28 + 2), v.view(30_000));
    assertTrue(v.changed(), "b left");
    v.snapshotTaken();
    v.seen(List.of("a", "c"), 32_000);
    v.expire(32_000);
    assertFalse(v.changed(), "nobody came or went");
    v.expire(50_000);
    assertEquals(new ViewerView(0, 3, 3, 32 + 30 + 2), v.view(50_000));
    v.seen(List.of("b"), 60_000);
    assertEquals(new ViewerView(1, 3, 3, 64), v.view(60_000), "b again: not a new viewer");
  }
}

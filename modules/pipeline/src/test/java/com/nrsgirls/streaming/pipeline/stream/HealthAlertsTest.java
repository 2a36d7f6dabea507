package com.nrsgirls.streaming.pipeline.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nrsgirls.streaming.core.stream.HealthStats;
import com.nrsgirls.streaming.core.stream.LiveStreamProtocol;
import com.nrsgirls.streaming.core.stream.LiveStreamProtocol.AlertCleared;
import com.nrsgirls.streaming.core.stream.LiveStreamProtocol.AlertRaised;
import com.nrsgirls.streaming.core.stream.StreamAlert;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Which alerts a session's health snapshots raise and clear, one second apart. */
class HealthAlertsTest {
  private static final Instant T0 = Instant.parse("2026-12-01T12:00:00Z");

  private final HealthAlerts alerts = new HealthAlerts(AlertThresholds.DEFAULT, "s1");
  private final Map<String, StreamAlert> active = new LinkedHashMap<>();
  private int second;

  private static HealthStats stats(long kbps, long keyframeMillis, long gapMillis, long drops) {
    return new HealthStats(
        kbps,
        kbps - 128,
        128,
        30,
        keyframeMillis,
        0,
        gapMillis,
        0,
        800,
        1,
        1,
        1,
        Map.of("hls-source", drops),
        List.of(),
        List.of(),
        T0);
  }

  /** One snapshot a second later: applies the changes to {@link #active}, returns them. */
  private List<LiveStreamProtocol.Event> next(HealthStats stats) {
    Instant now = T0.plusSeconds(second++);
    List<LiveStreamProtocol.Event> changes = alerts.evaluate(stats, active, now);
    for (LiveStreamProtocol.Event e : changes) {
      if (e instanceof AlertRaised r) {
        active.put(
            r.alert(), new StreamAlert(r.alert(), r.detail(), r.value(), r.threshold(), now));
      } else if (e instanceof AlertCleared c) {
        active.remove(c.alert());
      }
    }
    return changes;
  }

  @Test
  void healthyStreamRaisesNothing() {
    for (int i = 0; i < 120; i++) {
      assertEquals(List.of(), next(stats(2500, 2000, 0, 0)));
    }
  }

  @Test
  void noMediaAfterFiveSecondsAndClearedWhenItComesBack() {
    for (int i = 0; i < 10; i++) {
      next(stats(2500, 2000, 0, 0));
    }
    for (int i = 1; i <= 4; i++) {
      assertEquals(
          List.of(), next(stats(2500 - i * 500, 2000, i * 1000, 0)), "a stall is not low bitrate");
    }
    List<LiveStreamProtocol.Event> raised = next(stats(0, 2000, 5000, 0));
    assertEquals(1, raised.size(), raised.toString());
    AlertRaised r = assertInstanceOf(AlertRaised.class, raised.get(0));
    assertEquals(StreamAlert.NO_MEDIA, r.alert());
    assertTrue(r.detail().contains("5.0 s"), r.detail());
    for (int i = 0; i < 5; i++) {
      assertEquals(List.of(), next(stats(0, 2000, 6000 + i * 1000, 0)), "stalled: no low bitrate");
    }
    List<LiveStreamProtocol.Event> cleared = next(stats(300, 2000, 0, 0));
    assertEquals(
        List.of(
            new AlertCleared(
                "s1",
                StreamAlert.NO_MEDIA,
                LiveStreamProtocol.ALERT_RECOVERED,
                T0.plusSeconds(second - 1))),
        cleared);
    for (int i = 0; i < 5; i++) {
      assertEquals(List.of(), next(stats(300, 2000, 0, 0)), "the window refills after a stall");
    }
  }

  @Test
  void lowBitrateAfterTheSettleTimeAndClearedAtTheThreshold() {
    for (int i = 0; i < 6; i++) {
      assertEquals(List.of(), next(stats(400, 2000, 0, 0)), "a session's start is not judged");
    }
    AlertRaised r = assertInstanceOf(AlertRaised.class, next(stats(400, 2000, 0, 0)).get(0));
    assertEquals(StreamAlert.LOW_BITRATE, r.alert());
    assertEquals(400, r.value());
    assertEquals(1000, r.threshold());
    assertEquals(List.of(), next(stats(999, 2000, 0, 0)));
    assertEquals(List.of(), next(stats(1050, 2000, 0, 0)), "cleared only 10 % above");
    assertInstanceOf(AlertCleared.class, next(stats(1100, 2000, 0, 0)).get(0));
  }

  @Test
  void aShortHiccupIsNotLowBitrateWhileTheWindowRefills() {
    for (int i = 0; i < 10; i++) {
      next(stats(2500, 2000, 0, 0));
    }
    next(stats(2000, 2000, 1000, 0));
    next(stats(1500, 2000, 2000, 0));
    for (int i = 0; i < 6; i++) {
      assertEquals(List.of(), next(stats(800 + i * 100, 2000, 0, 0)), "the window refills");
    }
    assertEquals(List.of(), next(stats(2500, 2000, 0, 0)));
  }

  @Test
  void keyframeIntervalOverFourSecondsAsObsAutoSends() {
    AlertRaised r = assertInstanceOf(AlertRaised.class, next(stats(2500, 8333, 0, 0)).get(0));
    assertEquals(StreamAlert.LONG_KEYFRAME_INTERVAL, r.alert());
    assertTrue(r.detail().contains("8.3 s"), r.detail());
    assertEquals(List.of(), next(stats(2500, 0, 0, 0)), "no interval measured: unchanged");
    assertInstanceOf(AlertCleared.class, next(stats(2500, 2000, 0, 0)).get(0));
  }

  @Test
  void withLowLatencyHlsOnAGopOverTwoSecondsIsFlagged() {
    Config alertsConfig = ConfigFactory.load().getConfig("nrs.streaming.pipeline.alerts");
    assertEquals(
        Duration.ofSeconds(4),
        AlertThresholds.create(alertsConfig, false).maxKeyframeInterval(),
        "classic HLS only: OBS's 2 s and 3 s are fine");
    AlertThresholds lowLatency = AlertThresholds.create(alertsConfig, true);
    assertEquals(Duration.ofMillis(2100), lowLatency.maxKeyframeInterval());
    HealthAlerts alerts = new HealthAlerts(lowLatency, "s1");
    Map<String, StreamAlert> none = Map.of();
    assertEquals(
        List.of(),
        alerts.evaluate(stats(2500, 2002, 0, 0), none, T0),
        "60 frames at 29.97 fps is not over");
    AlertRaised r =
        assertInstanceOf(
            AlertRaised.class, alerts.evaluate(stats(2500, 3000, 0, 0), none, T0).get(0));
    assertEquals(StreamAlert.LONG_KEYFRAME_INTERVAL, r.alert());
    assertEquals(2100.0, r.threshold());
  }

  @Test
  void droppedPacketsCountWithinTheWindow() {
    next(stats(2500, 2000, 0, 0));
    assertEquals(List.of(), next(stats(2500, 2000, 0, 100)), "100 is the limit, not over it");
    AlertRaised r = assertInstanceOf(AlertRaised.class, next(stats(2500, 2000, 0, 101)).get(0));
    assertEquals(StreamAlert.FRAMES_DROPPED, r.alert());
    assertEquals(101, r.value());
    for (int i = 0; i < 57; i++) {
      assertEquals(List.of(), next(stats(2500, 2000, 0, 101)), "still 101 within the minute");
    }
    List<LiveStreamProtocol.Event> changes = List.of();
    for (int i = 0; i < 3 && changes.isEmpty(); i++) {
      changes = next(stats(2500, 2000, 0, 101));
    }
    assertInstanceOf(AlertCleared.class, changes.get(0), "the drops left the window");
  }

  @Test
  void everythingRaisedIsClearedWhenTheSessionEnds() {
    next(stats(2500, 8333, 0, 0));
    List<LiveStreamProtocol.Event> cleared = HealthAlerts.clearAll("s1", active, T0);
    assertEquals(
        List.of(
            new AlertCleared(
                "s1",
                StreamAlert.LONG_KEYFRAME_INTERVAL,
                LiveStreamProtocol.ALERT_SESSION_ENDED,
                T0)),
        cleared);
  }
}

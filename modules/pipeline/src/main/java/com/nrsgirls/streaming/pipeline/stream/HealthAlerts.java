package com.nrsgirls.streaming.pipeline.stream;

import com.nrsgirls.streaming.core.stream.HealthStats;
import com.nrsgirls.streaming.core.stream.LiveStreamProtocol;
import com.nrsgirls.streaming.core.stream.LiveStreamProtocol.AlertCleared;
import com.nrsgirls.streaming.core.stream.LiveStreamProtocol.AlertRaised;
import com.nrsgirls.streaming.core.stream.StreamAlert;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Judges one live session's health snapshots against the {@link AlertThresholds}: which alerts to
 * raise and which to clear, as events for the entity to persist. Holds what a single snapshot
 * cannot say (when media last came back, the drop counts of the last window). One per running
 * session, used on the entity's thread.
 */
final class HealthAlerts {
  /** A media gap under this (one health report without frames) still counts as flowing. */
  static final long FLOWING_GAP_MILLIS = 1000;

  private final AlertThresholds thresholds;
  private final String sessionId;

  /** (epoch millis, packets dropped so far) of the snapshots within the drop window. */
  private final ArrayDeque<long[]> drops = new ArrayDeque<>();

  private Instant bitrateJudgedFrom;

  HealthAlerts(AlertThresholds thresholds, String sessionId) {
    this.thresholds = thresholds;
    this.sessionId = sessionId;
  }

  String sessionId() {
    return sessionId;
  }

  /** The events that bring {@code active} in line with {@code stats}, measured at {@code now}. */
  List<LiveStreamProtocol.Event> evaluate(
      HealthStats stats, Map<String, StreamAlert> active, Instant now) {
    if (bitrateJudgedFrom == null) {
      bitrateJudgedFrom = now.plus(thresholds.settle());
    }
    List<LiveStreamProtocol.Event> changes = new ArrayList<>();

    long gap = stats.mediaGapMillis();
    long noMedia = thresholds.noMedia().toMillis();
    boolean stalled = gap >= noMedia;
    judge(
        changes,
        active,
        StreamAlert.NO_MEDIA,
        stalled,
        () ->
            new AlertRaised(
                sessionId,
                StreamAlert.NO_MEDIA,
                "no audio or video for "
                    + seconds(gap)
                    + " (alert after "
                    + seconds(noMedia)
                    + "): the encoder stalled or its uplink is down",
                gap,
                noMedia,
                now),
        now);
    // The bitrate is judged only while frames flow and the average window holds nothing but
    // flowing media: a stall first shows as a falling average, and that is no-media's to report.
    boolean flowing = gap < FLOWING_GAP_MILLIS;
    if (!flowing || active.containsKey(StreamAlert.NO_MEDIA)) {
      bitrateJudgedFrom = now.plus(thresholds.settle());
    }

    long min = thresholds.minBitrateKbps();
    // Cleared only 10 % above the threshold: an encoder sending just about the minimum would
    // otherwise raise and clear it every few seconds.
    boolean recovered = stats.bitrateKbps() >= min + min / 10;
    boolean low =
        flowing
            && !now.isBefore(bitrateJudgedFrom)
            && (stats.bitrateKbps() < min
                || (active.containsKey(StreamAlert.LOW_BITRATE) && !recovered));
    if (low || recovered || stalled) {
      judge(
          changes,
          active,
          StreamAlert.LOW_BITRATE,
          low,
          () ->
              new AlertRaised(
                  sessionId,
                  StreamAlert.LOW_BITRATE,
                  "ingest bitrate "
                      + stats.bitrateKbps()
                      + " kbit/s is under "
                      + min
                      + " kbit/s: check the encoder's bitrate setting and its uplink",
                  stats.bitrateKbps(),
                  min,
                  now),
          now);
    }

    long interval = stats.keyframeIntervalMillis();
    long maxInterval = thresholds.maxKeyframeInterval().toMillis();
    if (interval > 0) {
      judge(
          changes,
          active,
          StreamAlert.LONG_KEYFRAME_INTERVAL,
          interval > maxInterval,
          () ->
              new AlertRaised(
                  sessionId,
                  StreamAlert.LONG_KEYFRAME_INTERVAL,
                  HealthStats.keyframeIntervalWarning(interval, maxInterval).orElse(""),
                  interval,
                  maxInterval,
                  now),
          now);
    }

    long total = stats.packetsDropped();
    long windowStart = now.toEpochMilli() - thresholds.droppedWindow().toMillis();
    drops.addLast(new long[] {now.toEpochMilli(), total});
    while (drops.size() > 1 && drops.peekFirst()[0] < windowStart) {
      drops.removeFirst();
    }
    long dropped = Math.max(0, total - drops.peekFirst()[1]);
    long maxDropped = thresholds.maxDroppedPackets();
    judge(
        changes,
        active,
        StreamAlert.FRAMES_DROPPED,
        dropped > maxDropped,
        () ->
            new AlertRaised(
                sessionId,
                StreamAlert.FRAMES_DROPPED,
                "outputs dropped "
                    + dropped
                    + " packets in the last "
                    + seconds(thresholds.droppedWindow().toMillis())
                    + " (alert above "
                    + maxDropped
                    + "): an output cannot keep up with the stream",
                dropped,
                maxDropped,
                now),
        now);
    return changes;
  }

  private void judge(
      List<LiveStreamProtocol.Event> changes,
      Map<String, StreamAlert> active,
      String alert,
      boolean bad,
      java.util.function.Supplier<AlertRaised> raise,
      Instant now) {
    boolean raised = active.containsKey(alert);
    if (bad && !raised) {
      changes.add(raise.get());
    } else if (!bad && raised) {
      changes.add(new AlertCleared(sessionId, alert, LiveStreamProtocol.ALERT_RECOVERED, now));
    }
  }

  /** The events that clear every alert still raised, when the session ends. */
  static List<LiveStreamProtocol.Event> clearAll(
      String sessionId, Map<String, StreamAlert> active, Instant now) {
    List<LiveStreamProtocol.Event> cleared = new ArrayList<>();
    for (String alert : active.keySet()) {
      cleared.add(new AlertCleared(sessionId, alert, LiveStreamProtocol.ALERT_SESSION_ENDED, now));
    }
    return cleared;
  }

  private static String seconds(long millis) {
    return String.format(Locale.ROOT, "%.1f s", millis / 1000.0);
  }
}

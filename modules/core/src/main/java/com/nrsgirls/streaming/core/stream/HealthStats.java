package com.nrsgirls.streaming.core.stream;

import com.nrsgirls.streaming.core.CborSerializable;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * A coarse snapshot of a live session's media, sent by its graph about once a second. Shown in the
 * state API; never persisted per snapshot.
 *
 * @param bitrateKbps ingest bitrate (audio and video payload) over the last few seconds (the health
 *     window, 5 s by default; less at the start of a session)
 * @param videoBitrateKbps the video part of it
 * @param audioBitrateKbps the audio part of it
 * @param fps video frames per second over the same window
 * @param keyframeIntervalMillis time between the last two video keyframes, 0 before the second
 * @param avDriftMillis the last video timestamp minus the last audio timestamp (positive: video
 *     ahead); 0 unless both tracks have frames
 * @param mediaGapMillis time since the last audio or video frame arrived
 * @param ingestLagMillis how far the publisher's media trails the wall clock since its first frame
 *     (wall time elapsed minus media time elapsed): grows while the encoder's uplink cannot keep up
 *     and it sends a backlog late; negative for an encoder that sent ahead (a burst at the start)
 * @param segmentLatencyMillis from the last sample of the newest segment to the playlist listing it
 *     (the slowest rendition's newest segment); -1 before the first segment
 * @param bytesReceived payload bytes since the session started
 * @param videoFrames video frames since the session started
 * @param audioFrames audio frames since the session started
 * @param branchDrops packets each output branch dropped because it fell behind, by branch name
 * @param warnings what is wrong with the media, each in words its creator can act on
 * @param outputs how each output of the session is doing
 */
public record HealthStats(
    long bitrateKbps,
    long videoBitrateKbps,
    long audioBitrateKbps,
    double fps,
    long keyframeIntervalMillis,
    long avDriftMillis,
    long mediaGapMillis,
    long ingestLagMillis,
    long segmentLatencyMillis,
    long bytesReceived,
    long videoFrames,
    long audioFrames,
    Map<String, Long> branchDrops,
    List<String> warnings,
    List<OutputStatus> outputs,
    Instant measuredAt)
    implements CborSerializable {

  /** Packets all outputs dropped in the session so far. */
  public long packetsDropped() {
    long sum = 0;
    if (branchDrops != null) {
      for (Long n : branchDrops.values()) {
        sum += n;
      }
    }
    return sum;
  }

  /**
   * The warning for a keyframe interval over {@code limitMillis}, if it is: a segment starts at a
   * keyframe, so the interval is how long segments are and how far behind live viewers start.
   */
  public static Optional<String> keyframeIntervalWarning(long intervalMillis, long limitMillis) {
    if (intervalMillis <= limitMillis) {
      return Optional.empty();
    }
    String seconds = String.format(Locale.ROOT, "%.1f s", intervalMillis / 1000.0);
    return Optional.of(
        "keyframe interval is "
            + seconds
            + ": set the encoder's keyframe interval to 2 s (OBS: Settings > Output > Streaming >"
            + " Keyframe Interval 2); until then every segment lasts "
            + seconds
            + " and viewers start that much further behind live");
  }
}

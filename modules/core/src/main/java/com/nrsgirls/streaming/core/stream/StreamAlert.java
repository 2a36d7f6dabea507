package com.nrsgirls.streaming.core.stream;

import com.nrsgirls.streaming.core.CborSerializable;
import java.time.Instant;

/**
 * An alert raised on a live session and not yet cleared, as the state API shows it.
 *
 * @param alert what is wrong: {@value #NO_MEDIA}, {@value #LOW_BITRATE}, {@value
 *     #LONG_KEYFRAME_INTERVAL} or {@value #FRAMES_DROPPED}
 * @param detail the measured value against its threshold, in words an operator can act on
 * @param value the measured value (milliseconds, kbit/s or packets, as the alert says)
 * @param threshold the configured threshold it crossed, in the same unit
 * @param since when it was raised
 */
public record StreamAlert(
    String alert, String detail, double value, double threshold, Instant since)
    implements CborSerializable {
  /** No audio or video frame arrived for the configured time (the publisher is stalled). */
  public static final String NO_MEDIA = "no-media";

  /** The ingest bitrate stayed under the configured minimum. */
  public static final String LOW_BITRATE = "low-bitrate";

  /** Keyframes came further apart than the configured maximum. */
  public static final String LONG_KEYFRAME_INTERVAL = "long-keyframe-interval";

  /** The outputs dropped more packets within the configured window than allowed. */
  public static final String FRAMES_DROPPED = "frames-dropped";
}

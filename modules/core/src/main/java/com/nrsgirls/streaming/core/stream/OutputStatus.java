package com.nrsgirls.streaming.core.stream;

import com.nrsgirls.streaming.core.CborSerializable;
import java.time.Instant;

/**
 * How one output of a live session is doing, as its graph reports it with the health.
 *
 * @param name the output: {@code hls-source}, {@code abr}, ...
 * @param state {@value #STARTING} (attached, nothing taken yet), {@value #LIVE} (it has taken a
 *     keyframe since it last started), {@value #RETRYING} (it failed and is attached again after a
 *     backoff), {@value #FAILED} (it failed {@value #FAILED_AFTER} times in a row without going
 *     live in between; still retried, once a minute)
 * @param restarts how often it was attached again after a failure in this session
 * @param dropped packets it dropped because it fell behind (to the next keyframe each time)
 * @param since when it entered its state; null when not known
 * @param lastError why it last failed, in words fit for an operator (never a secret); null if it
 *     has not failed in this session
 * @param bytesSent bytes it has sent to a remote server (restream targets), 0 for the others
 * @param feed what it is fed, for outputs that may be fed otherwise than from the source (a
 *     restream target: {@code source} or a rung's name); null for the others
 * @param detail what an operator should know about how it is fed (a restream target fed from an ABR
 *     rung, or a platform limit that cannot be met); null if nothing
 */
public record OutputStatus(
    String name,
    String state,
    int restarts,
    long dropped,
    Instant since,
    String lastError,
    long bytesSent,
    String feed,
    String detail)
    implements CborSerializable {

  public OutputStatus(String name, String state, int restarts, long dropped) {
    this(name, state, restarts, dropped, null, null, 0, null, null);
  }

  public static final String STARTING = "starting";
  public static final String LIVE = "live";
  public static final String RETRYING = "retrying";
  public static final String FAILED = "failed";

  /** Failures in a row after which an output counts as failed rather than retrying. */
  public static final int FAILED_AFTER = 5;
}

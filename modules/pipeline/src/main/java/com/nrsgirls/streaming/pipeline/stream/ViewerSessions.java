package com.nrsgirls.streaming.pipeline.stream;

import com.nrsgirls.streaming.core.stream.LiveStreamProtocol.ViewerView;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;

/**
 * The HLS viewers of one live session, from the viewer reports of every node: a viewer joins when
 * first seen and leaves when not seen for the timeout (a player refreshes its media playlist every
 * target duration, 2 s). Counts who watches now, the peak, distinct viewers and time watched. Used
 * on the entity's thread.
 */
final class ViewerSessions {
  /** Distinct viewers remembered per session; more are still counted as watching, not as new. */
  static final int MAX_UNIQUE = 200_000;

  /** Viewers watching at once at most (memory stays bounded whatever clients send). */
  static final int MAX_WATCHING = 200_000;

  private final long timeoutMillis;

  /** Viewer -> {first seen, last seen} (epoch millis), for those watching now. */
  private final Map<String, long[]> watching = new HashMap<>();

  private final Set<String> everSeen = new HashSet<>();
  private int peak;
  private long departedMillis;
  private boolean changed;

  ViewerSessions(Duration timeout) {
    this.timeoutMillis = timeout.toMillis();
  }

  void seen(Collection<String> viewers, long nowMillis) {
    for (String v : viewers) {
      long[] times = watching.get(v);
      if (times == null) {
        if (watching.size() >= MAX_WATCHING) {
          continue;
        }
        watching.put(v, new long[] {nowMillis, nowMillis});
        if (everSeen.size() < MAX_UNIQUE) {
          everSeen.add(v);
        }
        changed = true;
      } else {
        times[1] = Math.max(times[1], nowMillis);
      }
    }
    peak = Math.max(peak, watching.size());
  }

  /** Viewers not seen within the timeout leave; their time up to their last sighting counts. */
  void expire(long nowMillis) {
    Iterator<long[]> it = watching.values().iterator();
    while (it.hasNext()) {
      long[] times = it.next();
      if (nowMillis - times[1] > timeoutMillis) {
        departedMillis += times[1] - times[0];
        it.remove();
        changed = true;
      }
    }
  }

  ViewerView view(long nowMillis) {
    long watched = departedMillis;
    for (long[] times : watching.values()) {
      watched += times[1] - times[0];
    }
    return new ViewerView(watching.size(), peak, everSeen.size(), watched / 1000);
  }

  /** Whether anyone joined or left since {@link #snapshotTaken}. */
  boolean changed() {
    return changed;
  }

  void snapshotTaken() {
    changed = false;
  }
}

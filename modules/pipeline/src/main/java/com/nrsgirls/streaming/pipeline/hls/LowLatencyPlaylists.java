package com.nrsgirls.streaming.pipeline.hls;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The low-latency playlists of this node's renditions, in memory: each rendition's writer publishes
 * every new state here once the files it lists are written, and blocking playlist requests park
 * here until their part or segment is listed. A parked request is a future in a list, woken by the
 * publish that reaches it: no thread and no polling per waiting viewer.
 *
 * <p>A rendition's state outlives its session (a reconnecting publisher's next session continues
 * its window) until the stream's outputs end, which lists {@code EXT-X-ENDLIST} and wakes everyone.
 * The ended states stay for the players still reading them, up to a number of ended streams past
 * which the longest ended are forgotten (a node runs for weeks; every stream it ever ran would
 * otherwise stay in memory). Thread-safe.
 */
public final class LowLatencyPlaylists {
  /** Waiters of one rendition past which timed-out ones are dropped before another is added. */
  private static final int PRUNE_AT = 1024;

  private final Map<String, Map<String, Rendition>> streams = new ConcurrentHashMap<>();

  /** Ended streams in the order they ended (guarded by itself); at most {@link #keptEnded}. */
  private final Set<String> endedStreams = new LinkedHashSet<>();

  private final int keptEnded;

  /** Keeps the states of the last 1,000 ended streams. */
  public LowLatencyPlaylists() {
    this(1000);
  }

  /** Keeps the states of the last {@code keptEnded} ended streams. */
  public LowLatencyPlaylists(int keptEnded) {
    this.keptEnded = keptEnded;
  }

  /** One rendition: its latest state and the requests waiting for a newer one. */
  private static final class Rendition {
    private volatile LowLatencyPlaylist latest;
    private final List<Waiter> waiters = new ArrayList<>();

    /** The last text served, whole and as a delta update: one publish wakes many requests. */
    private volatile Rendered whole;

    private volatile Rendered delta;
  }

  private record Rendered(LowLatencyPlaylist playlist, String reports, byte[] text) {}

  private record Waiter(long msn, int part, CompletableFuture<LowLatencyPlaylist> reply) {}

  private Rendition rendition(String streamId, String rendition) {
    return streams
        .computeIfAbsent(streamId, id -> new ConcurrentHashMap<>())
        .computeIfAbsent(rendition, r -> new Rendition());
  }

  /** Makes {@code playlist} the rendition's latest state and answers the requests it reaches. */
  public void publish(String streamId, String rendition, LowLatencyPlaylist playlist) {
    Rendition r = rendition(streamId, rendition);
    LowLatencyPlaylist before = r.latest;
    if (before != null && before.ended()) {
      synchronized (endedStreams) {
        endedStreams.remove(streamId); // live again: a new session continues the window
      }
    }
    List<CompletableFuture<LowLatencyPlaylist>> woken = new ArrayList<>();
    synchronized (r.waiters) {
      r.latest = playlist;
      for (Iterator<Waiter> it = r.waiters.iterator(); it.hasNext(); ) {
        Waiter w = it.next();
        if (w.reply().isDone()) {
          it.remove(); // timed out or cancelled
        } else if (playlist.reached(w.msn(), w.part())) {
          it.remove();
          woken.add(w.reply());
        }
      }
    }
    // completed outside the lock: a reply's continuation may take its time
    for (CompletableFuture<LowLatencyPlaylist> reply : woken) {
      reply.complete(playlist);
    }
  }

  /**
   * Where a listed part's bytes are: {@code length} bytes of its segment's {@code file} from {@code
   * offset}.
   */
  public record PartRange(String file, long offset, int length) {}

  /**
   * Where part {@code name} of the rendition is, if its latest state lists it (a segment of the
   * window, open or complete, whether or not its parts are still in the text).
   */
  public Optional<PartRange> part(String streamId, String rendition, String name) {
    Optional<LowLatencyPlaylist> latest = latest(streamId, rendition);
    if (latest.isEmpty()) {
      return Optional.empty();
    }
    List<LowLatencyPlaylist.Segment> segments = latest.get().segments();
    for (int i = segments.size() - 1; i >= 0; i--) { // players ask for the newest
      LowLatencyPlaylist.Segment s = segments.get(i);
      for (LowLatencyPlaylist.Part p : s.parts()) {
        if (p.uri().equals(name)) {
          return Optional.of(new PartRange(s.uri(), p.offset(), p.length()));
        }
      }
    }
    return Optional.empty();
  }

  /** The rendition's latest state, if it has one on this node. */
  public Optional<LowLatencyPlaylist> latest(String streamId, String rendition) {
    Map<String, Rendition> renditions = streams.get(streamId);
    Rendition r = renditions == null ? null : renditions.get(rendition);
    return r == null ? Optional.empty() : Optional.ofNullable(r.latest);
  }

  /**
   * The first state that lists part {@code part} of segment {@code msn} ({@code part} &lt; 0: the
   * whole segment): at once if the latest does, else when a publish reaches it. The caller bounds
   * the wait ({@link CompletableFuture#orTimeout}); a timed-out waiter is dropped at the next
   * publish. Empty if the rendition has no state here.
   */
  public Optional<CompletionStage<LowLatencyPlaylist>> await(
      String streamId, String rendition, long msn, int part) {
    Map<String, Rendition> renditions = streams.get(streamId);
    Rendition r = renditions == null ? null : renditions.get(rendition);
    if (r == null || r.latest == null) {
      return Optional.empty();
    }
    synchronized (r.waiters) {
      LowLatencyPlaylist now = r.latest;
      if (now.reached(msn, part)) {
        return Optional.of(CompletableFuture.completedFuture(now));
      }
      if (r.waiters.size() >= PRUNE_AT) {
        r.waiters.removeIf(w -> w.reply().isDone()); // a stalled rendition's timed-out waiters
      }
      CompletableFuture<LowLatencyPlaylist> reply = new CompletableFuture<>();
      r.waiters.add(new Waiter(msn, part, reply));
      return Optional.of(reply);
    }
  }

  /**
   * The text of {@code playlist} (a state of this rendition) with its siblings' rendition reports,
   * as a delta update when asked ({@link LowLatencyPlaylist#render(boolean)}). Rendered once for
   * all the requests a state answers: a publish can wake a thousand parked requests at once, and a
   * long GOP's playlist lists over a hundred parts.
   */
  public byte[] text(
      String streamId, String rendition, LowLatencyPlaylist playlist, boolean deltaUpdate) {
    String reports = renditionReports(streamId, rendition);
    Map<String, Rendition> renditions = streams.get(streamId);
    Rendition r = renditions == null ? null : renditions.get(rendition);
    Rendered last = r == null ? null : deltaUpdate ? r.delta : r.whole;
    if (last != null && last.playlist() == playlist && last.reports().equals(reports)) {
      return last.text();
    }
    byte[] text = (playlist.render(deltaUpdate) + reports).getBytes(StandardCharsets.UTF_8);
    if (r != null) {
      Rendered rendered = new Rendered(playlist, reports, text);
      if (deltaUpdate) {
        r.delta = rendered;
      } else {
        r.whole = rendered;
      }
    }
    return text;
  }

  /**
   * {@code EXT-X-RENDITION-REPORT} lines for every sibling of {@code rendition} with a state here:
   * where its playlist is, relative to this one's, and its newest segment and part.
   */
  public String renditionReports(String streamId, String rendition) {
    Map<String, Rendition> renditions = streams.get(streamId);
    if (renditions == null) {
      return "";
    }
    StringBuilder b = new StringBuilder();
    renditions.entrySet().stream()
        .filter(e -> !e.getKey().equals(rendition) && e.getValue().latest != null)
        .sorted(Map.Entry.comparingByKey())
        .forEach(
            e -> {
              LowLatencyPlaylist p = e.getValue().latest;
              if (p.lastSequence() < 0) {
                return;
              }
              b.append("#EXT-X-RENDITION-REPORT:URI=\"../")
                  .append(e.getKey())
                  .append("/ll.m3u8\",LAST-MSN=")
                  .append(p.lastSequence());
              if (p.lastPart() >= 0) {
                b.append(",LAST-PART=").append(p.lastPart());
              }
              b.append('\n');
            });
    return b.toString();
  }

  /**
   * The stream's outputs ended: every rendition lists its end, and every waiter is answered. The
   * ended states stay (players that poll read the end; a later session continues them) until more
   * than the kept number of streams ended after this one: then this one is forgotten.
   */
  public void end(String streamId) {
    Map<String, Rendition> renditions = streams.get(streamId);
    if (renditions == null) {
      return;
    }
    for (Rendition r : renditions.values()) {
      LowLatencyPlaylist latest = r.latest;
      if (latest != null) {
        LowLatencyPlaylist ended =
            new LowLatencyPlaylist(
                latest.targetDurationSeconds(),
                latest.partTargetMillis(),
                latest.partSegments(),
                latest.discontinuitySequence(),
                latest.segments().stream().filter(LowLatencyPlaylist.Segment::complete).toList(),
                null,
                true,
                latest.deltaUpdates());
        List<Waiter> waiting;
        synchronized (r.waiters) {
          r.latest = ended;
          waiting = new ArrayList<>(r.waiters);
          r.waiters.clear();
        }
        waiting.forEach(w -> w.reply().complete(ended));
      }
    }
    synchronized (endedStreams) {
      endedStreams.remove(streamId);
      endedStreams.add(streamId);
      for (Iterator<String> oldest = endedStreams.iterator(); endedStreams.size() > keptEnded; ) {
        streams.remove(oldest.next());
        oldest.remove();
      }
    }
  }
}

package com.nrsgirls.streaming.pipeline.hls;

import java.time.Instant;
import java.util.List;

/**
 * One state of a rendition's low-latency media playlist (draft-pantos-hls-rfc8216bis §4.4.4.9,
 * §4.4.5.2, §6.2.5): the window of segments, the last {@code partSegments} complete ones and the
 * open one with their parts, and the hint of the part to come. Immutable; {@link #render()} is the
 * text without rendition reports (the server adds those per request, from the siblings' latest
 * states).
 *
 * <p>Positions: the newest listed part is part {@link #lastPart()} of segment {@link
 * #lastSequence()}; {@link #completeSequence()} is the newest segment listed whole. A blocking
 * request for segment M (and part P) is answered once the newest position is at or past it.
 *
 * @param deltaUpdates whether {@code CAN-SKIP-UNTIL} is offered (see {@link #render(boolean)})
 */
public record LowLatencyPlaylist(
    int targetDurationSeconds,
    long partTargetMillis,
    int partSegments,
    long discontinuitySequence,
    List<Segment> segments,
    String preloadHint,
    boolean ended,
    boolean deltaUpdates) {

  /**
   * A part of a segment: one fMP4 fragment, {@code length} bytes of the segment's file from {@code
   * offset}, served under its own {@code uri}.
   */
  public record Part(
      String uri, long durationMillis, boolean independent, long offset, int length) {}

  /**
   * A segment of the window; {@code complete} is false while it is open, when {@code uri} names the
   * file its parts are written to (listed only once complete).
   *
   * @param mapUri the init segment its fragments need
   */
  public record Segment(
      long sequence,
      String uri,
      long durationMillis,
      boolean discontinuity,
      Instant programDateTime,
      String mapUri,
      List<Part> parts,
      boolean complete) {}

  public LowLatencyPlaylist {
    segments = List.copyOf(segments);
  }

  /** The newest segment's media sequence number (open or complete); -1 when none is listed. */
  public long lastSequence() {
    return segments.isEmpty() ? -1 : segments.get(segments.size() - 1).sequence();
  }

  /** The index of the newest part of {@link #lastSequence()}; -1 when it has none yet. */
  public int lastPart() {
    return segments.isEmpty() ? -1 : segments.get(segments.size() - 1).parts().size() - 1;
  }

  /** The newest segment listed whole; -1 when none is. */
  public long completeSequence() {
    for (int i = segments.size() - 1; i >= 0; i--) {
      if (segments.get(i).complete()) {
        return segments.get(i).sequence();
      }
    }
    return -1;
  }

  /**
   * Whether this state answers a blocking request for part {@code part} of segment {@code msn}
   * ({@code part} &lt; 0: the whole segment). A part past the segment's last one is the next
   * segment's first (§6.2.5.2), which shows as a newer position.
   */
  public boolean reached(long msn, int part) {
    if (ended) {
      return true;
    }
    if (part < 0) {
      return completeSequence() >= msn;
    }
    long last = lastSequence();
    return last > msn || (last == msn && lastPart() >= part);
  }

  /** {@code PART-HOLD-BACK}: three part targets, as the spec recommends (at least two). */
  public long partHoldBackMillis() {
    return 3 * partTargetMillis;
  }

  /**
   * {@code CAN-SKIP-UNTIL}: six target durations, the least the spec allows (§4.4.3.8). A delta
   * update leaves out segments that end at least this long before the playlist's end.
   */
  public long skipUntilMillis() {
    return 6_000L * targetDurationSeconds;
  }

  /** The playlist text, without rendition reports. */
  public String render() {
    return render(false);
  }

  /**
   * The playlist text, without rendition reports; with {@code deltaUpdate} (a request's {@code
   * _HLS_skip}), the leading complete segments without listed parts that end at least {@link
   * #skipUntilMillis()} before the playlist's end are replaced by {@code EXT-X-SKIP} (§6.2.5.1). A
   * window shorter than that, or one that does not offer delta updates, comes back whole, as the
   * spec allows.
   */
  public String render(boolean deltaUpdate) {
    StringBuilder b = new StringBuilder(4096);
    b.append("#EXTM3U\n#EXT-X-VERSION:9\n");
    b.append("#EXT-X-TARGETDURATION:").append(targetDurationSeconds).append('\n');
    b.append("#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES");
    if (deltaUpdates) {
      b.append(",CAN-SKIP-UNTIL=");
      seconds(b, skipUntilMillis());
    }
    b.append(",PART-HOLD-BACK=");
    seconds(b, partHoldBackMillis());
    b.append("\n#EXT-X-PART-INF:PART-TARGET=");
    seconds(b, partTargetMillis);
    b.append('\n');
    long first = segments.isEmpty() ? 0 : segments.get(0).sequence();
    b.append("#EXT-X-MEDIA-SEQUENCE:").append(first).append('\n');
    if (discontinuitySequence > 0) {
      b.append("#EXT-X-DISCONTINUITY-SEQUENCE:").append(discontinuitySequence).append('\n');
    }
    // parts are listed for the open segment and the last partSegments complete ones
    int partsFrom = 0;
    int complete = 0;
    for (int i = segments.size() - 1; i >= 0; i--) {
      if (segments.get(i).complete() && ++complete == partSegments) {
        partsFrom = i;
        break;
      }
    }
    int skipped = deltaUpdate && deltaUpdates ? skippable(partsFrom) : 0;
    if (skipped > 0) {
      b.append("#EXT-X-SKIP:SKIPPED-SEGMENTS=").append(skipped).append('\n');
    }
    String map = null; // the first segment listed names its init segment, after a skip too
    for (int i = skipped; i < segments.size(); i++) {
      Segment s = segments.get(i);
      if (s.discontinuity()) {
        b.append("#EXT-X-DISCONTINUITY\n");
      }
      if (!s.mapUri().equals(map)) {
        map = s.mapUri();
        b.append("#EXT-X-MAP:URI=\"").append(map).append("\"\n");
      }
      if (s.programDateTime() != null) {
        b.append("#EXT-X-PROGRAM-DATE-TIME:").append(s.programDateTime()).append('\n');
      }
      if (i >= partsFrom) {
        for (Part p : s.parts()) {
          b.append("#EXT-X-PART:DURATION=");
          seconds(b, p.durationMillis());
          b.append(",URI=\"").append(p.uri()).append('"');
          if (p.independent()) {
            b.append(",INDEPENDENT=YES");
          }
          b.append('\n');
        }
      }
      if (s.complete()) {
        b.append("#EXTINF:");
        seconds(b, s.durationMillis());
        b.append(",\n");
        b.append(s.uri()).append('\n');
      }
    }
    if (ended) {
      b.append("#EXT-X-ENDLIST\n");
    } else if (preloadHint != null) {
      b.append("#EXT-X-PRELOAD-HINT:TYPE=PART,URI=\"").append(preloadHint).append("\"\n");
    }
    return b.toString();
  }

  /**
   * How many leading segments a delta update leaves out: complete ones before {@code partsFrom}
   * (the first that lists its parts) that end at least {@link #skipUntilMillis()} before the
   * playlist's end.
   */
  private int skippable(int partsFrom) {
    long after = 0; // media after segment i, to the end of the newest part
    for (int i = segments.size() - 1; i >= 0; i--) {
      Segment s = segments.get(i);
      if (after >= skipUntilMillis() && i < partsFrom && s.complete()) {
        return i + 1;
      }
      after += s.complete() ? s.durationMillis() : partsMillis(s);
    }
    return 0;
  }

  private static long partsMillis(Segment s) {
    long millis = 0;
    for (Part p : s.parts()) {
      millis += p.durationMillis();
    }
    return millis;
  }

  /** Milliseconds as seconds with three decimals, as the playlist writes them. */
  static void seconds(StringBuilder b, long millis) {
    long fraction = millis % 1000;
    b.append(millis / 1000).append('.');
    if (fraction < 100) {
      b.append(fraction < 10 ? "00" : "0");
    }
    b.append(fraction);
  }

  static String seconds(long millis) {
    StringBuilder b = new StringBuilder(8);
    seconds(b, millis);
    return b.toString();
  }
}

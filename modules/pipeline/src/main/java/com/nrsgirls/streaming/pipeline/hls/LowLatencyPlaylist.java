package com.nrsgirls.streaming.pipeline.hls;

import java.time.Instant;
import java.util.List;
import java.util.Locale;

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
 */
public record LowLatencyPlaylist(
    int targetDurationSeconds,
    long partTargetMillis,
    int partSegments,
    long discontinuitySequence,
    List<Segment> segments,
    String preloadHint,
    boolean ended) {

  /** A part of a segment: its own fMP4 fragment, also a slice of the segment's file. */
  public record Part(String uri, long durationMillis, boolean independent) {}

  /**
   * A segment of the window; {@code uri} is null and {@code complete} false while it is open.
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

  /** The playlist text, without rendition reports. */
  public String render() {
    StringBuilder b = new StringBuilder(2048);
    b.append("#EXTM3U\n#EXT-X-VERSION:9\n");
    b.append("#EXT-X-TARGETDURATION:").append(targetDurationSeconds).append('\n');
    b.append("#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,PART-HOLD-BACK=")
        .append(seconds(partHoldBackMillis()))
        .append('\n');
    b.append("#EXT-X-PART-INF:PART-TARGET=").append(seconds(partTargetMillis)).append('\n');
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
    String map = null;
    for (int i = 0; i < segments.size(); i++) {
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
          b.append("#EXT-X-PART:DURATION=")
              .append(seconds(p.durationMillis()))
              .append(",URI=\"")
              .append(p.uri())
              .append('"');
          if (p.independent()) {
            b.append(",INDEPENDENT=YES");
          }
          b.append('\n');
        }
      }
      if (s.complete()) {
        b.append("#EXTINF:").append(seconds(s.durationMillis())).append(",\n");
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

  static String seconds(long millis) {
    return String.format(Locale.ROOT, "%d.%03d", millis / 1000, millis % 1000);
  }
}

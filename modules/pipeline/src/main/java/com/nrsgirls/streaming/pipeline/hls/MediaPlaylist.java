package com.nrsgirls.streaming.pipeline.hls;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A live, sliding HLS media playlist (RFC 8216 §4.3.3), immutable: appending a segment gives a new
 * playlist. Rendered as version 3 (decimal {@code EXTINF}).
 *
 * <p>{@link #parse} reads back what {@link #render} writes (and tolerates other tags), which is how
 * a publisher reconnect or a restarted node continues the same playlist.
 *
 * @param targetDuration {@code EXT-X-TARGETDURATION} in seconds: every listed segment's duration,
 *     rounded to the nearest second, is at most this (RFC 8216 §4.3.3.1). It never changes once the
 *     playlist exists: §6.2.1 says its value MUST NOT change, so {@link #append} refuses a segment
 *     that does not fit rather than raising it, and the segmenter cuts segments to fit
 * @param mediaSequence {@code EXT-X-MEDIA-SEQUENCE}: the sequence number of the first segment
 * @param discontinuitySequence {@code EXT-X-DISCONTINUITY-SEQUENCE}: how many discontinuities have
 *     slid out of the window
 * @param segments the segments in the window, oldest first
 * @param ended whether {@code EXT-X-ENDLIST} closes the playlist
 * @param timelineEndMillis where the last segment ends on the segments' own (MPEG-TS) timeline, in
 *     milliseconds before the 33-bit wrap, or -1 if unknown. A segmenter that continues the
 *     playlist starts its timestamps after it. Rendered as a comment line ({@value
 *     #TIMELINE_END_COMMENT}), which clients ignore (RFC 8216 §4.1).
 */
public record MediaPlaylist(
    int targetDuration,
    long mediaSequence,
    long discontinuitySequence,
    List<Segment> segments,
    boolean ended,
    long timelineEndMillis) {

  public static final int VERSION = 3;

  /** The longest target duration {@link #parse} accepts, in seconds: a day. */
  static final int MAX_TARGET_DURATION = 86_400;

  /** Start of the comment line that carries {@link #timelineEndMillis()}. */
  public static final String TIMELINE_END_COMMENT = "#NRS-TIMELINE-END:";

  private static final DateTimeFormatter PROGRAM_DATE_TIME =
      DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSXXX").withZone(ZoneOffset.UTC);

  /**
   * One media segment.
   *
   * @param uri the segment's URI relative to the playlist, e.g. {@code 42-lq3k2x.ts}
   * @param durationMillis its duration ({@code EXTINF}) in milliseconds, above zero
   * @param discontinuity whether {@code EXT-X-DISCONTINUITY} precedes it
   * @param programDateTime the wall-clock time of its first sample ({@code
   *     EXT-X-PROGRAM-DATE-TIME}), or null if unknown
   * @param gap whether {@code EXT-X-GAP} marks it: this rendition has no media for that stretch
   *     (its sibling renditions do); players skip it without loading its URI
   */
  public record Segment(
      String uri,
      long durationMillis,
      boolean discontinuity,
      Instant programDateTime,
      boolean gap) {
    public Segment(
        String uri, long durationMillis, boolean discontinuity, Instant programDateTime) {
      this(uri, durationMillis, discontinuity, programDateTime, false);
    }

    public Segment {
      Objects.requireNonNull(uri, "uri");
      if (uri.isEmpty()
          || uri.indexOf('\n') >= 0
          || uri.indexOf('\r') >= 0
          || uri.startsWith("#")) {
        throw new IllegalArgumentException("not a segment URI: " + uri);
      }
      if (durationMillis <= 0) {
        throw new IllegalArgumentException("segment duration must be positive: " + durationMillis);
      }
    }

    /**
     * The duration rounded to the nearest second, what the target duration must cover (RFC 8216
     * §4.3.3.1): a 2.002 s segment of a 29.97 fps stream keeps a target duration of 2.
     */
    public int roundedSeconds() {
      return (int) ((durationMillis + 500) / 1000);
    }
  }

  public MediaPlaylist {
    if (targetDuration < 1) {
      throw new IllegalArgumentException("target duration must be at least 1 s: " + targetDuration);
    }
    if (mediaSequence < 0 || discontinuitySequence < 0) {
      throw new IllegalArgumentException("sequence numbers must not be negative");
    }
    if (timelineEndMillis < -1) {
      throw new IllegalArgumentException("timeline end must be -1 or more: " + timelineEndMillis);
    }
    segments = List.copyOf(segments);
    for (Segment s : segments) {
      if (s.roundedSeconds() > targetDuration) {
        throw new IllegalArgumentException(
            "segment " + s.uri() + " is longer than the target duration " + targetDuration);
      }
    }
  }

  /** An empty live playlist whose target duration starts at {@code targetDuration} seconds. */
  public static MediaPlaylist empty(int targetDuration) {
    return new MediaPlaylist(targetDuration, 0, 0, List.of(), false, -1);
  }

  /**
   * The same playlist with another target duration: only before its first segment is listed, since
   * a listed playlist's target duration never changes (RFC 8216 §6.2.1).
   */
  public MediaPlaylist withTargetDuration(int seconds) {
    if (!segments.isEmpty()) {
      throw new IllegalStateException("the target duration of a listed playlist cannot change");
    }
    return new MediaPlaylist(
        seconds, mediaSequence, discontinuitySequence, segments, ended, timelineEndMillis);
  }

  /**
   * An empty window whose next segment gets {@code sequence}: every listed segment slides out
   * (counted in the discontinuity sequence if it had a discontinuity), the target duration stays.
   */
  public MediaPlaylist restartingAt(long sequence) {
    if (sequence < nextMediaSequence()) {
      throw new IllegalArgumentException(
          "media sequence cannot go back from " + nextMediaSequence() + " to " + sequence);
    }
    long discontinuities = discontinuitySequence;
    for (Segment s : segments) {
      if (s.discontinuity()) {
        discontinuities++;
      }
    }
    return new MediaPlaylist(
        targetDuration, sequence, discontinuities, List.of(), ended, timelineEndMillis);
  }

  /** The sequence number the next appended segment gets. */
  public long nextMediaSequence() {
    return mediaSequence + segments.size();
  }

  /**
   * Appends {@code segment} and slides the window down to {@code maxSegments}, counting the
   * discontinuities that slide out.
   *
   * @throws IllegalArgumentException if the segment is longer than the target duration allows
   */
  public MediaPlaylist append(Segment segment, int maxSegments) {
    if (maxSegments < 1) {
      throw new IllegalArgumentException("maxSegments must be at least 1: " + maxSegments);
    }
    int drop = Math.max(0, segments.size() + 1 - maxSegments);
    long discontinuities = discontinuitySequence;
    for (int i = 0; i < drop; i++) {
      if (segments.get(i).discontinuity()) {
        discontinuities++;
      }
    }
    List<Segment> next = new ArrayList<>(segments.size() + 1 - drop);
    next.addAll(segments.subList(drop, segments.size()));
    next.add(segment);
    return new MediaPlaylist(
        targetDuration, mediaSequence + drop, discontinuities, next, ended, timelineEndMillis);
  }

  /** The same playlist with {@code EXT-X-ENDLIST} added or removed. */
  public MediaPlaylist withEnded(boolean ended) {
    return new MediaPlaylist(
        targetDuration, mediaSequence, discontinuitySequence, segments, ended, timelineEndMillis);
  }

  /** The same playlist with {@link #timelineEndMillis()} set. */
  public MediaPlaylist withTimelineEnd(long millis) {
    return new MediaPlaylist(
        targetDuration, mediaSequence, discontinuitySequence, segments, ended, millis);
  }

  /** Total duration of the listed segments in milliseconds. */
  public long durationMillis() {
    long total = 0;
    for (Segment s : segments) {
      total += s.durationMillis();
    }
    return total;
  }

  /** The playlist text (UTF-8 when stored, lines ending in LF). */
  public String render() {
    StringBuilder sb = new StringBuilder(160 + 110 * segments.size());
    sb.append("#EXTM3U\n#EXT-X-VERSION:").append(VERSION).append('\n');
    sb.append("#EXT-X-TARGETDURATION:").append(targetDuration).append('\n');
    sb.append("#EXT-X-MEDIA-SEQUENCE:").append(mediaSequence).append('\n');
    if (discontinuitySequence > 0) {
      sb.append("#EXT-X-DISCONTINUITY-SEQUENCE:").append(discontinuitySequence).append('\n');
    }
    if (timelineEndMillis >= 0) {
      sb.append(TIMELINE_END_COMMENT).append(timelineEndMillis).append('\n');
    }
    for (Segment s : segments) {
      if (s.discontinuity()) {
        sb.append("#EXT-X-DISCONTINUITY\n");
      }
      if (s.programDateTime() != null) {
        sb.append("#EXT-X-PROGRAM-DATE-TIME:")
            .append(PROGRAM_DATE_TIME.format(s.programDateTime()))
            .append('\n');
      }
      if (s.gap()) {
        sb.append("#EXT-X-GAP\n");
      }
      sb.append("#EXTINF:");
      appendMillisAsSeconds(sb, s.durationMillis());
      sb.append(",\n").append(s.uri()).append('\n');
    }
    if (ended) {
      sb.append("#EXT-X-ENDLIST\n");
    }
    return sb.toString();
  }

  /** {@code 2002} as {@code 2.002}, independent of the default locale. */
  static void appendMillisAsSeconds(StringBuilder sb, long millis) {
    sb.append(millis / 1000).append('.');
    long fraction = millis % 1000;
    if (fraction < 100) {
      sb.append('0');
    }
    if (fraction < 10) {
      sb.append('0');
    }
    sb.append(fraction);
  }

  /**
   * Parses a media playlist. Tags this class does not model are skipped; a master playlist, a
   * missing target duration or a segment without a duration is an error.
   */
  public static MediaPlaylist parse(String text) throws PlaylistFormatException {
    String[] lines = text.split("\r?\n");
    if (lines.length == 0 || !lines[0].strip().equals("#EXTM3U")) {
      throw new PlaylistFormatException("playlist does not start with #EXTM3U");
    }
    int target = -1;
    long sequence = 0;
    long discontinuitySequence = 0;
    boolean ended = false;
    long timelineEnd = -1;
    List<Segment> segments = new ArrayList<>();
    long duration = -1;
    boolean discontinuity = false;
    boolean gap = false;
    Instant programDateTime = null;
    for (int i = 1; i < lines.length; i++) {
      String line = lines[i].strip();
      if (line.isEmpty()) {
        continue;
      }
      if (!line.startsWith("#")) {
        if (duration < 0) {
          throw new PlaylistFormatException("segment " + line + " has no #EXTINF");
        }
        segments.add(new Segment(line, duration, discontinuity, programDateTime, gap));
        duration = -1;
        discontinuity = false;
        gap = false;
        programDateTime = null;
      } else if (line.startsWith("#EXTINF:")) {
        duration = parseDurationMillis(line.substring(8));
      } else if (line.startsWith("#EXT-X-TARGETDURATION:")) {
        target = (int) Math.min(parseLong(line, 22), Integer.MAX_VALUE);
      } else if (line.startsWith("#EXT-X-MEDIA-SEQUENCE:")) {
        sequence = parseLong(line, 22);
      } else if (line.startsWith("#EXT-X-DISCONTINUITY-SEQUENCE:")) {
        discontinuitySequence = parseLong(line, 30);
      } else if (line.equals("#EXT-X-DISCONTINUITY")) {
        discontinuity = true;
      } else if (line.equals("#EXT-X-GAP")) {
        gap = true;
      } else if (line.startsWith("#EXT-X-PROGRAM-DATE-TIME:")) {
        try {
          programDateTime = OffsetDateTime.parse(line.substring(25)).toInstant();
        } catch (DateTimeParseException e) {
          throw new PlaylistFormatException("bad date-time: " + line);
        }
      } else if (line.startsWith(TIMELINE_END_COMMENT)) {
        timelineEnd = parseLong(line, TIMELINE_END_COMMENT.length());
      } else if (line.equals("#EXT-X-ENDLIST")) {
        ended = true;
      } else if (line.startsWith("#EXT-X-STREAM-INF")) {
        throw new PlaylistFormatException("a master playlist, not a media playlist");
      }
    }
    if (target < 1 || target > MAX_TARGET_DURATION) {
      throw new PlaylistFormatException("playlist lacks a valid #EXT-X-TARGETDURATION");
    }
    // A playlist that lists segments longer than its target duration is broken already (we never
    // write one); covering them is the only way to continue it.
    for (Segment s : segments) {
      target = Math.max(target, s.roundedSeconds());
    }
    try {
      return new MediaPlaylist(
          target, sequence, discontinuitySequence, segments, ended, timelineEnd);
    } catch (IllegalArgumentException e) {
      throw new PlaylistFormatException(e.getMessage());
    }
  }

  private static long parseLong(String line, int from) throws PlaylistFormatException {
    try {
      long v = Long.parseLong(line.substring(from).strip());
      if (v < 0) {
        throw new PlaylistFormatException("negative value: " + line);
      }
      return v;
    } catch (NumberFormatException e) {
      throw new PlaylistFormatException("bad number: " + line);
    }
  }

  /** {@code "2.002,title"} to 2002; durations are rounded to the millisecond. */
  private static long parseDurationMillis(String value) throws PlaylistFormatException {
    int comma = value.indexOf(',');
    String number = (comma >= 0 ? value.substring(0, comma) : value).strip();
    try {
      double seconds = Double.parseDouble(number);
      if (!(seconds > 0) || seconds > 1e7) {
        throw new PlaylistFormatException("bad #EXTINF duration: " + value);
      }
      return Math.max(1, Math.round(seconds * 1000));
    } catch (NumberFormatException e) {
      throw new PlaylistFormatException("bad #EXTINF duration: " + value);
    }
  }
}

package com.nrsgirls.streaming.pipeline.recording;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A recording's HLS playlist over its fMP4 parts ({@code index.m3u8} beside them in the store): an
 * {@code EVENT} playlist while recording, {@code VOD} with {@code EXT-X-ENDLIST} once ended. A part
 * names the init segment it needs ({@code EXT-X-MAP}); where that changes (the publisher's codec
 * configuration changed) a {@code EXT-X-DISCONTINUITY} comes first. It reads back what it writes,
 * so a node that restarts after a crash continues the list the store has.
 */
public final class VodPlaylist {
  public static final String NAME = "index.m3u8";

  private static final Pattern MAP = Pattern.compile("#EXT-X-MAP:URI=\"init-(\\d+)\\.mp4\"");
  private static final Pattern EXTINF = Pattern.compile("#EXTINF:([0-9.]+),");
  private static final Pattern PART = Pattern.compile("part-(\\d+)\\.m4s");

  /** One stored part: its number, the init segment it needs, its duration. */
  public record Entry(int part, int init, long durationMillis) {}

  private VodPlaylist() {}

  public static String partName(int part) {
    return String.format(Locale.ROOT, "part-%06d.m4s", part);
  }

  public static String initName(int init) {
    return "init-" + init + ".mp4";
  }

  public static String render(List<Entry> entries, boolean ended) {
    long longest = 1000;
    for (Entry e : entries) {
      longest = Math.max(longest, e.durationMillis());
    }
    StringBuilder b = new StringBuilder(128 + entries.size() * 40);
    b.append("#EXTM3U\n#EXT-X-VERSION:7\n");
    b.append("#EXT-X-TARGETDURATION:").append((longest + 999) / 1000).append('\n');
    b.append("#EXT-X-PLAYLIST-TYPE:").append(ended ? "VOD" : "EVENT").append('\n');
    b.append("#EXT-X-INDEPENDENT-SEGMENTS\n");
    int init = -1;
    for (Entry e : entries) {
      if (e.init() != init) {
        if (init >= 0) {
          b.append("#EXT-X-DISCONTINUITY\n");
        }
        init = e.init();
        b.append("#EXT-X-MAP:URI=\"").append(initName(init)).append("\"\n");
      }
      b.append(String.format(Locale.ROOT, "#EXTINF:%.3f,\n", e.durationMillis() / 1000.0));
      b.append(partName(e.part())).append('\n');
    }
    if (ended) {
      b.append("#EXT-X-ENDLIST\n");
    }
    return b.toString();
  }

  /** The parts a playlist this class wrote lists; lines it does not know are skipped. */
  public static List<Entry> parse(String text) {
    List<Entry> entries = new ArrayList<>();
    int init = 1;
    long duration = -1;
    for (String line : text.split("\n")) {
      line = line.strip();
      Matcher m;
      if ((m = MAP.matcher(line)).matches()) {
        init = Integer.parseInt(m.group(1));
      } else if ((m = EXTINF.matcher(line)).matches()) {
        duration = Math.round(Double.parseDouble(m.group(1)) * 1000);
      } else if ((m = PART.matcher(line)).matches() && duration >= 0) {
        entries.add(new Entry(Integer.parseInt(m.group(1)), init, duration));
        duration = -1;
      }
    }
    return entries;
  }

  /** The sum of the entries' durations. */
  public static long durationMillis(List<Entry> entries) {
    long total = 0;
    for (Entry e : entries) {
      total += e.durationMillis();
    }
    return total;
  }
}

package com.nrsgirls.streaming.testkit;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The rules of draft-pantos-hls-rfc8216bis a low-latency media playlist must keep, checked on its
 * text: what a test asserts of every playlist it reads. {@link #violations} names each broken rule.
 *
 * <ul>
 *   <li>{@code EXT-X-TARGETDURATION}, {@code EXT-X-PART-INF:PART-TARGET}, {@code
 *       EXT-X-SERVER-CONTROL} with {@code CAN-BLOCK-RELOAD=YES} and a {@code PART-HOLD-BACK} of at
 *       least three part targets (the spec's "should"; two is its "must") and {@code
 *       EXT-X-MEDIA-SEQUENCE} are there (§4.4.3.7, §4.4.3.8);
 *   <li>no segment is longer than the target duration, rounded (§4.4.3.1);
 *   <li>no part is longer than the part target (1 ms over is the rounding of millisecond
 *       timestamps), and every part but an independent one and a segment's last lasts at least 85 %
 *       of it (§4.4.4.9);
 *   <li>a segment whose parts are listed is as long as they are together;
 *   <li>an {@code EXT-X-MAP} comes before the first segment or part;
 *   <li>a live playlist ends with one {@code EXT-X-PRELOAD-HINT:TYPE=PART} after its last part
 *       (§4.4.5.3);
 *   <li>every sibling rendition named gets one {@code EXT-X-RENDITION-REPORT} with {@code LAST-MSN}
 *       (§4.4.5.4);
 *   <li>a {@code CAN-SKIP-UNTIL} is at least six target durations (§4.4.3.8), and an {@code
 *       EXT-X-SKIP} (a delta update) comes only with it, once, before any segment, part or map
 *       (§4.4.5.2).
 * </ul>
 */
public final class LowLatencyPlaylistRules {
  private static final Pattern ATTRIBUTE = Pattern.compile("([A-Z-]+)=(\"[^\"]*\"|[^,]*)");

  private LowLatencyPlaylistRules() {}

  /** The rules {@code text} breaks; empty when it keeps them all. */
  public static List<String> violations(String text, Set<String> siblings) {
    List<String> broken = new ArrayList<>();
    List<String> lines = text.lines().toList();
    if (lines.isEmpty() || !lines.get(0).equals("#EXTM3U")) {
      broken.add("does not start with #EXTM3U");
      return broken;
    }
    double target = number(text, "#EXT-X-TARGETDURATION:", broken);
    Map<String, String> partInf = attributes(tag(lines, "#EXT-X-PART-INF:"));
    double partTarget = parse(partInf.get("PART-TARGET"), "PART-TARGET", broken);
    Map<String, String> control = attributes(tag(lines, "#EXT-X-SERVER-CONTROL:"));
    if (!"YES".equals(control.get("CAN-BLOCK-RELOAD"))) {
      broken.add("EXT-X-SERVER-CONTROL lacks CAN-BLOCK-RELOAD=YES: " + control);
    }
    double holdBack = parse(control.get("PART-HOLD-BACK"), "PART-HOLD-BACK", broken);
    if (holdBack < 3 * partTarget - 0.0005) {
      broken.add("PART-HOLD-BACK " + holdBack + " is below three part targets of " + partTarget);
    }
    if (control.containsKey("CAN-SKIP-UNTIL")) {
      double skipUntil = parse(control.get("CAN-SKIP-UNTIL"), "CAN-SKIP-UNTIL", broken);
      if (skipUntil < 6 * target - 0.0005) {
        broken.add("CAN-SKIP-UNTIL " + skipUntil + " is below six target durations of " + target);
      }
    }
    int skips = 0;
    int firstMedia = -1;
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i);
      if (line.startsWith("#EXT-X-SKIP:")) {
        skips++;
        if (!control.containsKey("CAN-SKIP-UNTIL")) {
          broken.add("EXT-X-SKIP without CAN-SKIP-UNTIL: " + line);
        }
        if (!attributes(line.substring(12)).containsKey("SKIPPED-SEGMENTS")) {
          broken.add("EXT-X-SKIP without SKIPPED-SEGMENTS: " + line);
        }
        if (firstMedia >= 0) {
          broken.add("EXT-X-SKIP after the first segment, part or map: " + lines.get(firstMedia));
        }
      } else if (firstMedia < 0
          && (line.startsWith("#EXTINF:")
              || line.startsWith("#EXT-X-PART:")
              || line.startsWith("#EXT-X-MAP:"))) {
        firstMedia = i;
      }
    }
    if (skips > 1) {
      broken.add(skips + " EXT-X-SKIP tags");
    }
    number(text, "#EXT-X-MEDIA-SEQUENCE:", broken);
    boolean ended = lines.contains("#EXT-X-ENDLIST");
    boolean mapSeen = false;
    List<double[]> parts = new ArrayList<>(); // duration, independent (1/0)
    int lastPartLine = -1;
    int hintLine = -1;
    int hints = 0;
    Set<String> reported = new TreeSet<>();
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i);
      if (line.startsWith("#EXT-X-MAP:")) {
        mapSeen = true;
      } else if (line.startsWith("#EXT-X-PART:")) {
        if (!mapSeen) {
          broken.add("a part before any EXT-X-MAP: " + line);
        }
        Map<String, String> a = attributes(line.substring("#EXT-X-PART:".length()));
        double d = parse(a.get("DURATION"), "part DURATION", broken);
        if (d > partTarget + 0.0015) {
          broken.add("part longer than the part target " + partTarget + ": " + line);
        }
        parts.add(new double[] {d, "YES".equals(a.get("INDEPENDENT")) ? 1 : 0});
        lastPartLine = i;
      } else if (line.startsWith("#EXTINF:")) {
        if (!mapSeen) {
          broken.add("a segment before any EXT-X-MAP: " + line);
        }
        double d = Double.parseDouble(line.substring(8, line.indexOf(',')));
        if (Math.round(d) > target) {
          broken.add("segment longer than the target duration " + target + ": " + line);
        }
        checkParts(parts, d, partTarget, broken, line);
        parts.clear();
      } else if (line.startsWith("#EXT-X-PRELOAD-HINT:")) {
        hints++;
        hintLine = i;
        if (!"PART".equals(attributes(line.substring(20)).get("TYPE"))) {
          broken.add("preload hint not of TYPE=PART: " + line);
        }
      } else if (line.startsWith("#EXT-X-RENDITION-REPORT:")) {
        Map<String, String> a = attributes(line.substring(24));
        if (!a.containsKey("LAST-MSN")) {
          broken.add("rendition report without LAST-MSN: " + line);
        }
        String uri = a.getOrDefault("URI", "\"\"").replace("\"", "");
        String[] path = uri.split("/");
        if (path.length >= 2) {
          reported.add(path[path.length - 2]);
        }
      }
    }
    // the open segment's parts: all but the newest must keep the 85 % rule
    for (int i = 0; i + 1 < parts.size(); i++) {
      if (parts.get(i)[1] == 0 && parts.get(i)[0] < 0.85 * partTarget - 0.0005) {
        broken.add(
            "an open segment's part shorter than 85 % of the part target: " + parts.get(i)[0]);
      }
    }
    if (!ended && hints != 1) {
      broken.add(hints + " preload hints in a live playlist");
    }
    if (!ended && hints == 1 && hintLine < lastPartLine) {
      broken.add("the preload hint comes before the last part");
    }
    if (!ended && !reported.equals(new TreeSet<>(siblings))) {
      broken.add("rendition reports name " + reported + ", the siblings are " + siblings);
    }
    return broken;
  }

  private static void checkParts(
      List<double[]> parts, double segment, double partTarget, List<String> broken, String line) {
    if (parts.isEmpty()) {
      return;
    }
    double sum = 0;
    for (int i = 0; i < parts.size(); i++) {
      sum += parts.get(i)[0];
      boolean last = i == parts.size() - 1;
      if (!last && parts.get(i)[1] == 0 && parts.get(i)[0] < 0.85 * partTarget - 0.0005) {
        broken.add("a part shorter than 85 % of the part target: " + parts.get(i)[0]);
      }
    }
    if (Math.abs(sum - segment) > 0.002 * parts.size()) {
      broken.add("parts add up to " + sum + " but the segment lasts " + segment + ": " + line);
    }
  }

  private static String tag(List<String> lines, String prefix) {
    for (String line : lines) {
      if (line.startsWith(prefix)) {
        return line.substring(prefix.length());
      }
    }
    return "";
  }

  private static Map<String, String> attributes(String list) {
    Map<String, String> a = new HashMap<>();
    Matcher m = ATTRIBUTE.matcher(list);
    while (m.find()) {
      a.put(m.group(1), m.group(2));
    }
    return a;
  }

  private static double number(String text, String prefix, List<String> broken) {
    for (String line : text.lines().toList()) {
      if (line.startsWith(prefix)) {
        return parse(line.substring(prefix.length()), prefix, broken);
      }
    }
    broken.add("no " + prefix);
    return Double.NaN;
  }

  private static double parse(String value, String what, List<String> broken) {
    try {
      return Double.parseDouble(value);
    } catch (NullPointerException | NumberFormatException e) {
      broken.add(what + " missing or not a number: " + value);
      return Double.NaN;
    }
  }
}

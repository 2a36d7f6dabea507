package com.nrsgirls.streaming.rtmp;

import com.nrsgirls.streaming.rtmp.amf.AmfEcmaArray;
import java.util.Map;

/**
 * What an encoder says about its stream in {@code onMetaData} (Adobe FLV spec v10.1, E.5). Only
 * informative: the codec configuration records are what the platform trusts. Absent or unparseable
 * numbers are 0.
 *
 * @param videoDataRate kilobits per second
 * @param audioDataRate kilobits per second
 * @param encoder the encoder's name, cut to 64 printable characters so it is safe to log
 */
public record StreamMetadata(
    int width,
    int height,
    double frameRate,
    double videoDataRate,
    double audioDataRate,
    String encoder) {

  private static final int MAX_ENCODER_LENGTH = 64;

  /** Reads the properties from an {@code onMetaData} object or ECMA array; null otherwise. */
  public static StreamMetadata from(Object value) {
    Map<?, ?> properties;
    if (value instanceof AmfEcmaArray array) {
      properties = array.entries();
    } else if (value instanceof Map<?, ?> map) {
      properties = map;
    } else {
      return null;
    }
    return new StreamMetadata(
        (int) number(properties.get("width")),
        (int) number(properties.get("height")),
        number(properties.get("framerate")),
        number(properties.get("videodatarate")),
        number(properties.get("audiodatarate")),
        printable(properties.get("encoder")));
  }

  private static double number(Object value) {
    double d = 0;
    if (value instanceof Number n) {
      d = n.doubleValue();
    } else if (value instanceof String s) {
      try {
        d = Double.parseDouble(s.trim());
      } catch (NumberFormatException e) {
        d = 0;
      }
    }
    return Double.isFinite(d) && d > 0 && d < 1e9 ? d : 0;
  }

  private static String printable(Object value) {
    if (!(value instanceof String s)) {
      return "";
    }
    StringBuilder b = new StringBuilder(Math.min(s.length(), MAX_ENCODER_LENGTH));
    for (int i = 0; i < s.length() && b.length() < MAX_ENCODER_LENGTH; i++) {
      char c = s.charAt(i);
      b.append(c >= 0x20 && c < 0x7F ? c : '?');
    }
    return b.toString();
  }
}

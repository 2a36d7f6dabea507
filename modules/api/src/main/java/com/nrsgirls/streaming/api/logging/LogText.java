package com.nrsgirls.streaming.api.logging;

/**
 * Makes text safe for a one-line-per-event log: control characters (C0, DEL, C1, and the Unicode
 * line and paragraph separators) become visible escapes, so a value a client sent can neither start
 * a forged log line nor put raw NUL or terminal escape bytes into the log.
 */
public final class LogText {
  private LogText() {}

  /** {@code text} with every control character escaped ({@code \n}, {@code \u0000}, ...). */
  public static String escape(String text) {
    int i = 0;
    while (i < text.length() && !needsEscape(text.charAt(i))) {
      i++;
    }
    if (i == text.length()) {
      return text; // the usual case: nothing to copy
    }
    StringBuilder out = new StringBuilder(text.length() + 16).append(text, 0, i);
    for (; i < text.length(); i++) {
      char c = text.charAt(i);
      if (!needsEscape(c)) {
        out.append(c);
        continue;
      }
      switch (c) {
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\t' -> out.append("\\t");
        default -> out.append(String.format("\\u%04x", (int) c));
      }
    }
    return out.toString();
  }

  static boolean needsEscape(char c) {
    return c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == '\u2028' || c == '\u2029';
  }
}

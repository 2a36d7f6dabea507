package com.nrsgirls.streaming.api.logging;

import ch.qos.logback.classic.pattern.ThrowableProxyConverter;
import ch.qos.logback.classic.spi.ILoggingEvent;

/**
 * Logback's {@code %ex} for a log read line by line: a stack trace keeps its lines, but each of
 * them starts with a tab (frames already do; the exception and "Caused by" lines get one), and the
 * other control characters in exception messages are escaped. A message with a line break in it
 * thus continues indented under its event instead of passing for an event of its own.
 */
public final class IndentedThrowableConverter extends ThrowableProxyConverter {
  @Override
  public String convert(ILoggingEvent event) {
    String trace = super.convert(event);
    if (trace.isEmpty()) {
      return trace;
    }
    StringBuilder out = new StringBuilder(trace.length() + 64);
    for (String line : trace.split("\r\n|\r|\n|\u2028|\u2029", -1)) {
      if (line.isEmpty()) {
        continue;
      }
      int indent = 0;
      while (indent < line.length() && line.charAt(indent) == '\t') {
        indent++;
      }
      out.append(indent == 0 ? "\t" : line.substring(0, indent))
          .append(LogText.escape(line.substring(indent)))
          .append(System.lineSeparator());
    }
    return out.toString();
  }
}

package com.nrsgirls.streaming.api.logging;

import static org.junit.jupiter.api.Assertions.*;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import ch.qos.logback.classic.util.LogbackMDCAdapter;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;

/**
 * The node's own logback.xml (not the tests'): whatever a logged value or an exception message
 * holds, every line of the log is either one event (starting with its timestamp) or indented under
 * one, and no raw control character reaches it.
 */
class NodeLogLayoutTest {
  private static final String FORGED = "2026-11-30T03:00:00.000Z ERROR c.n.s.api.NrsNode - forged";

  /** Runs {@code logging} against the node's configuration; returns what it wrote to stdout. */
  private static String nodeLog(java.util.function.Consumer<Logger> logging) throws Exception {
    PrintStream original = System.out;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    LoggerContext context = new LoggerContext();
    context.setMDCAdapter(new LogbackMDCAdapter());
    try {
      System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
      JoranConfigurator configurator = new JoranConfigurator();
      configurator.setContext(context);
      configurator.doConfigure(NodeLogLayoutTest.class.getResource("/logback.xml"));
      logging.accept(context.getLogger("com.nrsgirls.streaming.test"));
    } finally {
      context.stop();
      System.setOut(original);
    }
    return captured.toString(StandardCharsets.UTF_8);
  }

  private static void assertOneEventPerUnindentedLine(String log, int events) {
    List<String> lines = log.lines().toList();
    long starts = lines.stream().filter(l -> l.matches("^\\d{4}-\\d\\d-\\d\\dT.*")).count();
    assertEquals(events, starts, log);
    for (String line : lines) {
      assertTrue(
          line.matches("^\\d{4}-\\d\\d-\\d\\dT.*") || line.startsWith("\t"),
          "a line that is neither an event nor indented under one: " + line);
      for (char c : line.toCharArray()) {
        assertFalse(c < 0x20 && c != '\t' || c == 0x7f, "raw control character in: " + line);
      }
    }
  }

  @Test
  void controlCharactersInAValueAreEscaped() throws Exception {
    String log =
        nodeLog(
            logger ->
                logger.info(
                    "stream={} created for creator={}",
                    "s1",
                    "dj\n" + FORGED + "\r\u0000\u001b[31m\u2028\u0085"));
    assertOneEventPerUnindentedLine(log, 1);
    assertTrue(log.contains("creator=dj\\n2026-11-30T03:00:00.000Z ERROR"), log);
    assertTrue(log.contains("\\r\\u0000\\u001b[31m\\u2028\\u0085"), log);
  }

  @Test
  void anExceptionMessageCannotStartAnEventOfItsOwn() throws Exception {
    String log =
        nodeLog(
            logger ->
                logger.warn(
                    "HTTP request failed",
                    new IllegalStateException(
                        "outer\n" + FORGED, new IllegalArgumentException("inner\r\n" + FORGED))));
    assertOneEventPerUnindentedLine(log, 1);
    assertTrue(log.contains("\tjava.lang.IllegalStateException: outer"), log);
    assertTrue(log.contains("\tCaused by: java.lang.IllegalArgumentException: inner"), log);
    assertTrue(log.contains("\tat com.nrsgirls."), "frames stay as they are: " + log);
  }

  @Test
  void plainTextIsUnchanged() {
    assertEquals(
        "stream=abc live from 10.0.0.7:5000 — ok",
        LogText.escape("stream=abc live from 10.0.0.7:5000 — ok"));
    assertEquals("a\\tb", LogText.escape("a\tb"));
  }
}

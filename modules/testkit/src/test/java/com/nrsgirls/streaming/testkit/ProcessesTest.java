package com.nrsgirls.streaming.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class ProcessesTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(30);

  @Test
  void keepsTheExitCodeAndBothOutputsApart() throws Exception {
    Processes.Result r =
        Processes.run(List.of("sh", "-c", "echo out; echo err >&2; exit 3"), TIMEOUT);
    assertEquals(new Processes.Result(3, "out\n", "err\n"), r);
  }

  /** More than a pipe holds on both outputs: read one after the other, the process would block. */
  @Test
  void readsBothOutputsWhileTheProcessRuns() throws Exception {
    Processes.Result r =
        Processes.run(
            List.of(
                "sh",
                "-c",
                "head -c 1000000 /dev/zero | tr '\\0' o; head -c 1000000 /dev/zero | tr '\\0' e >&2"),
            TIMEOUT);
    assertEquals(0, r.exitCode());
    assertEquals("o".repeat(1_000_000), r.stdout());
    assertEquals("e".repeat(1_000_000), r.stderr());
  }

  @Test
  void killsAProcessThatRunsTooLong() {
    long start = System.nanoTime();
    AssertionError e =
        assertThrows(
            AssertionError.class,
            () -> Processes.run(List.of("sleep", "60"), Duration.ofMillis(300)));
    assertTrue(e.getMessage().contains("killed: sleep 60"), e.getMessage());
    assertTrue(System.nanoTime() - start < Duration.ofSeconds(10).toNanos(), "did not wait for it");
  }
}

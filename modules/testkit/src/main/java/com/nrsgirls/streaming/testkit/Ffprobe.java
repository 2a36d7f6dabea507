package com.nrsgirls.streaming.testkit;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** The ffprobe CLI, to read what the node wrote the way a player would. */
public final class Ffprobe {
  private static final Duration TIMEOUT = Duration.ofSeconds(120);

  private Ffprobe() {}

  /**
   * Runs {@code ffprobe -v error <options> <input>}; {@code input} is a file or URL, the options
   * say what to show and how ({@code "-show_entries", "packet=dts", "-of", "csv=p=0"}).
   */
  public static Processes.Result run(String input, String... options)
      throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of("ffprobe", "-v", "error"));
    command.addAll(List.of(options));
    command.add(input);
    return Processes.run(command, TIMEOUT);
  }
}

package com.nrsgirls.streaming.api;

import java.io.Console;
import java.util.concurrent.CompletionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** {@code bin/nrs-streaming}: starts one node and runs until the JVM is told to stop. */
public final class Main {
  private static final Logger log = LoggerFactory.getLogger(Main.class);

  private Main() {}

  public static void main(String[] args) {
    NrsNode node;
    try {
      node = NrsNode.start(NodeConfig.load()).toCompletableFuture().join();
    } catch (CompletionException | IllegalArgumentException e) {
      Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
      System.err.println("nrs-streaming: the node could not start: " + cause);
      System.exit(1);
      return;
    }
    AdminToken token = node.adminToken();
    if (token.generated()) {
      String where = token.file().map(Object::toString).orElse("the data directory");
      // Standard output is the log wherever a supervisor or a pipe collects it: the token goes to
      // the terminal only, when the node was started from one.
      Console console = terminal();
      if (console != null) {
        console.printf(
            "Operator API token (generated now, kept in %s): %s%n", where, token.reveal());
        console.flush();
      }
      log.info(
          "Operator API token generated and kept in {} (owner-only); it is never logged", where);
    }
    node.system().getWhenTerminated().toCompletableFuture().join();
  }

  /**
   * The console when standard input and output are a terminal, else null. Up to Java 21 {@code
   * System.console()} is null when either is redirected; from Java 22 it may return a console
   * anyway, and {@code Console.isTerminal()} tells.
   */
  private static Console terminal() {
    Console console = System.console();
    if (console == null) {
      return null;
    }
    try {
      Object terminal = Console.class.getMethod("isTerminal").invoke(console);
      return Boolean.TRUE.equals(terminal) ? console : null;
    } catch (NoSuchMethodException beforeJava22) {
      return console;
    } catch (ReflectiveOperationException e) {
      return null;
    }
  }
}

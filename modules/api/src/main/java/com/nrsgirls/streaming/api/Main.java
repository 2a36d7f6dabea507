package com.nrsgirls.streaming.api;

import java.util.concurrent.CompletionException;

/** {@code bin/nrs-streaming}: starts one node and runs until the JVM is told to stop. */
public final class Main {
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
      // Printed once, to the terminal only (never to the log): the operator's first credential.
      System.out.println(
          "Operator API token (generated now, kept in "
              + token.file().map(Object::toString).orElse("the data directory")
              + "): "
              + token.reveal());
    }
    node.system().getWhenTerminated().toCompletableFuture().join();
  }
}

package com.nrsgirls.streaming.pipeline.graph;

/** Hears how the node's sessions and their outputs are doing, e.g. for metrics. */
public interface OutputListener {
  OutputListener NONE = new OutputListener() {};

  /**
   * An output of a session went from state {@code from} to {@code to} (see {@link
   * com.nrsgirls.streaming.core.stream.OutputStatus}); {@code from} is null when it was attached,
   * {@code to} null when it ended. Called on the session's stream thread.
   */
  default void outputStateChanged(String output, String from, String to) {}

  /**
   * An output fell behind and dropped {@code packets} (to its next keyframe). Called on the
   * session's stream thread, once per offer that dropped.
   */
  default void outputDropped(String output, int packets) {}

  /** A session's health snapshot, as its entity gets it (about once a second). */
  default void health(
      String streamId, String sessionId, com.nrsgirls.streaming.core.stream.HealthStats stats) {}

  /** A session's graph closed: it reports no more health. */
  default void sessionClosed(String streamId, String sessionId) {}
}

package com.nrsgirls.streaming.pipeline.restream;

/**
 * A push to a restream target failed; the message says why in words an operator can act on (it
 * shows as the target's {@code lastError}) and never holds the target's stream key.
 */
public final class RestreamException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public RestreamException(String message) {
    super(message);
  }

  public RestreamException(String message, Throwable cause) {
    super(message, cause);
  }
}

package com.nrsgirls.streaming.pipeline.store;

/** An object store call that failed: what was asked, of which store, and why. */
public final class StoreException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public StoreException(String message, Throwable cause) {
    super(message, cause);
  }
}

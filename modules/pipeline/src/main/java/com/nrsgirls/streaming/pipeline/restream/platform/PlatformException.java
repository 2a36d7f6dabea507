package com.nrsgirls.streaming.pipeline.restream.platform;

import java.time.Duration;

/**
 * A platform's API refused or failed a call. {@link #kind()} says what an operator (or a retry) can
 * do about it; the message is the platform's own words, without tokens or keys.
 */
public final class PlatformException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** What went wrong, as far as what to do next goes. */
  public enum Kind {
    /**
     * The access token is invalid, expired or lacks a scope: the creator links the account again.
     */
    UNAUTHORIZED,
    /** Too many calls: try again after {@link #retryAfter()}. */
    RATE_LIMITED,
    /** The day's quota is spent (YouTube): try again tomorrow. */
    QUOTA_EXCEEDED,
    /** The platform refused what was asked (live streaming not enabled, a bad field). */
    REFUSED,
    /** The platform failed or could not be reached: try again later. */
    UNAVAILABLE
  }

  private final Kind kind;
  private final transient Duration retryAfter;

  public PlatformException(Kind kind, String message, Duration retryAfter) {
    super(message);
    this.kind = kind;
    this.retryAfter = retryAfter;
  }

  public Kind kind() {
    return kind;
  }

  /** How long to wait before the next call, when the platform said; null otherwise. */
  public Duration retryAfter() {
    return retryAfter;
  }
}

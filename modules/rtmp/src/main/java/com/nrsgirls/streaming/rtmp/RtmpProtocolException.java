package com.nrsgirls.streaming.rtmp;

/**
 * A peer broke the RTMP protocol (or one of our limits). It carries a short machine-readable {@link
 * #reason()}, such as {@code bad-handshake} or {@code message-too-long}, that log lines and the
 * protocol error metric use as a label; the message says what exactly was wrong. The connection
 * that raised it is closed, nothing else.
 */
public final class RtmpProtocolException extends Exception {
  private static final long serialVersionUID = 1L;

  private final String reason;

  public RtmpProtocolException(String reason, String message) {
    super(message);
    this.reason = reason;
  }

  public RtmpProtocolException(String reason, String message, Throwable cause) {
    super(message, cause);
    this.reason = reason;
  }

  /** Kebab-case label, one of a small fixed set, safe to use as a metric tag. */
  public String reason() {
    return reason;
  }

  @Override
  public String toString() {
    return "RtmpProtocolException[" + reason + "]: " + getMessage();
  }
}

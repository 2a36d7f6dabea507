package com.nrsgirls.streaming.webrtc.stun;

/** A datagram that is not a well-formed STUN message; the message says what is wrong. */
public final class StunException extends Exception {
  public StunException(String message) {
    super(message, null, false, false);
  }
}

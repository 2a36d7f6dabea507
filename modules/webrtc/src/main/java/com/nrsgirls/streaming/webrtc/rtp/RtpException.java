package com.nrsgirls.streaming.webrtc.rtp;

/** A malformed RTP packet or payload; the message says what is wrong. */
public final class RtpException extends Exception {
  public RtpException(String message) {
    super(message, null, false, false);
  }
}

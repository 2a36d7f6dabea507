package com.nrsgirls.streaming.webrtc.sdp;

/** An SDP offer that cannot be read or answered; the message says why, never echoing the SDP. */
public final class SdpException extends Exception {
  public SdpException(String message) {
    super(message, null, false, false);
  }
}

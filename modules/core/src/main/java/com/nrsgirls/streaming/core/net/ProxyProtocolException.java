package com.nrsgirls.streaming.core.net;

/** Bytes that are not a valid PROXY protocol header; the message is safe to log. */
public final class ProxyProtocolException extends RuntimeException {
  public ProxyProtocolException(String message) {
    super(message, null, false, false);
  }
}

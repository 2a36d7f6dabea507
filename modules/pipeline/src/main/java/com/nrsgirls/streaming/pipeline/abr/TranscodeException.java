package com.nrsgirls.streaming.pipeline.abr;

/** A codec of the ladder failed; the message says which and FFmpeg's reason. */
public final class TranscodeException extends Exception {
  public TranscodeException(String message) {
    super(message);
  }
}

package com.nrsgirls.streaming.core.media;

/** A media payload or codec configuration record that does not follow its specification. */
public final class MediaFormatException extends Exception {
  private static final long serialVersionUID = 1L;

  public MediaFormatException(String message) {
    super(message);
  }
}

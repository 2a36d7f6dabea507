package com.nrsgirls.streaming.pipeline.hls;

/** A playlist text that is not an HLS media playlist this package can continue (RFC 8216 §4). */
public final class PlaylistFormatException extends Exception {
  private static final long serialVersionUID = 1L;

  public PlaylistFormatException(String message) {
    super(message);
  }
}

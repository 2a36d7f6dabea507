package com.nrsgirls.streaming.core.stream;

/** Why a stream refused a publish. Ingest answers every one with NetStream.Publish.BadName. */
public enum PublishRejection {
  /** No stream was created under the key's stream id. */
  UNKNOWN_STREAM,
  /** The key does not match the stream's current key. */
  WRONG_KEY,
  /** The stream's key is past its expiry. */
  KEY_EXPIRED,
  /** The stream's key was revoked and no new one issued. */
  KEY_REVOKED,
  /** The stream could not start its media graph. */
  UNAVAILABLE
}

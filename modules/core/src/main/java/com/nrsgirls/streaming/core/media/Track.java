package com.nrsgirls.streaming.core.media;

/** The elementary stream a {@link MediaPacket} belongs to. */
public enum Track {
  VIDEO,
  AUDIO
}

package com.nrsgirls.streaming.pipeline.abr;

import com.nrsgirls.streaming.core.stream.LadderRung;

/** A rung planned for one source: the picture size it is encoded at. */
public record RungSize(LadderRung rung, int width, int height) {
  public String name() {
    return rung.name();
  }

  /** libx264's target, in bits per second. */
  public int videoBitrate() {
    return rung.videoKbps() * 1000;
  }

  /** The AAC encoder's target, in bits per second. */
  public int audioBitrate() {
    return rung.audioKbps() * 1000;
  }
}

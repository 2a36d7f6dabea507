package com.nrsgirls.streaming.pipeline.abr;

/** A rung planned for one source: the picture size it is encoded at. */
public record RungSize(Rung rung, int width, int height) {
  public String name() {
    return rung.name();
  }
}

package com.nrsgirls.streaming.pipeline.hls;

import java.util.Objects;

/**
 * What a master playlist says about one rendition (one {@code EXT-X-STREAM-INF}, RFC 8216
 * §4.3.4.2).
 *
 * @param rendition the rendition's name, also its directory: {@code source}, {@code 720p}, ...
 * @param bandwidth {@code BANDWIDTH}: peak segment bit rate in bits per second
 * @param averageBandwidth {@code AVERAGE-BANDWIDTH} in bits per second, or 0 to leave it out
 * @param width picture width, or 0 for an audio-only rendition ({@code RESOLUTION} left out)
 * @param height picture height, or 0 for an audio-only rendition
 * @param codecs {@code CODECS}, RFC 6381 strings joined by commas, e.g. {@code
 *     avc1.64001f,mp4a.40.2}
 * @param frameRate {@code FRAME-RATE}, or 0 to leave it out
 */
public record RenditionInfo(
    String rendition,
    long bandwidth,
    long averageBandwidth,
    int width,
    int height,
    String codecs,
    double frameRate) {

  public RenditionInfo {
    Objects.requireNonNull(rendition, "rendition");
    Objects.requireNonNull(codecs, "codecs");
    if (bandwidth <= 0) {
      throw new IllegalArgumentException("bandwidth must be positive: " + bandwidth);
    }
    if (averageBandwidth < 0 || width < 0 || height < 0 || frameRate < 0) {
      throw new IllegalArgumentException("negative rendition attribute");
    }
    if (codecs.indexOf('"') >= 0) {
      throw new IllegalArgumentException("codecs must not contain quotes: " + codecs);
    }
  }

  /** The media playlist's URI relative to the master playlist. */
  public String uri() {
    return rendition + "/index.m3u8";
  }
}

package com.nrsgirls.streaming.pipeline.abr;

import java.util.Objects;

/**
 * One rung of an ABR ladder as configured: a rendition name, the picture height it is scaled to,
 * and the bit rates it is encoded at.
 *
 * @param name the rendition's name in URLs and the master playlist, e.g. {@code 720p}
 * @param height picture height in pixels; the width follows the source's aspect ratio
 * @param videoBitrate target video bit rate in bits per second
 * @param audioBitrate AAC bit rate in bits per second
 */
public record Rung(String name, int height, int videoBitrate, int audioBitrate) {
  public Rung {
    Objects.requireNonNull(name, "name");
    if (!name.matches("[a-z0-9]{1,16}") || name.equals("source")) {
      throw new IllegalArgumentException(
          "rung name must be 1 to 16 of a-z and 0-9, and not 'source': " + name);
    }
    if (height < 64 || height > 4320) {
      throw new IllegalArgumentException("rung " + name + ": height must be 64 to 4320");
    }
    if (videoBitrate < 50_000 || videoBitrate > 50_000_000) {
      throw new IllegalArgumentException(
          "rung " + name + ": video bit rate must be 50 kbit/s to 50 Mbit/s");
    }
    if (audioBitrate < 16_000 || audioBitrate > 512_000) {
      throw new IllegalArgumentException(
          "rung " + name + ": audio bit rate must be 16 to 512 kbit/s");
    }
  }
}

package com.nrsgirls.streaming.core.stream;

import com.nrsgirls.streaming.core.CborSerializable;
import java.util.Objects;

/**
 * One rung of a stream's own ABR ladder, as the operator API sets it.
 *
 * @param name the rendition's name in URLs and the master playlist: 1 to 16 of {@code a-z0-9}, not
 *     {@code source}
 * @param height picture height in pixels, 64 to 4320; the width keeps the source's aspect ratio
 * @param videoKbps libx264's target bit rate, 50 to 50,000 kbit/s
 * @param audioKbps AAC bit rate, 16 to 512 kbit/s
 */
public record LadderRung(String name, int height, int videoKbps, int audioKbps)
    implements CborSerializable {
  public LadderRung {
    Objects.requireNonNull(name, "name");
    if (!name.matches("[a-z0-9]{1,16}") || name.equals("source")) {
      throw new IllegalArgumentException(
          "rung name must be 1 to 16 of a-z and 0-9, and not 'source': " + name);
    }
    if (height < 64 || height > 4320) {
      throw new IllegalArgumentException("rung " + name + ": height must be 64 to 4320");
    }
    if (videoKbps < 50 || videoKbps > 50_000) {
      throw new IllegalArgumentException("rung " + name + ": videoKbps must be 50 to 50000");
    }
    if (audioKbps < 16 || audioKbps > 512) {
      throw new IllegalArgumentException("rung " + name + ": audioKbps must be 16 to 512");
    }
  }
}

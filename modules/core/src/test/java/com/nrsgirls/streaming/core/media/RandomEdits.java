package com.nrsgirls.streaming.core.media;

import java.util.Arrays;
import java.util.Random;

/** Seeded random damage to real codec bytes, for the parsers' fuzz tests. */
final class RandomEdits {
  private RandomEdits() {}

  /** A copy with one to four edits: bit flips, byte overwrites, deletions, insertions, cuts. */
  static byte[] apply(byte[] original, Random random) {
    byte[] b = original.clone();
    int edits = 1 + random.nextInt(4);
    for (int e = 0; e < edits && b.length > 0; e++) {
      int at = random.nextInt(b.length);
      switch (random.nextInt(5)) {
        case 0 -> b[at] ^= (byte) (1 << random.nextInt(8));
        case 1 -> b[at] = (byte) random.nextInt(256);
        case 2 -> {
          byte[] shorter = new byte[b.length - 1];
          System.arraycopy(b, 0, shorter, 0, at);
          System.arraycopy(b, at + 1, shorter, at, b.length - at - 1);
          b = shorter;
        }
        case 3 -> {
          byte[] longer = new byte[b.length + 1];
          System.arraycopy(b, 0, longer, 0, at);
          longer[at] = (byte) random.nextInt(256);
          System.arraycopy(b, at, longer, at + 1, b.length - at);
          b = longer;
        }
        default -> b = Arrays.copyOf(b, at);
      }
    }
    return b;
  }
}

package com.nrsgirls.streaming.testkit;

import java.io.ByteArrayOutputStream;
import java.lang.management.ManagementFactory;
import java.util.Arrays;
import java.util.Random;

/** Seeded mutations of valid input, and an allocation meter, for the fuzz tests. */
public final class Mutator {
  private Mutator() {}

  /** One to eight random edits: flipped bits, random bytes, insertions, deletions, repeats. */
  public static byte[] mutate(byte[] valid, Random random) {
    byte[] b = valid.clone();
    int edits = 1 + random.nextInt(8);
    for (int e = 0; e < edits && b.length > 0; e++) {
      int at = random.nextInt(b.length);
      switch (random.nextInt(7)) {
        case 0 -> b[at] ^= (byte) (1 << random.nextInt(8));
        case 1 -> b[at] = (byte) random.nextInt();
        case 2 -> b[at] = (byte) (random.nextBoolean() ? 0xFF : 0x00);
        case 3 -> {
          byte[] insert = new byte[1 + random.nextInt(16)];
          random.nextBytes(insert);
          b = splice(b, at, 0, insert);
        }
        case 4 -> b = splice(b, at, Math.min(b.length - at, 1 + random.nextInt(32)), new byte[0]);
        case 5 -> {
          int len = Math.min(b.length - at, 1 + random.nextInt(64));
          b = splice(b, at, 0, Arrays.copyOfRange(b, at, at + len));
        }
        default -> b = Arrays.copyOf(b, at);
      }
    }
    return b;
  }

  private static byte[] splice(byte[] b, int at, int remove, byte[] insert) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(b.length + insert.length);
    out.write(b, 0, at);
    out.write(insert, 0, insert.length);
    out.write(b, at + remove, b.length - at - remove);
    return out.toByteArray();
  }

  /** Bytes allocated by the current thread so far (HotSpot), or -1 where unsupported. */
  public static long allocatedBytes() {
    if (ManagementFactory.getThreadMXBean() instanceof com.sun.management.ThreadMXBean bean
        && bean.isThreadAllocatedMemorySupported()) {
      return bean.getThreadAllocatedBytes(Thread.currentThread().getId());
    }
    return -1;
  }
}

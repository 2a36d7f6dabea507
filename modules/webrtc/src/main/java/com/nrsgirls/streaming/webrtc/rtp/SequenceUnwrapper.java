package com.nrsgirls.streaming.webrtc.rtp;

/**
 * Extends 16-bit RTP sequence numbers to a 64-bit count that keeps rising across wraps: each number
 * is placed as the one nearest to the last (a packet up to half the space late is late, not new).
 */
public final class SequenceUnwrapper {
  private long last = -1;

  public long unwrap(int sequence) {
    if (last < 0) {
      last = sequence;
      return last;
    }
    int delta = (short) (sequence - (int) (last & 0xffff));
    long extended = last + delta;
    if (extended > last) {
      last = extended;
    }
    return extended;
  }
}

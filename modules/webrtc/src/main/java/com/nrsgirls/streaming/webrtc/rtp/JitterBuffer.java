package com.nrsgirls.streaming.webrtc.rtp;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Puts one source's RTP packets back in sequence order. A missing packet is asked for again (the
 * sequence numbers {@link #nacks} returns go out as NACKs, each at most {@code maxNacks} times,
 * {@code nackInterval} apart) and waited for at most {@code maxWait}; then it is given up, counted
 * lost, and what follows is released (the depacketizer marks its access unit damaged). Holds at
 * most {@code capacity} packets: a jump further ahead gives up what lies between. Time is passed
 * in, so the caller's clock (and tests) decide.
 */
public final class JitterBuffer {
  private final int capacity;
  private final long maxWaitNanos;
  private final long nackIntervalNanos;
  private final int maxNacks;
  private final SequenceUnwrapper sequences = new SequenceUnwrapper();
  private final TreeMap<Long, byte[]> held = new TreeMap<>();
  private final TreeMap<Long, long[]> missing = new TreeMap<>(); // seq -> {since, nacks, lastNack}

  private long next = Long.MIN_VALUE;
  private long highest = Long.MIN_VALUE;
  private long received;
  private long lost;
  private long duplicates;
  private long late;

  public JitterBuffer(int capacity, long maxWaitNanos, long nackIntervalNanos, int maxNacks) {
    this.capacity = capacity;
    this.maxWaitNanos = maxWaitNanos;
    this.nackIntervalNanos = nackIntervalNanos;
    this.maxNacks = maxNacks;
  }

  /** Takes a packet (the caller's copy) with its 16-bit sequence number. */
  public void push(long nowNanos, int sequence, byte[] packet) {
    long seq = sequences.unwrap(sequence);
    if (next == Long.MIN_VALUE) {
      next = seq;
      highest = seq - 1;
    }
    if (seq < next) {
      late++;
      return;
    }
    if (held.containsKey(seq)) {
      duplicates++;
      return;
    }
    received++;
    if (seq >= next + capacity) {
      // too far ahead to hold what lies between: give it up
      // (counted, not walked: a sequence jump of 32,767 costs what the held packets cost)
      long newNext = seq - capacity + 1;
      var given = held.headMap(newNext);
      lost += (newNext - next) - given.size();
      given.clear();
      missing.headMap(newNext).clear();
      next = newNext;
    }
    missing.remove(seq);
    for (long s = Math.max(highest + 1, next); s < seq; s++) {
      missing.put(s, new long[] {nowNanos, 0, 0});
    }
    highest = Math.max(highest, seq);
    held.put(seq, packet);
  }

  /** The packets now in order, oldest first; gives up missing packets waited for long enough. */
  public List<byte[]> poll(long nowNanos) {
    List<byte[]> out = new ArrayList<>();
    while (next != Long.MIN_VALUE && next <= highest) {
      byte[] p = held.remove(next);
      if (p != null) {
        out.add(p);
        next++;
        continue;
      }
      long[] m = missing.get(next);
      if (m != null && nowNanos - m[0] < maxWaitNanos) {
        break;
      }
      missing.remove(next);
      lost++;
      next++;
    }
    return out;
  }

  /** The 16-bit sequence numbers to ask for again now (ascending). */
  public List<Integer> nacks(long nowNanos) {
    List<Integer> out = new ArrayList<>();
    Iterator<Map.Entry<Long, long[]>> it = missing.entrySet().iterator();
    while (it.hasNext()) {
      Map.Entry<Long, long[]> e = it.next();
      long[] m = e.getValue();
      if (m[1] < maxNacks && (m[1] == 0 || nowNanos - m[2] >= nackIntervalNanos)) {
        m[1]++;
        m[2] = nowNanos;
        out.add((int) (e.getKey() & 0xffff));
      }
    }
    return out;
  }

  public long received() {
    return received;
  }

  public long lost() {
    return lost;
  }

  public long duplicates() {
    return duplicates;
  }

  /** Packets that came after they were given up (or released). */
  public long late() {
    return late;
  }

  /** Packets held now. */
  public int size() {
    return held.size();
  }
}

package com.nrsgirls.streaming.core.net;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;
import org.slf4j.Logger;

/**
 * The per-address limits of a server that faces the internet (RTMP ingest, HTTP): connections open
 * per address, failures counted per key (an address, or an address and a stream) within a window,
 * and refusals logged at most once per address per interval, with the count of those not logged. An
 * IPv6 client counts by its /64 ({@link #client}): one subscriber or host usually has a whole /64,
 * so counting single addresses would let it open or fail without limit. Thread-safe; once a map
 * tracks many keys, adding to it first forgets the expired ones (a scan), so memory is bounded by
 * what one window of failures can add.
 */
public final class AddressLimits {
  private static final int MAX_TRACKED = 10_000;

  private final String server;
  private final Logger log;
  private final int maxConnectionsPerAddress;
  private final long failureWindowNanos;
  private final long refusalLogIntervalNanos;
  private final LongSupplier nanoTime;
  private final ConcurrentHashMap<InetAddress, Integer> openPerAddress = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<Object, FailureWindow> failures = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<InetAddress, RefusalLog> refusals = new ConcurrentHashMap<>();
  private final AtomicInteger open = new AtomicInteger();

  /** Failures of one key since {@code startNanos}. */
  private record FailureWindow(long startNanos, int count) {}

  /** When an address's refusal was last logged, and how many were not logged since. */
  private record RefusalLog(long loggedNanos, int unlogged) {}

  /**
   * @param server what the log lines call a connection, e.g. "RTMP connection"
   * @param maxConnectionsPerAddress open connections allowed per address; 0 = no limit
   */
  public AddressLimits(
      String server,
      Logger log,
      int maxConnectionsPerAddress,
      Duration failureWindow,
      Duration refusalLogInterval) {
    this(
        server, log, maxConnectionsPerAddress, failureWindow, refusalLogInterval, System::nanoTime);
  }

  AddressLimits(
      String server,
      Logger log,
      int maxConnectionsPerAddress,
      Duration failureWindow,
      Duration refusalLogInterval,
      LongSupplier nanoTime) {
    this.server = server;
    this.log = log;
    this.maxConnectionsPerAddress = maxConnectionsPerAddress;
    this.failureWindowNanos = failureWindow.toNanos();
    this.refusalLogIntervalNanos = refusalLogInterval.toNanos();
    this.nanoTime = nanoTime;
  }

  /**
   * The key a peer's address is counted under: an IPv4 address itself, an IPv6 address's /64
   * network (an IPv4-mapped IPv6 address as its IPv4 address).
   */
  public static InetAddress client(InetAddress address) {
    if (!(address instanceof Inet6Address)) {
      return address;
    }
    byte[] bytes = address.getAddress();
    Arrays.fill(bytes, 8, 16, (byte) 0);
    try {
      return InetAddress.getByAddress(bytes);
    } catch (UnknownHostException e) {
      throw new IllegalStateException("16 bytes are an IPv6 address", e);
    }
  }

  /** Counts a new connection from {@code address}; false (not counted) when it has too many. */
  public boolean tryOpen(InetAddress peer) {
    InetAddress address = client(peer);
    boolean[] admitted = {false};
    openPerAddress.compute(
        address,
        (a, n) -> {
          int count = n == null ? 0 : n;
          if (maxConnectionsPerAddress > 0 && count >= maxConnectionsPerAddress) {
            return n;
          }
          admitted[0] = true;
          return count + 1;
        });
    if (admitted[0]) {
      open.incrementAndGet();
    }
    return admitted[0];
  }

  /** A connection counted by {@link #tryOpen} ended. */
  public void closed(InetAddress peer) {
    openPerAddress.computeIfPresent(client(peer), (a, n) -> n <= 1 ? null : n - 1);
    open.decrementAndGet();
  }

  /** Connections open right now, from all addresses. */
  public int open() {
    return open.get();
  }

  /**
   * Counts a failure of {@code key}: a {@link #client} address, or a record of one and more (build
   * it with {@link #client}, so that an IPv6 peer counts by its /64).
   */
  public void countFailure(Object key) {
    long now = nanoTime.getAsLong();
    if (failures.size() > MAX_TRACKED) {
      failures.values().removeIf(w -> expired(w, now));
    }
    failures.compute(
        key,
        (k, w) ->
            w == null || expired(w, now)
                ? new FailureWindow(now, 1)
                : new FailureWindow(w.startNanos(), w.count() + 1));
  }

  /** Whether {@code key} failed {@code max} times or more in its current window. */
  public boolean failuresReached(Object key, int max) {
    FailureWindow w = failures.get(key);
    if (w == null) {
      return false;
    }
    if (expired(w, nanoTime.getAsLong())) {
      failures.remove(key, w);
      return false;
    }
    return w.count() >= max;
  }

  private boolean expired(FailureWindow w, long now) {
    return now - w.startNanos() > failureWindowNanos;
  }

  /**
   * Logs that a connection or request from {@code address} was refused, unless one of the address's
   * refusals was logged less than the interval ago; those are counted into its next line.
   */
  public void logRefusal(InetAddress peer, String reason) {
    InetAddress address = client(peer);
    long now = nanoTime.getAsLong();
    if (refusals.size() > MAX_TRACKED) {
      refusals.values().removeIf(r -> now - r.loggedNanos() > refusalLogIntervalNanos);
    }
    int[] unlogged = {-1};
    refusals.compute(
        address,
        (a, r) -> {
          if (r != null && now - r.loggedNanos() <= refusalLogIntervalNanos) {
            return new RefusalLog(r.loggedNanos(), r.unlogged() + 1);
          }
          unlogged[0] = r == null ? 0 : r.unlogged();
          return new RefusalLog(now, 0);
        });
    if (unlogged[0] == 0) {
      log.warn(
          "{} from {} refused: {} (further refusals of the address are logged at most once per {}"
              + " s)",
          server,
          address.getHostAddress(),
          reason,
          refusalLogIntervalNanos / 1_000_000_000L);
    } else if (unlogged[0] > 0) {
      log.warn(
          "{} from {} refused: {} ({} more refused since the last line)",
          server,
          address.getHostAddress(),
          reason,
          unlogged[0]);
    }
  }
}

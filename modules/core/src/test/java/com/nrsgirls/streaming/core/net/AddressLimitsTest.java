package com.nrsgirls.streaming.core.net;

import static org.junit.jupiter.api.Assertions.*;

import java.net.InetAddress;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

class AddressLimitsTest {
  private final AtomicLong now = new AtomicLong();
  private final InetAddress a = InetAddress.getLoopbackAddress();

  private AddressLimits limits(int maxPerAddress) {
    return new AddressLimits(
        "test connection",
        LoggerFactory.getLogger(AddressLimitsTest.class),
        maxPerAddress,
        Duration.ofSeconds(60),
        Duration.ofSeconds(60),
        now::get);
  }

  @Test
  void countsOpenConnectionsPerAddress() {
    AddressLimits limits = limits(2);
    assertTrue(limits.tryOpen(a));
    assertTrue(limits.tryOpen(a));
    assertFalse(limits.tryOpen(a));
    assertEquals(2, limits.open());
    limits.closed(a);
    assertTrue(limits.tryOpen(a));
  }

  @Test
  void anIpv6ClientCountsByItsSlash64() throws Exception {
    AddressLimits limits = limits(2);
    assertTrue(limits.tryOpen(InetAddress.getByName("2001:db8:1:2::1")));
    assertTrue(limits.tryOpen(InetAddress.getByName("2001:db8:1:2:ffff::9")));
    assertFalse(limits.tryOpen(InetAddress.getByName("2001:db8:1:2:abcd::7")), "same /64");
    assertTrue(limits.tryOpen(InetAddress.getByName("2001:db8:1:3::1")), "another /64");
    limits.closed(InetAddress.getByName("2001:db8:1:2::42"));
    assertTrue(limits.tryOpen(InetAddress.getByName("2001:db8:1:2::5")));
    assertEquals(
        AddressLimits.client(InetAddress.getByName("2001:db8:1:2::1")),
        AddressLimits.client(InetAddress.getByName("2001:db8:1:2:9::9")));
    InetAddress v4 = InetAddress.getByName("192.0.2.7");
    assertEquals(v4, AddressLimits.client(v4));
  }

  @Test
  void zeroMeansNoConnectionLimit() {
    AddressLimits limits = limits(0);
    for (int i = 0; i < 1000; i++) {
      assertTrue(limits.tryOpen(a));
    }
    assertEquals(1000, limits.open());
  }

  @Test
  void failuresCountPerKeyWithinTheirWindow() {
    AddressLimits limits = limits(0);
    record Key(InetAddress address, String stream) {}
    limits.countFailure(new Key(a, "s1"));
    limits.countFailure(new Key(a, "s1"));
    limits.countFailure(a);
    assertTrue(limits.failuresReached(new Key(a, "s1"), 2));
    assertFalse(limits.failuresReached(new Key(a, "s2"), 1));
    assertFalse(limits.failuresReached(a, 2));

    now.addAndGet(Duration.ofSeconds(61).toNanos());
    assertFalse(limits.failuresReached(new Key(a, "s1"), 1), "the window is over");
    limits.countFailure(new Key(a, "s1"));
    assertTrue(limits.failuresReached(new Key(a, "s1"), 1));
    assertFalse(limits.failuresReached(new Key(a, "s1"), 2), "a new window counts from one");
  }
}

package com.nrsgirls.streaming.core.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ProxyHeaderTest {
  private static final byte[] SIG = {
    0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A
  };

  @Test
  void v1Tcp4GivesTheClientAndTheRestIsTheStream() throws Exception {
    byte[] bytes = concat(ascii("PROXY TCP4 203.0.113.7 10.0.0.2 51234 1935\r\n"), new byte[] {3});
    ProxyHeader.Parsed p = ProxyHeader.parse(ByteBuffer.wrap(bytes));
    assertEquals(new InetSocketAddress(InetAddress.getByName("203.0.113.7"), 51234), p.source());
    assertEquals(bytes.length - 1, p.length());
  }

  @Test
  void v1Tcp6AndUnknown() throws Exception {
    ProxyHeader.Parsed p =
        ProxyHeader.parse(
            ByteBuffer.wrap(ascii("PROXY TCP6 2001:db8::7 2001:db8::1 4000 1935\r\n")));
    assertEquals(new InetSocketAddress(InetAddress.getByName("2001:db8::7"), 4000), p.source());
    ProxyHeader.Parsed unknown =
        ProxyHeader.parse(ByteBuffer.wrap(ascii("PROXY UNKNOWN ffff::1 whatever\r\nrest")));
    assertNull(unknown.source());
    assertEquals("PROXY UNKNOWN ffff::1 whatever\r\n".length(), unknown.length());
  }

  @Test
  void v2ProxyInet4Inet6LocalAndTlvs() throws Exception {
    byte[] v4 =
        v2(
            0x21,
            0x11,
            new byte[] {(byte) 198, 51, 100, 9, 10, 0, 0, 1, 0x1F, 0x40, 0x07, (byte) 0x8F});
    ProxyHeader.Parsed p = ProxyHeader.parse(ByteBuffer.wrap(concat(v4, new byte[] {3, 0})));
    assertEquals(new InetSocketAddress(InetAddress.getByName("198.51.100.9"), 8000), p.source());
    assertEquals(28, p.length());

    byte[] addr6 = new byte[36 + 7]; // with a TLV after the addresses
    System.arraycopy(InetAddress.getByName("2001:db8::9").getAddress(), 0, addr6, 0, 16);
    addr6[32] = 0x12;
    addr6[33] = 0x34;
    addr6[36] = 0x04; // PP2_TYPE_NOOP
    addr6[38] = 4;
    ProxyHeader.Parsed p6 = ProxyHeader.parse(ByteBuffer.wrap(v2(0x21, 0x21, addr6)));
    assertEquals(new InetSocketAddress(InetAddress.getByName("2001:db8::9"), 0x1234), p6.source());
    assertEquals(16 + 43, p6.length());

    ProxyHeader.Parsed local = ProxyHeader.parse(ByteBuffer.wrap(v2(0x20, 0x00, new byte[0])));
    assertNull(local.source());
    assertEquals(16, local.length());
  }

  @Test
  void everyPrefixOfAValidHeaderAsksForMore() {
    byte[][] headers = {
      ascii("PROXY TCP4 203.0.113.7 10.0.0.2 51234 1935\r\n"), v2(0x21, 0x11, new byte[12]),
    };
    for (byte[] h : headers) {
      for (int n = 1; n < h.length; n++) {
        assertNull(ProxyHeader.parse(ByteBuffer.wrap(h, 0, n)), "prefix of " + n);
      }
      assertEquals(h.length, ProxyHeader.parse(ByteBuffer.wrap(h)).length());
    }
  }

  @Test
  void badHeadersAreRefusedWithAReason() {
    String[] bad = {
      "\u0003rtmp handshake",
      "GET / HTTP/1.1\r\n",
      "PROXY TCP4 999.0.0.1 10.0.0.2 1 2\r\n",
      "PROXY TCP4 example.com 10.0.0.2 1 2\r\n",
      "PROXY TCP6 abc def 1 2\r\n",
      "PROXY TCP4 1.2.3.4 10.0.0.2 70000 2\r\n",
      "PROXY TCP5 1.2.3.4 10.0.0.2 1 2\r\n",
      "PROXY TCP4 1.2.3.4  10.0.0.2 1 2\r\n",
      "PROXY " + "x".repeat(120),
    };
    for (String b : bad) {
      assertThrows(
          ProxyProtocolException.class, () -> ProxyHeader.parse(ByteBuffer.wrap(ascii(b))), b);
    }
    assertThrows(
        ProxyProtocolException.class,
        () -> ProxyHeader.parse(ByteBuffer.wrap(v2(0x31, 0x11, new byte[12]))));
    assertThrows(
        ProxyProtocolException.class,
        () -> ProxyHeader.parse(ByteBuffer.wrap(v2(0x22, 0x11, new byte[12]))));
    assertThrows(
        ProxyProtocolException.class,
        () -> ProxyHeader.parse(ByteBuffer.wrap(v2(0x21, 0x11, new byte[8]))));
    byte[] huge = v2(0x21, 0x11, new byte[12]);
    huge[14] = (byte) 0xFF;
    assertThrows(ProxyProtocolException.class, () -> ProxyHeader.parse(ByteBuffer.wrap(huge)));
  }

  @Test
  void leavesTheBufferAsItWas() {
    ByteBuffer b = ByteBuffer.wrap(ascii("xxPROXY UNKNOWN\r\n"));
    b.position(2);
    assertEquals(15, ProxyHeader.parse(b).length());
    assertEquals(2, b.position());
  }

  /** Random and mutated input: a header, a request for more, or the parser's own exception. */
  @Test
  void fuzz() {
    Random random = new Random(20261130);
    byte[][] seeds = {
      ascii("PROXY TCP4 203.0.113.7 10.0.0.2 51234 1935\r\n"),
      ascii("PROXY TCP6 2001:db8::7 2001:db8::1 4000 1935\r\n"),
      v2(0x21, 0x11, new byte[12]),
      v2(0x21, 0x21, new byte[36]),
    };
    for (int i = 0; i < 200_000; i++) {
      byte[] input;
      if (i % 2 == 0) {
        input = new byte[random.nextInt(130)];
        random.nextBytes(input);
        if (input.length > 0 && random.nextBoolean()) {
          input[0] = random.nextBoolean() ? (byte) 'P' : 0x0D;
        }
      } else {
        byte[] seed = seeds[random.nextInt(seeds.length)];
        input = Arrays.copyOf(seed, Math.max(0, seed.length + random.nextInt(8) - 4));
        for (int m = random.nextInt(4); m > 0 && input.length > 0; m--) {
          input[random.nextInt(input.length)] = (byte) random.nextInt(256);
        }
      }
      try {
        ProxyHeader.Parsed p = ProxyHeader.parse(ByteBuffer.wrap(input));
        if (p != null && (p.length() <= 0 || p.length() > input.length)) {
          throw new AssertionError("length " + p.length() + " of " + input.length + " bytes");
        }
      } catch (ProxyProtocolException expected) {
        // refused with a reason
      }
    }
  }

  private static byte[] v2(int versionCommand, int family, byte[] rest) {
    byte[] h = new byte[16 + rest.length];
    System.arraycopy(SIG, 0, h, 0, 12);
    h[12] = (byte) versionCommand;
    h[13] = (byte) family;
    h[14] = (byte) (rest.length >> 8);
    h[15] = (byte) rest.length;
    System.arraycopy(rest, 0, h, 16, rest.length);
    return h;
  }

  private static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.ISO_8859_1);
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] c = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, c, a.length, b.length);
    return c;
  }
}

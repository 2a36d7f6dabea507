package com.nrsgirls.streaming.core.net;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The PROXY protocol header a TCP load balancer (HAProxy {@code send-proxy} / {@code
 * send-proxy-v2}, AWS NLB, ...) puts before the client's bytes, versions 1 (text) and 2 (binary),
 * as specified in HAProxy's {@code proxy-protocol.txt}. Only what a server needs is read: the
 * client's address and port. {@code LOCAL} (v2, the balancer's own health check) and {@code
 * UNKNOWN} (v1) carry none; the connection's own address stands then. Version 2's TLVs are skipped.
 */
public final class ProxyHeader {
  /** Version 1's longest header, CRLF included. */
  public static final int V1_MAX = 107;

  /** The longest version 2 header accepted (16 bytes, then addresses and TLVs). */
  public static final int V2_MAX = 16 + 1024;

  private static final byte[] V2_SIGNATURE = {
    0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A
  };
  private static final byte[] V1_PREFIX = "PROXY ".getBytes(StandardCharsets.US_ASCII);
  private static final Pattern V1 =
      Pattern.compile(
          "PROXY (?:UNKNOWN(?: [ -~]*)?|(TCP4|TCP6) ([0-9a-fA-F.:]{2,45}) ([0-9a-fA-F.:]{2,45})"
              + " (\\d{1,5}) (\\d{1,5}))");
  private static final Pattern IPV4 =
      Pattern.compile("(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})");

  /**
   * A complete header.
   *
   * @param source the client's address and port; null when the header carries none (LOCAL, UNKNOWN,
   *     or a family other than IPv4 and IPv6)
   * @param length the header's length in bytes: what follows is the client's stream
   */
  public record Parsed(InetSocketAddress source, int length) {}

  private ProxyHeader() {}

  /**
   * Reads the header at the start of {@code bytes} (its position to its limit), leaving the buffer
   * as it was.
   *
   * @return the header, or null when {@code bytes} holds only a beginning of one
   * @throws ProxyProtocolException when they are not the start of a valid header
   */
  public static Parsed parse(ByteBuffer bytes) {
    ByteBuffer b = bytes.slice();
    if (b.remaining() == 0) {
      return null;
    }
    if (b.get(0) == V2_SIGNATURE[0]) {
      return parseV2(b);
    }
    if (b.get(0) == V1_PREFIX[0]) {
      return parseV1(b);
    }
    throw new ProxyProtocolException("the connection did not start with a PROXY header");
  }

  private static Parsed parseV1(ByteBuffer b) {
    int n = Math.min(b.remaining(), V1_MAX);
    for (int i = 0; i < Math.min(n, V1_PREFIX.length); i++) {
      if (b.get(i) != V1_PREFIX[i]) {
        throw new ProxyProtocolException("the connection did not start with a PROXY header");
      }
    }
    int end = -1;
    for (int i = 0; i + 1 < n; i++) {
      if (b.get(i) == '\r' && b.get(i + 1) == '\n') {
        end = i;
        break;
      }
    }
    if (end < 0) {
      if (b.remaining() >= V1_MAX) {
        throw new ProxyProtocolException("PROXY v1 header without CRLF in " + V1_MAX + " bytes");
      }
      return null;
    }
    byte[] line = new byte[end];
    b.get(0, line);
    Matcher m = V1.matcher(new String(line, StandardCharsets.US_ASCII));
    if (!m.matches()) {
      throw new ProxyProtocolException("malformed PROXY v1 header");
    }
    if (m.group(1) == null) {
      return new Parsed(null, end + 2);
    }
    boolean v4 = m.group(1).equals("TCP4");
    InetAddress source = v1Address(m.group(2), v4);
    v1Address(m.group(3), v4);
    int port = v1Port(m.group(4));
    v1Port(m.group(5));
    return new Parsed(new InetSocketAddress(source, port), end + 2);
  }

  private static InetAddress v1Address(String text, boolean v4) {
    try {
      if (v4) {
        Matcher m = IPV4.matcher(text);
        if (!m.matches()) {
          throw new ProxyProtocolException("PROXY v1: not an IPv4 address");
        }
        byte[] a = new byte[4];
        for (int i = 0; i < 4; i++) {
          int octet = Integer.parseInt(m.group(i + 1));
          if (octet > 255) {
            throw new ProxyProtocolException("PROXY v1: not an IPv4 address");
          }
          a[i] = (byte) octet;
        }
        return InetAddress.getByAddress(a);
      }
      // only hex digits, dots and colons reach here, and at least one colon: a literal, which
      // InetAddress parses without asking DNS
      if (text.indexOf(':') < 0) {
        throw new ProxyProtocolException("PROXY v1: not an IPv6 address");
      }
      InetAddress a = InetAddress.getByName(text);
      if (a.getAddress().length != 16) {
        throw new ProxyProtocolException("PROXY v1: not an IPv6 address");
      }
      return a;
    } catch (UnknownHostException | NumberFormatException e) {
      throw new ProxyProtocolException("PROXY v1: malformed address");
    }
  }

  private static int v1Port(String text) {
    int port = Integer.parseInt(text);
    if (port > 65535) {
      throw new ProxyProtocolException("PROXY v1: port out of range");
    }
    return port;
  }

  private static Parsed parseV2(ByteBuffer b) {
    int have = Math.min(b.remaining(), V2_SIGNATURE.length);
    for (int i = 0; i < have; i++) {
      if (b.get(i) != V2_SIGNATURE[i]) {
        throw new ProxyProtocolException("the connection did not start with a PROXY header");
      }
    }
    if (b.remaining() < 16) {
      return null;
    }
    int versionCommand = b.get(12) & 0xFF;
    if (versionCommand >> 4 != 2) {
      throw new ProxyProtocolException("PROXY v2: unknown version " + (versionCommand >> 4));
    }
    int command = versionCommand & 0x0F;
    if (command > 1) {
      throw new ProxyProtocolException("PROXY v2: unknown command " + command);
    }
    int familyTransport = b.get(13) & 0xFF;
    int length = b.getShort(14) & 0xFFFF;
    int total = 16 + length;
    if (total > V2_MAX) {
      throw new ProxyProtocolException("PROXY v2 header of " + total + " bytes is too long");
    }
    if (b.remaining() < total) {
      return null;
    }
    if (command == 0) { // LOCAL: the balancer speaking for itself
      return new Parsed(null, total);
    }
    int family = familyTransport >> 4;
    try {
      if (family == 1) { // AF_INET: source, destination, source port, destination port
        if (length < 12) {
          throw new ProxyProtocolException("PROXY v2: IPv4 addresses need 12 bytes");
        }
        byte[] a = new byte[4];
        b.get(16, a);
        return new Parsed(
            new InetSocketAddress(InetAddress.getByAddress(a), b.getShort(24) & 0xFFFF), total);
      }
      if (family == 2) { // AF_INET6
        if (length < 36) {
          throw new ProxyProtocolException("PROXY v2: IPv6 addresses need 36 bytes");
        }
        byte[] a = new byte[16];
        b.get(16, a);
        return new Parsed(
            new InetSocketAddress(InetAddress.getByAddress(a), b.getShort(48) & 0xFFFF), total);
      }
    } catch (UnknownHostException e) {
      throw new ProxyProtocolException("PROXY v2: malformed address"); // not for 4 or 16 bytes
    }
    return new Parsed(null, total); // UNSPEC or AF_UNIX: no address to use
  }
}

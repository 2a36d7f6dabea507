package com.nrsgirls.streaming.webrtc.stun;

import java.io.ByteArrayOutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.zip.CRC32;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * A STUN message (RFC 8489, formerly 5389) as ICE-lite needs it: parsed from a datagram with every
 * length checked, its MESSAGE-INTEGRITY (HMAC-SHA1 under the short-term password) and FINGERPRINT
 * (CRC-32) verified over the bytes they cover, and built with both.
 */
public final class StunMessage {
  public static final int MAGIC_COOKIE = 0x2112A442;
  public static final int HEADER = 20;

  public static final int BINDING_REQUEST = 0x0001;
  public static final int BINDING_SUCCESS = 0x0101;
  public static final int BINDING_ERROR = 0x0111;

  /** A binding indication: keepalives some agents send; needs no answer. */
  public static final int BINDING_INDICATION = 0x0011;

  public static final int USERNAME = 0x0006;
  public static final int MESSAGE_INTEGRITY = 0x0008;
  public static final int ERROR_CODE = 0x0009;
  public static final int XOR_MAPPED_ADDRESS = 0x0020;
  public static final int PRIORITY = 0x0024;
  public static final int USE_CANDIDATE = 0x0025;
  public static final int SOFTWARE = 0x8022;
  public static final int FINGERPRINT = 0x8028;
  public static final int ICE_CONTROLLED = 0x8029;
  public static final int ICE_CONTROLLING = 0x802A;

  private static final int FINGERPRINT_XOR = 0x5354554e;

  /** One attribute: its type and where its value lies in the message's bytes. */
  public record Attribute(int type, int offset, int length) {}

  private final byte[] data;
  private final int type;
  private final List<Attribute> attributes;

  private StunMessage(byte[] data, int type, List<Attribute> attributes) {
    this.data = data;
    this.type = type;
    this.attributes = attributes;
  }

  /**
   * Whether a datagram is STUN rather than DTLS or RTP, which share the port (RFC 7983: the first
   * byte is 0 to 3) and carries the magic cookie.
   */
  public static boolean isStun(byte[] b, int off, int len) {
    return len >= HEADER && (b[off] & 0xff) < 4 && readInt(b, off + 4) == MAGIC_COOKIE;
  }

  /** Parses a message; its bytes are copied. */
  public static StunMessage parse(byte[] b, int off, int len) throws StunException {
    if (len < HEADER) {
      throw new StunException("shorter than a STUN header: " + len + " bytes");
    }
    int type = readShort(b, off);
    if ((type & 0xc000) != 0) {
      throw new StunException("the first two bits of a STUN message must be 0");
    }
    int length = readShort(b, off + 2);
    if (readInt(b, off + 4) != MAGIC_COOKIE) {
      throw new StunException("no STUN magic cookie");
    }
    if ((length & 3) != 0) {
      throw new StunException("a STUN message length is a multiple of 4, not " + length);
    }
    if (HEADER + length != len) {
      throw new StunException(
          "the STUN header says "
              + length
              + " bytes of attributes, the datagram holds "
              + (len - HEADER));
    }
    byte[] data = Arrays.copyOfRange(b, off, off + len);
    List<Attribute> attributes = new ArrayList<>();
    int at = HEADER;
    while (at < len) {
      if (at + 4 > len) {
        throw new StunException("a STUN attribute header is cut off");
      }
      int attrType = readShort(data, at);
      int attrLength = readShort(data, at + 2);
      int padded = (attrLength + 3) & ~3;
      if (at + 4 + padded > len) {
        throw new StunException(
            "STUN attribute 0x" + Integer.toHexString(attrType) + " runs past the message");
      }
      attributes.add(new Attribute(attrType, at + 4, attrLength));
      at += 4 + padded;
      if (attributes.size() > 64) {
        throw new StunException("more than 64 STUN attributes");
      }
    }
    return new StunMessage(data, type, List.copyOf(attributes));
  }

  public int type() {
    return type;
  }

  public byte[] transactionId() {
    return Arrays.copyOfRange(data, 8, HEADER);
  }

  public List<Attribute> attributes() {
    return attributes;
  }

  /** The first attribute of a type, or null. */
  public Attribute attribute(int attrType) {
    for (Attribute a : attributes) {
      if (a.type() == attrType) {
        return a;
      }
    }
    return null;
  }

  public byte[] value(Attribute a) {
    return Arrays.copyOfRange(data, a.offset(), a.offset() + a.length());
  }

  /** USERNAME as text ({@code local:remote} ufrags in ICE), or null. */
  public String username() {
    Attribute a = attribute(USERNAME);
    return a == null ? null : new String(data, a.offset(), a.length(), StandardCharsets.UTF_8);
  }

  /** PRIORITY, or -1. */
  public long priority() {
    Attribute a = attribute(PRIORITY);
    return a == null || a.length() != 4 ? -1 : readInt(data, a.offset()) & 0xffffffffL;
  }

  public boolean has(int attrType) {
    return attribute(attrType) != null;
  }

  /**
   * Whether MESSAGE-INTEGRITY is present and right under {@code key}: HMAC-SHA1 over the message up
   * to the attribute, with the header's length as if the message ended right after it. Attributes
   * after it other than FINGERPRINT are ignored, as the RFC says.
   */
  public boolean integrityValid(byte[] key) {
    Attribute mi = attribute(MESSAGE_INTEGRITY);
    if (mi == null || mi.length() != 20) {
      return false;
    }
    int start = mi.offset() - 4;
    byte[] covered = Arrays.copyOf(data, start);
    writeShort(covered, 2, start + 24 - HEADER);
    return MessageDigest.isEqual(hmacSha1(key, covered, covered.length), value(mi));
  }

  /** Whether FINGERPRINT is present, last, and right. */
  public boolean fingerprintValid() {
    Attribute fp = attribute(FINGERPRINT);
    if (fp == null || fp.length() != 4 || fp.offset() + 4 != data.length) {
      return false;
    }
    return readInt(data, fp.offset()) == fingerprint(data, fp.offset() - 4);
  }

  // ---- building ------------------------------------------------------------------------------

  /** Builds a message attribute by attribute, then signs and fingerprints it. */
  public static final class Builder {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    public Builder(int type, byte[] transactionId) {
      if (transactionId.length != 12) {
        throw new IllegalArgumentException("a STUN transaction id is 12 bytes");
      }
      writeShort(out, type);
      writeShort(out, 0);
      writeInt(out, MAGIC_COOKIE);
      out.writeBytes(transactionId);
    }

    public Builder add(int attrType, byte[] value) {
      writeShort(out, attrType);
      writeShort(out, value.length);
      out.writeBytes(value);
      for (int i = value.length; (i & 3) != 0; i++) {
        out.write(0);
      }
      return this;
    }

    public Builder add(int attrType, String text) {
      return add(attrType, text.getBytes(StandardCharsets.UTF_8));
    }

    /** XOR-MAPPED-ADDRESS of {@code address} (IPv4 or IPv6). */
    public Builder xorMappedAddress(InetSocketAddress address, byte[] transactionId) {
      return add(XOR_MAPPED_ADDRESS, encodeXorAddress(address, transactionId));
    }

    /** ERROR-CODE {@code code} with its reason phrase. */
    public Builder error(int code, String reason) {
      byte[] phrase = reason.getBytes(StandardCharsets.UTF_8);
      byte[] v = new byte[4 + phrase.length];
      v[2] = (byte) (code / 100);
      v[3] = (byte) (code % 100);
      System.arraycopy(phrase, 0, v, 4, phrase.length);
      return add(ERROR_CODE, v);
    }

    /**
     * The message's bytes: with MESSAGE-INTEGRITY under {@code integrityKey} (null: none), then
     * FINGERPRINT if asked.
     */
    public byte[] build(byte[] integrityKey, boolean fingerprint) {
      byte[] m = out.toByteArray();
      if (integrityKey != null) {
        writeShort(m, 2, m.length + 24 - HEADER);
        byte[] mac = hmacSha1(integrityKey, m, m.length);
        byte[] withMi = Arrays.copyOf(m, m.length + 24);
        writeShort(withMi, m.length, MESSAGE_INTEGRITY);
        writeShort(withMi, m.length + 2, 20);
        System.arraycopy(mac, 0, withMi, m.length + 4, 20);
        m = withMi;
      }
      if (fingerprint) {
        writeShort(m, 2, m.length + 8 - HEADER);
        int crc = fingerprint(m, m.length);
        byte[] withFp = Arrays.copyOf(m, m.length + 8);
        writeShort(withFp, m.length, FINGERPRINT);
        writeShort(withFp, m.length + 2, 4);
        writeInt(withFp, m.length + 4, crc);
        m = withFp;
      }
      writeShort(m, 2, m.length - HEADER);
      return m;
    }
  }

  /** The value of XOR-MAPPED-ADDRESS for {@code address}. */
  public static byte[] encodeXorAddress(InetSocketAddress address, byte[] transactionId) {
    byte[] ip = address.getAddress().getAddress();
    byte[] v = new byte[4 + ip.length];
    v[1] = (byte) (ip.length == 4 ? 1 : 2);
    int port = address.getPort() ^ (MAGIC_COOKIE >>> 16);
    v[2] = (byte) (port >>> 8);
    v[3] = (byte) port;
    byte[] mask = xorMask(transactionId);
    for (int i = 0; i < ip.length; i++) {
      v[4 + i] = (byte) (ip[i] ^ mask[i]);
    }
    return v;
  }

  /** The address an XOR-MAPPED-ADDRESS value names. */
  public static InetSocketAddress decodeXorAddress(byte[] v, byte[] transactionId)
      throws StunException {
    if (v.length != 8 && v.length != 20) {
      throw new StunException("XOR-MAPPED-ADDRESS of " + v.length + " bytes");
    }
    int family = v[1];
    if ((family == 1 && v.length != 8)
        || (family == 2 && v.length != 20)
        || family < 1
        || family > 2) {
      throw new StunException(
          "XOR-MAPPED-ADDRESS family " + family + " with " + v.length + " bytes");
    }
    int port = (((v[2] & 0xff) << 8) | (v[3] & 0xff)) ^ (MAGIC_COOKIE >>> 16);
    byte[] mask = xorMask(transactionId);
    byte[] ip = new byte[v.length - 4];
    for (int i = 0; i < ip.length; i++) {
      ip[i] = (byte) (v[4 + i] ^ mask[i]);
    }
    try {
      return new InetSocketAddress(InetAddress.getByAddress(ip), port);
    } catch (UnknownHostException e) {
      throw new StunException("XOR-MAPPED-ADDRESS: " + e.getMessage());
    }
  }

  private static byte[] xorMask(byte[] transactionId) {
    byte[] mask = new byte[16];
    mask[0] = 0x21;
    mask[1] = 0x12;
    mask[2] = (byte) 0xa4;
    mask[3] = 0x42;
    System.arraycopy(transactionId, 0, mask, 4, 12);
    return mask;
  }

  static byte[] hmacSha1(byte[] key, byte[] data, int length) {
    try {
      Mac mac = Mac.getInstance("HmacSHA1");
      mac.init(new SecretKeySpec(key, "HmacSHA1"));
      mac.update(data, 0, length);
      return mac.doFinal();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  private static int fingerprint(byte[] data, int length) {
    CRC32 crc = new CRC32();
    crc.update(data, 0, length);
    return (int) crc.getValue() ^ FINGERPRINT_XOR;
  }

  static int readShort(byte[] b, int at) {
    return ((b[at] & 0xff) << 8) | (b[at + 1] & 0xff);
  }

  static int readInt(byte[] b, int at) {
    return ((b[at] & 0xff) << 24)
        | ((b[at + 1] & 0xff) << 16)
        | ((b[at + 2] & 0xff) << 8)
        | (b[at + 3] & 0xff);
  }

  private static void writeShort(byte[] b, int at, int v) {
    b[at] = (byte) (v >>> 8);
    b[at + 1] = (byte) v;
  }

  private static void writeInt(byte[] b, int at, int v) {
    b[at] = (byte) (v >>> 24);
    b[at + 1] = (byte) (v >>> 16);
    b[at + 2] = (byte) (v >>> 8);
    b[at + 3] = (byte) v;
  }

  private static void writeShort(ByteArrayOutputStream out, int v) {
    out.write(v >>> 8);
    out.write(v);
  }

  private static void writeInt(ByteArrayOutputStream out, int v) {
    writeShort(out, v >>> 16);
    writeShort(out, v & 0xffff);
  }
}

package com.nrsgirls.streaming.pipeline.mp4;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Writes ISO BMFF boxes (ISO/IEC 14496-12) into a growing array: {@link #start} a box, write its
 * fields, {@link #end} it and its 32-bit size is filled in. Big-endian throughout.
 */
final class BoxWriter {
  private byte[] buf;
  private int pos;
  private final int[] open = new int[16];
  private int depth;

  BoxWriter(int capacity) {
    buf = new byte[Math.max(64, capacity)];
  }

  int position() {
    return pos;
  }

  byte[] array() {
    return buf;
  }

  void reset() {
    pos = 0;
    depth = 0;
  }

  private void ensure(int n) {
    if (pos + n > buf.length) {
      buf = Arrays.copyOf(buf, Math.max(buf.length * 2, pos + n));
    }
  }

  BoxWriter start(String type) {
    open[depth++] = pos;
    u32(0);
    return fourcc(type);
  }

  /** Starts a full box: its version and 24-bit flags follow the type. */
  BoxWriter startFull(String type, int version, int flags) {
    start(type);
    return u8(version).u24(flags);
  }

  BoxWriter end() {
    int at = open[--depth];
    putU32(at, pos - at);
    return this;
  }

  BoxWriter fourcc(String type) {
    byte[] b = type.getBytes(StandardCharsets.US_ASCII);
    if (b.length != 4) {
      throw new IllegalArgumentException("box type " + type);
    }
    return bytes(b, 0, 4);
  }

  BoxWriter u8(int v) {
    ensure(1);
    buf[pos++] = (byte) v;
    return this;
  }

  BoxWriter u16(int v) {
    ensure(2);
    buf[pos++] = (byte) (v >>> 8);
    buf[pos++] = (byte) v;
    return this;
  }

  BoxWriter u24(int v) {
    ensure(3);
    buf[pos++] = (byte) (v >>> 16);
    buf[pos++] = (byte) (v >>> 8);
    buf[pos++] = (byte) v;
    return this;
  }

  BoxWriter u32(long v) {
    ensure(4);
    putU32(pos, v);
    pos += 4;
    return this;
  }

  BoxWriter u64(long v) {
    return u32(v >>> 32).u32(v & 0xFFFFFFFFL);
  }

  BoxWriter zeros(int n) {
    ensure(n);
    Arrays.fill(buf, pos, pos + n, (byte) 0);
    pos += n;
    return this;
  }

  BoxWriter bytes(byte[] b, int off, int len) {
    ensure(len);
    System.arraycopy(b, off, buf, pos, len);
    pos += len;
    return this;
  }

  /** The unity transformation matrix of mvhd and tkhd. */
  BoxWriter matrix() {
    return u32(0x00010000)
        .u32(0)
        .u32(0)
        .u32(0)
        .u32(0x00010000)
        .u32(0)
        .u32(0)
        .u32(0)
        .u32(0x40000000);
  }

  void putU32(int at, long v) {
    buf[at] = (byte) (v >>> 24);
    buf[at + 1] = (byte) (v >>> 16);
    buf[at + 2] = (byte) (v >>> 8);
    buf[at + 3] = (byte) v;
  }
}

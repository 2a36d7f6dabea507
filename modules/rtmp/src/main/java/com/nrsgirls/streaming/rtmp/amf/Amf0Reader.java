package com.nrsgirls.streaming.rtmp.amf;

import com.nrsgirls.streaming.rtmp.RtmpProtocolException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads AMF0 values (see {@link Amf0} for the Java mapping) from a byte range, such as the payload
 * of an RTMP command or data message.
 *
 * <p>Input comes from the network, so every length is checked against the bytes that are left,
 * containers may nest at most {@code maxDepth} deep and one reader produces at most {@code
 * maxValues} values: a message of a few kilobytes cannot make us build millions of objects. Any
 * violation, truncation or unsupported marker throws {@link RtmpProtocolException} with reason
 * {@code malformed-amf}.
 */
public final class Amf0Reader {
  public static final int DEFAULT_MAX_DEPTH = 16;
  public static final int DEFAULT_MAX_VALUES = 4096;

  private static final String MALFORMED = "malformed-amf";

  private final byte[] data;
  private final int end;
  private final int maxDepth;
  private final int maxValues;
  private int pos;
  private int values;

  public Amf0Reader(byte[] data, int offset, int length, int maxDepth, int maxValues) {
    if (offset < 0 || length < 0 || offset + length > data.length) {
      throw new IndexOutOfBoundsException("range outside the array");
    }
    this.data = data;
    this.pos = offset;
    this.end = offset + length;
    this.maxDepth = maxDepth;
    this.maxValues = maxValues;
  }

  /** Reads every value in the range. */
  public static List<Object> readAll(
      byte[] data, int offset, int length, int maxDepth, int maxValues)
      throws RtmpProtocolException {
    Amf0Reader reader = new Amf0Reader(data, offset, length, maxDepth, maxValues);
    List<Object> result = new ArrayList<>();
    while (reader.hasMore()) {
      result.add(reader.read());
    }
    return result;
  }

  public boolean hasMore() {
    return pos < end;
  }

  /** Offset of the next unread byte in the array. */
  public int position() {
    return pos;
  }

  /** Reads the next value. */
  public Object read() throws RtmpProtocolException {
    return readValue(0);
  }

  private Object readValue(int depth) throws RtmpProtocolException {
    if (++values > maxValues) {
      throw new RtmpProtocolException(MALFORMED, "more than " + maxValues + " AMF0 values");
    }
    int marker = u8();
    return switch (marker) {
      case Amf0.NUMBER -> readDouble();
      case Amf0.BOOLEAN -> u8() != 0;
      case Amf0.STRING -> readUtf8(u16());
      case Amf0.OBJECT -> readProperties(depth + 1, false);
      case Amf0.NULL -> null;
      case Amf0.UNDEFINED -> AmfUndefined.INSTANCE;
      case Amf0.ECMA_ARRAY -> {
        need(4); // the count is only a hint (§2.10); the end marker ends the array
        pos += 4;
        yield new AmfEcmaArray(readProperties(depth + 1, true));
      }
      case Amf0.STRICT_ARRAY -> readStrictArray(depth + 1);
      case Amf0.DATE -> {
        double millis = readDouble();
        yield new AmfDate(millis, (short) u16());
      }
      case Amf0.LONG_STRING -> readUtf8(u32Length());
      case Amf0.OBJECT_END ->
          throw new RtmpProtocolException(MALFORMED, "object end marker outside an object");
      default ->
          throw new RtmpProtocolException(
              MALFORMED, String.format("unsupported AMF0 marker 0x%02x", marker));
    };
  }

  /**
   * Properties until an empty name followed by the object end marker (§2.5). An ECMA array whose
   * end marker is missing at the very end of the data is accepted, as some encoders write it so.
   */
  private Map<String, Object> readProperties(int depth, boolean lenientEnd)
      throws RtmpProtocolException {
    checkDepth(depth);
    Map<String, Object> properties = new LinkedHashMap<>();
    while (true) {
      if (lenientEnd && pos == end) {
        return properties;
      }
      String name = readUtf8(u16());
      if (name.isEmpty()) {
        if (u8() != Amf0.OBJECT_END) {
          throw new RtmpProtocolException(MALFORMED, "empty property name without object end");
        }
        return properties;
      }
      properties.put(name, readValue(depth));
    }
  }

  private List<Object> readStrictArray(int depth) throws RtmpProtocolException {
    checkDepth(depth);
    long count = u32Length();
    // every value takes at least one byte, so a count past the remaining bytes is a lie
    if (count > end - pos) {
      throw new RtmpProtocolException(
          MALFORMED, "strict array of " + count + " values in " + (end - pos) + " bytes");
    }
    List<Object> list = new ArrayList<>((int) Math.min(count, maxValues));
    for (long i = 0; i < count; i++) {
      list.add(readValue(depth));
    }
    return list;
  }

  private void checkDepth(int depth) throws RtmpProtocolException {
    if (depth > maxDepth) {
      throw new RtmpProtocolException(MALFORMED, "AMF0 values nested deeper than " + maxDepth);
    }
  }

  private void need(int n) throws RtmpProtocolException {
    if (n > end - pos) {
      throw new RtmpProtocolException(
          MALFORMED, "AMF0 value needs " + n + " bytes, " + (end - pos) + " left");
    }
  }

  private int u8() throws RtmpProtocolException {
    need(1);
    return data[pos++] & 0xFF;
  }

  private int u16() throws RtmpProtocolException {
    need(2);
    int v = (data[pos] & 0xFF) << 8 | (data[pos + 1] & 0xFF);
    pos += 2;
    return v;
  }

  /** A 32-bit length, which must fit in what is left. */
  private int u32Length() throws RtmpProtocolException {
    need(4);
    long v =
        ((long) (data[pos] & 0xFF) << 24)
            | (data[pos + 1] & 0xFF) << 16
            | (data[pos + 2] & 0xFF) << 8
            | (data[pos + 3] & 0xFF);
    pos += 4;
    if (v > end - pos) {
      throw new RtmpProtocolException(
          MALFORMED, "AMF0 length " + v + " runs past the " + (end - pos) + " bytes left");
    }
    return (int) v;
  }

  private double readDouble() throws RtmpProtocolException {
    need(8);
    long bits = 0;
    for (int i = 0; i < 8; i++) {
      bits = bits << 8 | (data[pos + i] & 0xFF);
    }
    pos += 8;
    return Double.longBitsToDouble(bits);
  }

  private String readUtf8(int length) throws RtmpProtocolException {
    need(length);
    String s = new String(data, pos, length, StandardCharsets.UTF_8);
    pos += length;
    return s;
  }
}

package com.nrsgirls.streaming.rtmp.amf;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/**
 * Writes Java values as AMF0 (see {@link Amf0} for the mapping). Any {@link Number} is written as
 * an AMF0 number, strings longer than 65535 UTF-8 bytes as long strings.
 */
public final class Amf0Writer {
  private static final int MAX_DEPTH = 64;

  private Amf0Writer() {}

  /** The values, one after the other. */
  public static byte[] write(Object... values) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(128);
    for (Object value : values) {
      write(out, value);
    }
    return out.toByteArray();
  }

  public static void write(ByteArrayOutputStream out, Object value) {
    write(out, value, 0);
  }

  private static void write(ByteArrayOutputStream out, Object value, int depth) {
    if (depth > MAX_DEPTH) {
      throw new IllegalArgumentException("AMF0 value nested deeper than " + MAX_DEPTH);
    }
    if (value == null) {
      out.write(Amf0.NULL);
    } else if (value instanceof AmfUndefined) {
      out.write(Amf0.UNDEFINED);
    } else if (value instanceof Number n) {
      out.write(Amf0.NUMBER);
      writeDouble(out, n.doubleValue());
    } else if (value instanceof Boolean b) {
      out.write(Amf0.BOOLEAN);
      out.write(b ? 1 : 0);
    } else if (value instanceof String s) {
      byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
      if (utf8.length <= 0xFFFF) {
        out.write(Amf0.STRING);
        writeU16(out, utf8.length);
      } else {
        out.write(Amf0.LONG_STRING);
        writeU32(out, utf8.length);
      }
      out.write(utf8, 0, utf8.length);
    } else if (value instanceof AmfEcmaArray array) {
      out.write(Amf0.ECMA_ARRAY);
      writeU32(out, array.entries().size());
      writeProperties(out, array.entries(), depth);
    } else if (value instanceof Map<?, ?> map) {
      out.write(Amf0.OBJECT);
      writeProperties(out, map, depth);
    } else if (value instanceof List<?> list) {
      out.write(Amf0.STRICT_ARRAY);
      writeU32(out, list.size());
      for (Object element : list) {
        write(out, element, depth + 1);
      }
    } else if (value instanceof AmfDate date) {
      out.write(Amf0.DATE);
      writeDouble(out, date.millisSinceEpoch());
      writeU16(out, date.timeZone());
    } else {
      throw new IllegalArgumentException("no AMF0 encoding for " + value.getClass().getName());
    }
  }

  private static void writeProperties(ByteArrayOutputStream out, Map<?, ?> map, int depth) {
    for (Map.Entry<?, ?> e : map.entrySet()) {
      byte[] name = e.getKey().toString().getBytes(StandardCharsets.UTF_8);
      if (name.length == 0 || name.length > 0xFFFF) {
        throw new IllegalArgumentException("AMF0 property names must be 1 to 65535 bytes");
      }
      writeU16(out, name.length);
      out.write(name, 0, name.length);
      write(out, e.getValue(), depth + 1);
    }
    writeU16(out, 0);
    out.write(Amf0.OBJECT_END);
  }

  private static void writeDouble(ByteArrayOutputStream out, double d) {
    long bits = Double.doubleToLongBits(d);
    for (int shift = 56; shift >= 0; shift -= 8) {
      out.write((int) (bits >>> shift));
    }
  }

  private static void writeU16(ByteArrayOutputStream out, int v) {
    out.write(v >>> 8);
    out.write(v);
  }

  private static void writeU32(ByteArrayOutputStream out, int v) {
    out.write(v >>> 24);
    out.write(v >>> 16);
    out.write(v >>> 8);
    out.write(v);
  }
}

package com.nrsgirls.streaming.rtmp.amf;

/**
 * AMF0 type markers (Adobe Action Message Format AMF0 specification, §2.1). Values map to Java as:
 * number to {@link Double}, boolean to {@link Boolean}, string and long string to {@link String},
 * object to {@code Map<String, Object>} (insertion ordered), null to {@code null}, undefined to
 * {@link AmfUndefined#INSTANCE}, ECMA array to {@link AmfEcmaArray}, strict array to {@code
 * List<Object>}, date to {@link AmfDate}.
 */
public final class Amf0 {
  /** §2.2: IEEE-754 double, big-endian. */
  public static final int NUMBER = 0x00;

  /** §2.3: one byte, zero is false. */
  public static final int BOOLEAN = 0x01;

  /** §2.4: UTF-8 with a 16-bit length. */
  public static final int STRING = 0x02;

  /** §2.5: anonymous object: properties until an empty name and {@link #OBJECT_END}. */
  public static final int OBJECT = 0x03;

  /** §2.6: reserved, not supported. */
  public static final int MOVIECLIP = 0x04;

  /** §2.7. */
  public static final int NULL = 0x05;

  /** §2.8. */
  public static final int UNDEFINED = 0x06;

  /** §2.9: reference to an earlier complex value; not used by RTMP encoders, not supported. */
  public static final int REFERENCE = 0x07;

  /** §2.10: a 32-bit count hint, then properties like an object. */
  public static final int ECMA_ARRAY = 0x08;

  /** §2.11: closes an object or ECMA array, after an empty property name. */
  public static final int OBJECT_END = 0x09;

  /** §2.12: a 32-bit count, then that many values. */
  public static final int STRICT_ARRAY = 0x0A;

  /** §2.13: milliseconds since the epoch as a double, then a 16-bit time zone (unused). */
  public static final int DATE = 0x0B;

  /** §2.14: UTF-8 with a 32-bit length. */
  public static final int LONG_STRING = 0x0C;

  /** §3.1: switch to AMF3 for the next value; not supported. */
  public static final int AVMPLUS_OBJECT = 0x11;

  private Amf0() {}
}

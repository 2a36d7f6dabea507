package com.nrsgirls.streaming.rtmp.amf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.nrsgirls.streaming.rtmp.RtmpProtocolException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class Amf0Test {
  private static final HexFormat HEX = HexFormat.of();

  private static List<Object> read(byte[] bytes) throws RtmpProtocolException {
    return Amf0Reader.readAll(bytes, 0, bytes.length, 16, 4096);
  }

  private static Object roundTrip(Object value) throws RtmpProtocolException {
    List<Object> values = read(Amf0Writer.write(value));
    assertEquals(1, values.size());
    return values.get(0);
  }

  private static void assertMalformed(String hex) {
    byte[] bytes = HEX.parseHex(hex);
    RtmpProtocolException e = assertThrows(RtmpProtocolException.class, () -> read(bytes));
    assertEquals("malformed-amf", e.reason(), hex);
  }

  @Test
  void writesTheSpecEncodings() {
    assertEquals("003ff0000000000000", HEX.formatHex(Amf0Writer.write(1.0)));
    assertEquals("0101", HEX.formatHex(Amf0Writer.write(true)));
    assertEquals("0200026162", HEX.formatHex(Amf0Writer.write("ab")));
    assertEquals("05", HEX.formatHex(Amf0Writer.write((Object) null)));
    assertEquals("06", HEX.formatHex(Amf0Writer.write(AmfUndefined.INSTANCE)));
    assertEquals("0300016101010000" + "09", HEX.formatHex(Amf0Writer.write(Map.of("a", true))));
    assertEquals(
        "0800000001000161" + "0100" + "000009",
        HEX.formatHex(Amf0Writer.write(new AmfEcmaArray(Map.of("a", false)))));
    assertEquals("0a00000002" + "0101" + "05", HEX.formatHex(Amf0Writer.write(twoValues())));
    assertEquals(
        "0b" + "4000000000000000" + "0000", HEX.formatHex(Amf0Writer.write(new AmfDate(2.0, 0))));
  }

  private static List<Object> twoValues() {
    List<Object> list = new ArrayList<>();
    list.add(true);
    list.add(null);
    return list;
  }

  @Test
  void roundTripsEveryType() throws Exception {
    assertEquals(1234.5, roundTrip(1234.5));
    assertEquals(-0.0, roundTrip(-0.0));
    assertEquals(Double.NaN, roundTrip(Double.NaN));
    assertEquals(3.0, roundTrip(3), "integers are numbers");
    assertEquals(false, roundTrip(false));
    assertEquals("", roundTrip(""));
    assertEquals("héllo wörld ✓", roundTrip("héllo wörld ✓"));
    assertEquals(null, roundTrip(null));
    assertEquals(AmfUndefined.INSTANCE, roundTrip(AmfUndefined.INSTANCE));
    assertEquals(new AmfDate(1.7e12, -60), roundTrip(new AmfDate(1.7e12, -60)));
    assertEquals(twoValues(), roundTrip(twoValues()));

    String longString = "x".repeat(70_000);
    byte[] encoded = Amf0Writer.write(longString);
    assertEquals(Amf0.LONG_STRING, encoded[0]);
    assertEquals(longString, roundTrip(longString));

    Map<String, Object> object = new LinkedHashMap<>();
    object.put("app", "live");
    object.put("n", 3.0);
    object.put("nothing", null);
    object.put("nested", Map.of("list", List.of(1.0, "two")));
    assertEquals(object, roundTrip(object));

    AmfEcmaArray metadata = new AmfEcmaArray(Map.of("width", 640.0, "encoder", "Lavf"));
    assertEquals(metadata, roundTrip(metadata));
  }

  @Test
  void keepsPropertyOrder() throws Exception {
    Map<String, Object> object = new LinkedHashMap<>();
    for (String key : List.of("z", "a", "m", "b")) {
      object.put(key, 1.0);
    }
    Map<?, ?> read = (Map<?, ?>) roundTrip(object);
    assertEquals(List.of("z", "a", "m", "b"), new ArrayList<>(read.keySet()));
  }

  @Test
  void readsSeveralValuesInARow() throws Exception {
    byte[] bytes = Amf0Writer.write("connect", 1.0, Map.of("app", "live"));
    assertEquals(List.of("connect", 1.0, Map.of("app", "live")), read(bytes));
  }

  @Test
  void acceptsAnEcmaArrayWithoutEndMarkerAtTheEnd() throws Exception {
    byte[] bytes = HEX.parseHex("08000000010001610101");
    assertEquals(List.of(new AmfEcmaArray(Map.of("a", true))), read(bytes));
  }

  @Test
  void refusesMalformedInput() {
    assertMalformed("00"); // number without its 8 bytes
    assertMalformed("003ff00000"); // truncated number
    assertMalformed("01"); // boolean without its byte
    assertMalformed("0200"); // truncated length
    assertMalformed("020005616263"); // string shorter than its length
    assertMalformed("0300016101"); // object property without value
    assertMalformed("030001610101"); // object without end
    assertMalformed("03000161010100000a"); // empty name, not followed by the end marker
    assertMalformed("0300016101010000"); // ends after the empty name
    assertMalformed("09"); // object end outside an object
    assertMalformed("07000a"); // reference: not supported
    assertMalformed("04"); // movieclip
    assertMalformed("0d"); // unsupported
    assertMalformed("11"); // switch to AMF3
    assertMalformed("ff");
    assertMalformed("0a7fffffff05"); // strict array count past the data
    assertMalformed("0c00010000616263"); // long string length past the data
    assertMalformed("0cffffffff"); // long string length past 2^31
    assertMalformed("0b3ff0000000000000"); // date without time zone
    assertMalformed("08000000"); // ECMA array count cut short
  }

  @Test
  void limitsNestingDepth() throws Exception {
    Object nested = "leaf";
    for (int i = 0; i < 16; i++) {
      nested = Map.of("k", nested);
    }
    byte[] ok = Amf0Writer.write(nested);
    assertEquals(1, read(ok).size());

    byte[] tooDeep = Amf0Writer.write(Map.of("k", nested));
    RtmpProtocolException e = assertThrows(RtmpProtocolException.class, () -> read(tooDeep));
    assertEquals("malformed-amf", e.reason());

    byte[] arrays = Amf0Writer.write(deepList(17));
    assertThrows(RtmpProtocolException.class, () -> read(arrays));
  }

  private static Object deepList(int depth) {
    Object value = 1.0;
    for (int i = 0; i < depth; i++) {
      value = List.of(value);
    }
    return value;
  }

  @Test
  void limitsTheNumberOfValues() throws Exception {
    Object[] many = new Object[100];
    Arrays.fill(many, null);
    byte[] bytes = Amf0Writer.write(List.of(Arrays.asList(many)));
    assertEquals(1, Amf0Reader.readAll(bytes, 0, bytes.length, 16, 102).size());
    RtmpProtocolException e =
        assertThrows(
            RtmpProtocolException.class, () -> Amf0Reader.readAll(bytes, 0, bytes.length, 16, 101));
    assertEquals("malformed-amf", e.reason());
  }

  @Test
  void readsOnlyItsRange() throws Exception {
    byte[] value = Amf0Writer.write("abc");
    byte[] padded = new byte[value.length + 4];
    System.arraycopy(value, 0, padded, 2, value.length);
    assertEquals(List.of("abc"), Amf0Reader.readAll(padded, 2, value.length, 16, 10));
    assertThrows(
        RtmpProtocolException.class, () -> Amf0Reader.readAll(padded, 2, value.length - 1, 16, 10));
  }

  @Test
  void writerRefusesWhatAmf0CannotCarry() {
    assertThrows(IllegalArgumentException.class, () -> Amf0Writer.write(new Object()));
    assertThrows(IllegalArgumentException.class, () -> Amf0Writer.write(Map.of("", 1.0)));
    assertArrayEquals(new byte[0], Amf0Writer.write());
  }
}

package com.nrsgirls.streaming.rtmp.amf;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.nrsgirls.streaming.rtmp.RtmpProtocolException;
import com.nrsgirls.streaming.testkit.Mutator;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Random and mutated AMF0: only values or {@link RtmpProtocolException}, within the limits. */
class Amf0FuzzTest {
  private static final int ITERATIONS = 4000;
  private static final int MAX_VALUES = 512;

  @Test
  void randomBytes() {
    Random random = new Random(0xA3F0_0001L);
    for (int i = 0; i < ITERATIONS; i++) {
      byte[] input = new byte[random.nextInt(512)];
      random.nextBytes(input);
      // AMF0 markers are small numbers; make most leading bytes plausible
      for (int p = 0; p < input.length; p += 1 + random.nextInt(12)) {
        input[p] = (byte) random.nextInt(0x0E);
      }
      read(input, i);
    }
  }

  @Test
  void mutatedValidValues() {
    byte[] valid = validValues();
    Random random = new Random(0xA3F0_0002L);
    for (int i = 0; i < ITERATIONS; i++) {
      read(Mutator.mutate(valid, random), i);
    }
  }

  private static byte[] validValues() {
    Map<String, Object> connect = new LinkedHashMap<>();
    connect.put("app", "live");
    connect.put("tcUrl", "rtmp://127.0.0.1/live");
    connect.put("capabilities", 15.0);
    connect.put("fpad", false);
    connect.put("nothing", null);
    Map<String, Object> metadata = new LinkedHashMap<>();
    metadata.put("width", 640.0);
    metadata.put("encoder", "Lavf59.27.100");
    metadata.put("created", new AmfDate(1.7e12, 0));
    List<Object> list = new ArrayList<>();
    list.add(1.0);
    list.add(AmfUndefined.INSTANCE);
    list.add(List.of("x", Map.of("deep", List.of(true))));
    return Amf0Writer.write(
        "connect", 1.0, connect, new AmfEcmaArray(metadata), list, "y".repeat(300));
  }

  private static void read(byte[] input, int iteration) {
    try {
      Amf0Reader reader = new Amf0Reader(input, 0, input.length, 8, MAX_VALUES);
      int values = 0;
      while (reader.hasMore()) {
        int before = reader.position();
        reader.read();
        assertTrue(reader.position() > before, "every value consumes input");
        assertTrue(++values <= MAX_VALUES);
      }
    } catch (RtmpProtocolException expected) {
      assertTrue(expected.reason().equals("malformed-amf"), expected.reason());
    } catch (RuntimeException e) {
      fail("iteration " + iteration + ": " + e, e);
    }
  }
}

package com.nrsgirls.streaming.core.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.security.SecureRandom;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.NullAndEmptySource;
import org.junit.jupiter.params.provider.ValueSource;

class StreamIdTest {
  @ParameterizedTest
  @ValueSource(strings = {"abcdef", "0a1b2c3d4e5f", "abcdefghijklmnopqrstuvwxyz012345", "999999"})
  void lowercaseLettersAndDigitsFrom6To32AreValid(String id) {
    assertTrue(StreamId.isValid(id));
  }

  @ParameterizedTest
  @NullAndEmptySource
  @ValueSource(
      strings = {
        "abcde", // 5
        "abcdefghijklmnopqrstuvwxyz0123456", // 33
        "Abcdef",
        "abc_def", // would break the key's split
        "abc-def",
        "abc def",
        "abcdef\n",
        "abcdéf",
        "../../etc"
      })
  void everythingElseIsInvalid(String id) {
    assertFalse(StreamId.isValid(id));
  }

  @Test
  void generatedIdsAreValidAndDistinct() {
    SecureRandom random = new SecureRandom();
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < 1000; i++) {
      String id = StreamId.generate(random);
      assertEquals(12, id.length());
      assertTrue(StreamId.isValid(id), id);
      seen.add(id);
    }
    assertEquals(1000, seen.size());
    assertNotEquals(StreamId.generate(random), StreamId.generate(random));
  }
}

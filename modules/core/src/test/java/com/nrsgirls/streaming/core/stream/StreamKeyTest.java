package com.nrsgirls.streaming.core.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.NullAndEmptySource;
import org.junit.jupiter.params.provider.ValueSource;

class StreamKeyTest {
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final String STREAM_ID = "k3y5tr3am001";

  private final StreamKey key = StreamKey.generate(STREAM_ID, RANDOM);

  @Test
  void generatedKeyHasThePublicPartAnd32SecretBytes() {
    String text = key.reveal();
    assertTrue(text.startsWith("live_" + STREAM_ID + "_"), text);
    String secret = text.substring(("live_" + STREAM_ID + "_").length());
    assertEquals(43, secret.length(), "32 bytes of unpadded base64url");
    assertTrue(secret.matches("[A-Za-z0-9_-]+"), secret);
    assertEquals(STREAM_ID, key.streamId());
  }

  @Test
  void parseRoundTripsAGeneratedKey() {
    // Keys whose secret holds '_' must still split at the first one after the prefix.
    for (int i = 0; i < 200; i++) {
      StreamKey generated = StreamKey.generate(STREAM_ID, RANDOM);
      StreamKey parsed = StreamKey.parse(generated.reveal()).orElseThrow();
      assertEquals(STREAM_ID, parsed.streamId());
      assertEquals(generated.reveal(), parsed.reveal());
      assertEquals(generated, parsed);
      assertEquals(generated.hashCode(), parsed.hashCode());
    }
  }

  @Test
  void parseTakesTheStreamIdFromThePublicPart() {
    StreamKey parsed = StreamKey.parse("live_abcdef123_sec_ret-x").orElseThrow();
    assertEquals("abcdef123", parsed.streamId());
    assertEquals("live_abcdef123_sec_ret-x", parsed.reveal());
  }

  @Test
  void parseStripsTheRtmpQuery() {
    StreamKey parsed = StreamKey.parse(key.reveal() + "?token=abc&x=1").orElseThrow();
    assertEquals(key.reveal(), parsed.reveal());
    assertEquals(key, parsed);
    assertTrue(parsed.matches(key.hash()));
  }

  @Test
  void lengthLimitAppliesToTheKeyWithoutItsQuery() {
    String prefix = "live_abcdef_";
    String longest = prefix + "s".repeat(256 - prefix.length());
    assertTrue(StreamKey.parse(longest).isPresent());
    assertTrue(StreamKey.parse(longest + "?" + "q".repeat(1000)).isPresent());
    assertEquals(Optional.empty(), StreamKey.parse(longest + "s"));
  }

  @ParameterizedTest
  @NullAndEmptySource
  @ValueSource(
      strings = {
        "Live_abcdef_secret",
        "stream_abcdef_secret",
        "live-abcdef_secret",
        "abcdef_secret",
        "live_",
        "live_abcdef", // no separator
        "live_abcdef_", // empty secret
        "live_abcdef_?x=1", // empty once the query is gone
        "live__secret", // empty stream id
        "live_abc_secret", // stream id too short
        "live_ABCDEF_secret",
        "live_abc-def_secret",
        "live_abcdefghijklmnopqrstuvwxyz0123456_secret", // stream id too long
        "?live_abcdef_secret"
      })
  void malformedKeysAreEmpty(String text) {
    assertEquals(Optional.empty(), StreamKey.parse(text));
  }

  @Test
  void hashIsHexSha256OfTheWholeKey() throws Exception {
    byte[] expected =
        MessageDigest.getInstance("SHA-256").digest(key.reveal().getBytes(StandardCharsets.UTF_8));
    assertEquals(HexFormat.of().formatHex(expected), key.hash());
    assertEquals(64, key.hash().length());
  }

  @Test
  void matchesItsOwnHashOnly() {
    StreamKey other = StreamKey.generate(STREAM_ID, RANDOM);
    assertTrue(key.matches(key.hash()));
    assertTrue(key.matches(key.hash().toUpperCase(Locale.ROOT)), "hex is case-insensitive");
    assertFalse(key.matches(other.hash()));
    assertFalse(other.matches(key.hash()));
    assertNotEquals(key, other);
  }

  @Test
  void aKeyWithTheSameStreamIdButAnotherSecretDoesNotMatch() {
    StreamKey tampered = StreamKey.parse(key.reveal() + "x").orElseThrow();
    assertEquals(key.streamId(), tampered.streamId());
    assertFalse(tampered.matches(key.hash()));
    assertNotEquals(key, tampered);
  }

  @ParameterizedTest
  @NullAndEmptySource
  @ValueSource(strings = {"not hex", "abc", "zz"})
  void malformedStoredHashesMatchNothing(String stored) {
    assertFalse(key.matches(stored));
  }

  @Test
  void truncatedOrExtendedHashesMatchNothing() {
    String hash = key.hash();
    assertFalse(key.matches(hash.substring(0, 62)));
    assertFalse(key.matches(hash + "00"));
    assertFalse(key.matches("g" + hash.substring(1)));
  }

  @Test
  void toStringNeverShowsTheSecret() {
    String secret = key.reveal().substring(("live_" + STREAM_ID + "_").length());
    assertEquals("live_" + STREAM_ID + "_***", key.toString());
    assertFalse(key.toString().contains(secret));
    assertTrue(key.reveal().contains(secret));
  }

  @Test
  void generateRefusesInvalidStreamIds() {
    assertThrows(IllegalArgumentException.class, () -> StreamKey.generate("ab_cdef", RANDOM));
    assertThrows(IllegalArgumentException.class, () -> StreamKey.generate(null, RANDOM));
  }
}

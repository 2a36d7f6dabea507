package com.nrsgirls.streaming.api.chat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ChatTokenTest {
  private static final Instant NOW = Instant.parse("2026-12-01T12:00:00Z");
  private final ChatToken tokens = new ChatToken("k".repeat(32).getBytes(StandardCharsets.UTF_8));
  private final ChatUser mia = new ChatUser("u-1", "Mia \"DJ\" ☆", ChatRole.MODERATOR);

  @Test
  void aTokenNamesItsStreamUserAndRoleUntilItExpires() {
    String t = tokens.issue("abc123", mia, NOW.plusSeconds(60));
    ChatToken.Claims c = tokens.verify(t, NOW).orElseThrow();
    assertEquals("abc123", c.streamId());
    assertEquals(mia, c.user());
    assertEquals(NOW.plusSeconds(60), c.expiresAt());
    assertTrue(tokens.verify(t, NOW.plusSeconds(60)).isEmpty(), "expired at its expiry");
  }

  @Test
  void anotherKeyOrAChangedClaimIsRefused() {
    String t = tokens.issue("abc123", mia, NOW.plusSeconds(60));
    ChatToken other = new ChatToken("j".repeat(32).getBytes(StandardCharsets.UTF_8));
    assertTrue(other.verify(t, NOW).isEmpty());
    // the same signature over claims that say viewer -> moderator elsewhere
    String claims =
        "{\"s\":\"abc123\",\"u\":\"u-1\",\"n\":\"x\",\"r\":\"moderator\",\"e\":"
            + NOW.plusSeconds(9999).getEpochSecond()
            + "}";
    String forged =
        Base64.getUrlEncoder()
                .withoutPadding()
                .encodeToString(claims.getBytes(StandardCharsets.UTF_8))
            + t.substring(t.indexOf('.'));
    assertTrue(tokens.verify(forged, NOW).isEmpty());
  }

  @Test
  void garbageIsRefusedWithoutThrowing() {
    String t = tokens.issue("abc123", mia, NOW.plusSeconds(60));
    Random random = new Random(7);
    for (String bad :
        new String[] {
          null, "", ".", "a.b", "a.b.c", "x".repeat(5000), t + "x", "!" + t, t.replace('.', ',')
        }) {
      assertTrue(tokens.verify(bad, NOW).isEmpty(), String.valueOf(bad));
    }
    // random mutations of a good token: refused, never an exception
    char[] alphabet = "ABCabc012-_.=+/{}\"".toCharArray();
    for (int i = 0; i < 20_000; i++) {
      char[] m = t.toCharArray();
      int edits = 1 + random.nextInt(3);
      for (int e = 0; e < edits; e++) {
        m[random.nextInt(m.length)] = alphabet[random.nextInt(alphabet.length)];
      }
      String mutated = new String(m);
      if (!mutated.equals(t)) {
        assertTrue(tokens.verify(mutated, NOW).isEmpty(), mutated);
      }
    }
  }
}

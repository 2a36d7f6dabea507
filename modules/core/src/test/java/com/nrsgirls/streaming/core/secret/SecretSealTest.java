package com.nrsgirls.streaming.core.secret;

import static org.junit.jupiter.api.Assertions.*;

import java.util.Base64;
import org.junit.jupiter.api.Test;

class SecretSealTest {
  private final SecretSeal seal = SecretSeal.fromText(SecretSeal.newMasterKey());

  @Test
  void opensWhatItSealedUnderTheSameContextOnly() {
    String sealed = seal.seal("xxxx-yyyy-zzzz-1234", "restream-key:s1:yt");
    assertTrue(sealed.startsWith("v1:"), sealed);
    assertFalse(sealed.contains("xxxx"), sealed);
    assertEquals("xxxx-yyyy-zzzz-1234", seal.open(sealed, "restream-key:s1:yt"));
    assertNotEquals(sealed, seal.seal("xxxx-yyyy-zzzz-1234", "restream-key:s1:yt"), "fresh nonce");
    IllegalArgumentException moved =
        assertThrows(IllegalArgumentException.class, () -> seal.open(sealed, "restream-key:s2:yt"));
    assertFalse(moved.getMessage().contains("xxxx"));
  }

  @Test
  void refusesAnotherMasterKeyAndAlteredValues() {
    String sealed = seal.seal("key", "c");
    SecretSeal other = SecretSeal.fromText(SecretSeal.newMasterKey());
    assertThrows(IllegalArgumentException.class, () -> other.open(sealed, "c"));
    byte[] raw = Base64.getDecoder().decode(sealed.substring(3));
    raw[raw.length - 1] ^= 1;
    String altered = "v1:" + Base64.getEncoder().encodeToString(raw);
    assertThrows(IllegalArgumentException.class, () -> seal.open(altered, "c"));
    assertThrows(IllegalArgumentException.class, () -> seal.open("plain", "c"));
    assertThrows(IllegalArgumentException.class, () -> seal.open("v1:AAAA", "c"));
  }

  @Test
  void readsMasterKeysAsBase64OrHex() {
    String hex = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
    SecretSeal fromHex = SecretSeal.fromText(hex);
    String sealed = fromHex.seal("k", "c");
    byte[] bytes = new byte[32];
    for (int i = 0; i < 32; i++) {
      bytes[i] = (byte) Integer.parseInt(hex.substring(2 * i, 2 * i + 2), 16);
    }
    assertEquals(
        "k", SecretSeal.fromText(Base64.getEncoder().encodeToString(bytes)).open(sealed, "c"));
    assertThrows(IllegalArgumentException.class, () -> SecretSeal.fromText("short"));
  }
}

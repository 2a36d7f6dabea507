package com.nrsgirls.streaming.core.secret;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Seals the secrets a stream keeps for others (a restream target's stream key, later OAuth tokens)
 * so the journal and its backups never hold them in plain text: AES-256-GCM under the node's master
 * key, a fresh 96-bit nonce per seal, and a context (which stream and target the secret belongs to)
 * bound in as associated data, so a sealed value copied to another target does not open there.
 *
 * <p>A sealed value reads {@code v1:} then base64 of nonce, ciphertext and tag. Thread-safe.
 */
public final class SecretSeal {
  private static final String PREFIX = "v1:";
  private static final int NONCE_BYTES = 12;
  private static final int TAG_BITS = 128;

  private final SecretKeySpec key;
  private final SecureRandom random = new SecureRandom();

  /**
   * @param masterKey 32 bytes
   */
  public SecretSeal(byte[] masterKey) {
    if (masterKey.length != 32) {
      throw new IllegalArgumentException("the master key must be 32 bytes (256 bits)");
    }
    this.key = new SecretKeySpec(masterKey.clone(), "AES");
  }

  /**
   * A key for {@code purpose} derived from the master key (HMAC-SHA256 of the purpose under it):
   * the same on every node that shares the master key, and never the master key itself.
   */
  public byte[] derive(String purpose) {
    try {
      javax.crypto.Mac mac = javax.crypto.Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key.getEncoded(), "HmacSHA256"));
      return mac.doFinal(purpose.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    } catch (java.security.GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Reads a master key given as base64 (44 characters) or hex (64), as config and env give it. */
  public static SecretSeal fromText(String text) {
    String t = text.strip();
    byte[] bytes;
    if (t.matches("[0-9a-fA-F]{64}")) {
      bytes = new byte[32];
      for (int i = 0; i < 32; i++) {
        bytes[i] = (byte) Integer.parseInt(t.substring(2 * i, 2 * i + 2), 16);
      }
    } else {
      try {
        bytes = Base64.getDecoder().decode(t);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("the master key is neither base64 nor hex");
      }
    }
    try {
      return new SecretSeal(bytes);
    } finally {
      Arrays.fill(bytes, (byte) 0);
    }
  }

  /** A new random master key, base64. */
  public static String newMasterKey() {
    byte[] bytes = new byte[32];
    new SecureRandom().nextBytes(bytes);
    return Base64.getEncoder().encodeToString(bytes);
  }

  public String seal(String secret, String context) {
    byte[] nonce = new byte[NONCE_BYTES];
    random.nextBytes(nonce);
    try {
      Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
      cipher.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, nonce));
      cipher.updateAAD(context.getBytes(StandardCharsets.UTF_8));
      byte[] sealed = cipher.doFinal(secret.getBytes(StandardCharsets.UTF_8));
      byte[] out = new byte[NONCE_BYTES + sealed.length];
      System.arraycopy(nonce, 0, out, 0, NONCE_BYTES);
      System.arraycopy(sealed, 0, out, NONCE_BYTES, sealed.length);
      return PREFIX + Base64.getEncoder().encodeToString(out);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM is not available", e);
    }
  }

  /**
   * The secret sealed under {@code context}.
   *
   * @throws IllegalArgumentException when it was sealed under another master key or context, or was
   *     altered; the message never holds the secret
   */
  public String open(String sealed, String context) {
    if (sealed == null || !sealed.startsWith(PREFIX)) {
      throw new IllegalArgumentException("not a sealed secret");
    }
    byte[] in;
    try {
      in = Base64.getDecoder().decode(sealed.substring(PREFIX.length()));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("not a sealed secret");
    }
    if (in.length < NONCE_BYTES + TAG_BITS / 8) {
      throw new IllegalArgumentException("sealed secret too short");
    }
    try {
      Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
      cipher.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, in, 0, NONCE_BYTES));
      cipher.updateAAD(context.getBytes(StandardCharsets.UTF_8));
      byte[] plain = cipher.doFinal(in, NONCE_BYTES, in.length - NONCE_BYTES);
      return new String(plain, StandardCharsets.UTF_8);
    } catch (javax.crypto.AEADBadTagException e) {
      throw new IllegalArgumentException(
          "the sealed secret does not open: another master key, or it was altered");
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM is not available", e);
    }
  }
}

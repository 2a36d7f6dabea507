package com.nrsgirls.streaming.webrtc.transport;

import java.security.SecureRandom;

/**
 * A session's ICE ufrag and password (RFC 8445 §5.3): random, from the ICE character set, 8 and 24
 * characters (the minimum is 4 and 22). The ufrag routes the peer's checks to its session; the
 * password keys their integrity.
 */
public record IceCredentials(String ufrag, String password) {
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final char[] ICE_CHARS =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789".toCharArray();

  public static IceCredentials random() {
    return new IceCredentials(random(8), random(24));
  }

  private static String random(int length) {
    char[] out = new char[length];
    for (int i = 0; i < length; i++) {
      out[i] = ICE_CHARS[RANDOM.nextInt(ICE_CHARS.length)];
    }
    return new String(out);
  }
}

package com.nrsgirls.streaming.webrtc.stun;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;

/**
 * The ICE-lite side of connectivity checks (RFC 8445 §2.5): a lite agent never checks on its own;
 * it answers each peer's authenticated binding request with a success naming the address it came
 * from. The peer's USERNAME is {@code localUfrag:remoteUfrag}; MESSAGE-INTEGRITY is keyed with the
 * local password, as is the answer.
 */
public final class IceLite {
  private IceLite() {}

  /** The local ufrag a binding request's USERNAME names (which session it is for), or null. */
  public static String localUfrag(StunMessage request) {
    String username = request.username();
    if (username == null) {
      return null;
    }
    int colon = username.indexOf(':');
    return colon <= 0 ? null : username.substring(0, colon);
  }

  /**
   * The success answer to {@code request} from {@code from}, or null when it is not a binding
   * request for {@code localUfrag}, or its integrity or fingerprint is wrong (dropped unanswered,
   * as a lite agent does with what it cannot authenticate).
   */
  public static byte[] answer(
      StunMessage request, String localUfrag, String localPassword, InetSocketAddress from) {
    if (request.type() != StunMessage.BINDING_REQUEST || !localUfrag.equals(localUfrag(request))) {
      return null;
    }
    byte[] key = localPassword.getBytes(StandardCharsets.UTF_8);
    if (!request.integrityValid(key)
        || (request.has(StunMessage.FINGERPRINT) && !request.fingerprintValid())) {
      return null;
    }
    byte[] tid = request.transactionId();
    return new StunMessage.Builder(StunMessage.BINDING_SUCCESS, tid)
        .xorMappedAddress(from, tid)
        .build(key, true);
  }
}

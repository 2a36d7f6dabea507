package com.nrsgirls.streaming.api.chat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.Base64;
import java.util.Optional;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Chat tokens: {@code base64url(claims) "." base64url(HMAC-SHA256(key, claims))}, where the claims
 * are JSON {@code {s: streamId, u: userId, n: displayName, r: role, e: expiry epoch seconds}}. The
 * key is derived from the master key, so every node of a cluster verifies what any node issued, and
 * a token names one stream: a moderator of one room moderates no other.
 */
public final class ChatToken {
  /** What a valid token says. */
  public record Claims(String streamId, ChatUser user, Instant expiresAt) {}

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();
  private static final Base64.Decoder B64D = Base64.getUrlDecoder();

  /** Longer tokens are refused unread. */
  static final int MAX_LENGTH = 1024;

  private final SecretKeySpec key;

  public ChatToken(byte[] key) {
    this.key = new SecretKeySpec(key, "HmacSHA256");
  }

  public String issue(String streamId, ChatUser user, Instant expiresAt) {
    ObjectNode claims = JSON.createObjectNode();
    claims.put("s", streamId);
    claims.put("u", user.id());
    claims.put("n", user.displayName());
    claims.put("r", user.role().wire());
    claims.put("e", expiresAt.getEpochSecond());
    String body = B64.encodeToString(claims.toString().getBytes(StandardCharsets.UTF_8));
    return body + "." + B64.encodeToString(mac(body));
  }

  /**
   * The claims of a token that is well formed, signed with our key and not expired at {@code now}.
   */
  public Optional<Claims> verify(String token, Instant now) {
    if (token == null || token.length() > MAX_LENGTH) {
      return Optional.empty();
    }
    int dot = token.indexOf('.');
    if (dot <= 0 || dot != token.lastIndexOf('.')) {
      return Optional.empty();
    }
    String body = token.substring(0, dot);
    try {
      // compared as text in its one canonical spelling (a decoder ignores spare bits)
      byte[] expected = B64.encodeToString(mac(body)).getBytes(StandardCharsets.US_ASCII);
      byte[] given = token.substring(dot + 1).getBytes(StandardCharsets.US_ASCII);
      if (!MessageDigest.isEqual(given, expected)) {
        return Optional.empty();
      }
      JsonNode claims = JSON.readTree(B64D.decode(body));
      ChatRole role = ChatRole.parse(claims.path("r").asText());
      Instant expires = Instant.ofEpochSecond(claims.path("e").asLong());
      String streamId = claims.path("s").asText("");
      String userId = claims.path("u").asText("");
      if (role == null || !now.isBefore(expires) || streamId.isEmpty() || userId.isEmpty()) {
        return Optional.empty();
      }
      return Optional.of(
          new Claims(
              streamId, new ChatUser(userId, claims.path("n").asText(userId), role), expires));
    } catch (IllegalArgumentException | java.io.IOException e) {
      return Optional.empty();
    }
  }

  private byte[] mac(String body) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(key);
      return mac.doFinal(body.getBytes(StandardCharsets.US_ASCII));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }
}

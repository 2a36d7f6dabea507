package com.nrsgirls.streaming.api.chat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;

/**
 * The JSON of server frames ({@code docs/chat.md}): {@code {type, id, streamId, user, text,
 * sentAt}}, with {@code user} as {@code {id, displayName, role}}. Built once per frame by the room
 * and sent as is to every socket.
 */
final class ChatFrames {
  private static final ObjectMapper JSON = new ObjectMapper();

  private ChatFrames() {}

  static String message(String streamId, long id, ChatUser user, String text, Instant at) {
    ObjectNode f = frame("message", streamId, at);
    f.put("id", Long.toString(id));
    user(f, user);
    f.put("text", text);
    return f.toString();
  }

  static String deleted(String streamId, long id, String by, Instant at) {
    ObjectNode f = frame("deleted", streamId, at);
    f.put("id", Long.toString(id));
    f.put("by", by);
    return f.toString();
  }

  static String presence(String streamId, ChatUser user, boolean joined, Instant at) {
    ObjectNode f = frame(joined ? "join" : "leave", streamId, at);
    user(f, user);
    return f.toString();
  }

  /** A room notice: {@code event} is {@code ban}, {@code unban} or {@code slow-mode}. */
  static String system(String streamId, String event, String userId, String text, Instant at) {
    ObjectNode f = frame("system", streamId, at);
    f.put("event", event);
    if (userId != null) {
      f.putObject("user").put("id", userId);
    }
    f.put("text", text);
    return f.toString();
  }

  /**
   * An error for one socket: {@code error} is a stable code ({@code bad-frame}, {@code too-large},
   * {@code rate-limited}, ...), {@code message} says it in words.
   */
  static String error(String streamId, String error, String message, long retryAfterMillis) {
    ObjectNode f = frame("error", streamId, Instant.now());
    f.put("error", error);
    f.put("message", message);
    if (retryAfterMillis > 0) {
      f.put("retryAfterMs", retryAfterMillis);
    }
    return f.toString();
  }

  private static ObjectNode frame(String type, String streamId, Instant at) {
    ObjectNode f = JSON.createObjectNode();
    f.put("type", type);
    f.put("streamId", streamId);
    f.put("sentAt", at.toString());
    return f;
  }

  private static void user(ObjectNode f, ChatUser user) {
    ObjectNode u = f.putObject("user");
    u.put("id", user.id());
    u.put("displayName", user.displayName());
    u.put("role", user.role().wire());
  }
}

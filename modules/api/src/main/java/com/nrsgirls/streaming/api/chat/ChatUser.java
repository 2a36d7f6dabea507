package com.nrsgirls.streaming.api.chat;

import com.nrsgirls.streaming.core.CborSerializable;

/** Who writes in a room, as their chat token names them. */
public record ChatUser(String id, String displayName, ChatRole role) implements CborSerializable {
  /**
   * Who the operator API acts as when it moderates a room; no token can name this id (user ids have
   * no parentheses).
   */
  public static final ChatUser OPERATOR =
      new ChatUser("(operator)", "Operator", ChatRole.MODERATOR);
}

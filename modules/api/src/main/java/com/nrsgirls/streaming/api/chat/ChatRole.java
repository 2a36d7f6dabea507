package com.nrsgirls.streaming.api.chat;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Locale;

/** What a chat token lets its holder do in its stream's room. */
public enum ChatRole {
  /** Reads and writes. */
  VIEWER,
  /** The stream's creator: writes and moderates their own room, slow mode does not apply. */
  CREATOR,
  /** Writes and moderates (deletes messages, bans users, sets slow mode). */
  MODERATOR;

  public boolean moderates() {
    return this != VIEWER;
  }

  @JsonValue
  public String wire() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** The role named {@code text} ({@code viewer}, {@code creator}, {@code moderator}), or null. */
  @JsonCreator
  public static ChatRole parse(String text) {
    for (ChatRole r : values()) {
      if (r.wire().equals(text)) {
        return r;
      }
    }
    return null;
  }
}

package com.nrsgirls.streaming.api.chat;

import com.nrsgirls.streaming.api.chat.ChatProtocol.BanView;
import com.nrsgirls.streaming.api.chat.ChatProtocol.MessagePosted;
import com.nrsgirls.streaming.core.CborSerializable;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a room keeps in its journal: the recent messages (not deleted, not by banned users), the
 * bans, slow mode and running totals. Immutable; the event handler makes the next one.
 *
 * @param lastId the id of the newest message; ids rise by one per message and are never reused
 */
public record ChatRoomState(
    long lastId,
    List<MessagePosted> recent,
    Map<String, BanView> bans,
    int slowModeSeconds,
    long messages,
    long deleted,
    long bansIssued)
    implements CborSerializable {

  static final ChatRoomState EMPTY = new ChatRoomState(0, List.of(), Map.of(), 0, 0, 0, 0);

  boolean banned(String userId, Instant now) {
    BanView ban = bans.get(userId);
    return ban != null && (ban.until() == null || now.isBefore(ban.until()));
  }

  ChatRoomState posted(MessagePosted e, int keep) {
    List<MessagePosted> next = new ArrayList<>(Math.min(recent.size() + 1, keep));
    int from = Math.max(0, recent.size() + 1 - keep);
    for (int i = from; i < recent.size(); i++) {
      next.add(recent.get(i));
    }
    next.add(e);
    return new ChatRoomState(
        e.id(), List.copyOf(next), bans, slowModeSeconds, messages + 1, deleted, bansIssued);
  }

  ChatRoomState deleted(long id) {
    List<MessagePosted> next = new ArrayList<>(recent);
    next.removeIf(m -> m.id() == id);
    return new ChatRoomState(
        lastId, List.copyOf(next), bans, slowModeSeconds, messages, deleted + 1, bansIssued);
  }

  ChatRoomState banned(String userId, BanView ban) {
    List<MessagePosted> next = new ArrayList<>(recent);
    next.removeIf(m -> m.user().id().equals(userId));
    Map<String, BanView> b = new LinkedHashMap<>(bans);
    b.put(userId, ban);
    return new ChatRoomState(
        lastId,
        List.copyOf(next),
        Map.copyOf(b),
        slowModeSeconds,
        messages,
        deleted,
        bansIssued + 1);
  }

  ChatRoomState unbanned(String userId) {
    Map<String, BanView> b = new LinkedHashMap<>(bans);
    b.remove(userId);
    return new ChatRoomState(
        lastId, recent, Map.copyOf(b), slowModeSeconds, messages, deleted, bansIssued);
  }

  ChatRoomState slowMode(int seconds) {
    return new ChatRoomState(lastId, recent, bans, seconds, messages, deleted, bansIssued);
  }
}

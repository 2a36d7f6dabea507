package com.nrsgirls.streaming.api.chat;

import com.typesafe.config.Config;
import java.time.Duration;

/**
 * {@code nrs.streaming.chat}: the limits of the chat rooms (see reference.conf for what each one
 * means).
 *
 * @param tokenTtl how long a chat token is valid unless its request asks for less
 * @param anonymousRead whether a socket without a token may read (and only read) a room
 * @param maxMessageChars longest message text, in characters
 * @param maxFrameBytes largest client frame read; a larger one is an error and is skipped
 * @param history messages a joining client gets
 * @param rateBurst messages a user may send at once
 * @param ratePerSecond messages a user's allowance grows by per second, up to the burst
 * @param outBuffer frames queued for one socket; a socket that lets more pile up is closed
 * @param maxStrikes errors one socket may cause within strikeWindow before it is closed
 * @param strikeWindow see maxStrikes
 * @param announcePresence whether rooms tell who joins and leaves (users with a token only)
 * @param statsInterval how often a room's counts are recorded on its stream while they change
 * @param resubscribeInterval how often a node reminds a room that it has readers
 * @param askTimeout how long a node waits for a room's answer
 * @param maxRelayLag frames reaching a node's relay later than this close its sockets
 * @param maxSockets chat sockets open on the node at once (0: no limit)
 * @param maxSocketsPerAddress chat sockets from one address at once (0: no limit)
 */
public record ChatSettings(
    Duration tokenTtl,
    boolean anonymousRead,
    int maxMessageChars,
    int maxFrameBytes,
    int history,
    int rateBurst,
    double ratePerSecond,
    int outBuffer,
    int maxStrikes,
    Duration strikeWindow,
    boolean announcePresence,
    Duration statsInterval,
    Duration resubscribeInterval,
    Duration askTimeout,
    Duration maxRelayLag,
    int maxSockets,
    int maxSocketsPerAddress) {

  public static ChatSettings create(Config root) {
    Config c = root.getConfig("nrs.streaming.chat");
    return new ChatSettings(
        c.getDuration("token-ttl"),
        c.getBoolean("anonymous-read"),
        c.getInt("max-message-chars"),
        (int) c.getBytes("max-frame-bytes").longValue(),
        c.getInt("history"),
        c.getInt("rate.burst"),
        c.getDouble("rate.per-second"),
        // a joining socket gets the history at once: the buffer always holds it and more
        Math.max(c.getInt("out-buffer"), c.getInt("history") + 32),
        c.getInt("abuse.max-strikes"),
        c.getDuration("abuse.window"),
        c.getBoolean("announce-presence"),
        c.getDuration("stats-interval"),
        c.getDuration("resubscribe-interval"),
        c.getDuration("ask-timeout"),
        c.getDuration("max-relay-lag"),
        c.getInt("max-sockets"),
        c.getInt("max-sockets-per-address"));
  }
}

package com.nrsgirls.streaming.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Chat on one node process as operators run it, with real WebSocket clients (the JDK's) and a raw
 * socket that never reads: tokens and roles, message order and history, every kind of bad frame,
 * moderation (delete, slow mode, ban, unban) over the socket and the operator API, and a client
 * that does not read being cut off while the room goes on.
 */
class ChatEndToEndTest {
  private static final String OP = "chat-test-operator-token-0123456789";
  private static final Duration T = Duration.ofSeconds(10);

  /**
   * Messages of 3,000 characters sent while a client does not read: 9 MB, more than the kernel's
   * socket buffers (on loopback the send buffer grows to 4 MB), pekko-http's stages and the
   * socket's queue hold together.
   */
  private static final int FLOOD = 3000;

  private static final int MAX_CHARS = 3000;

  private static final int SOCKETS_PER_ADDRESS = 12;

  @TempDir Path work;

  @Test
  void oneRoomWithRealClients() throws Exception {
    Map<String, String> env = NodeProcess.environment(work.resolve("data"));
    env.put("NRS_ADMIN_TOKEN", OP);
    try (NodeProcess node =
        NodeProcess.start(
                env,
                work.resolve("node.log"),
                List.of(
                    // a flood from one user passes (ChatClusterEndToEndTest checks the default
                    // limits)
                    "-Dnrs.streaming.chat.rate.burst=" + (FLOOD + 100),
                    "-Dnrs.streaming.chat.rate.per-second=1",
                    "-Dnrs.streaming.chat.out-buffer=100",
                    "-Dnrs.streaming.chat.max-message-chars=" + MAX_CHARS,
                    "-Dnrs.streaming.chat.max-frame-bytes=8KiB",
                    "-Dnrs.streaming.chat.max-sockets-per-address=" + SOCKETS_PER_ADDRESS))
            .awaitReady(Duration.ofSeconds(60))) {
      int port = Integer.parseInt(env.get("NRS_HTTP_PORT"));
      String streamId = node.createStream(OP, "chat")[0];
      String other = node.createStream(OP, "other")[0];

      // tokens: roles checked, the creator role only for the stream's creator
      String alice = ChatClient.token(node, OP, streamId, "alice", "viewer");
      String bob = ChatClient.token(node, OP, streamId, "bob", "viewer");
      String mod = ChatClient.token(node, OP, streamId, "mod", "moderator");
      String dj = ChatClient.token(node, OP, streamId, "dj", "creator");
      assertEquals(
          400,
          node.send(
                  "POST",
                  "/api/v1/streams/" + streamId + "/chat-tokens",
                  OP,
                  "{\"userId\":\"mallory\",\"role\":\"creator\"}")
              .statusCode());
      assertEquals(
          400,
          node.send(
                  "POST",
                  "/api/v1/streams/" + streamId + "/chat-tokens",
                  OP,
                  "{\"userId\":\"x\",\"role\":\"admin\"}")
              .statusCode());
      assertEquals(
          401,
          node.send("POST", "/api/v1/streams/" + streamId + "/chat-tokens", null, "{}")
              .statusCode());
      // a forged or foreign token does not open a socket
      assertEquals(401, upgradeStatus(port, "/chat/" + streamId + "?token=" + alice + "x"));
      assertEquals(403, upgradeStatus(port, "/chat/" + other + "?token=" + alice));
      assertEquals(404, upgradeStatus(port, "/chat/nosuchstream0000"));

      try (ChatClient reader = ChatClient.connect("reader", port, streamId, null);
          ChatClient a = ChatClient.connect("alice", port, streamId, alice);
          ChatClient b = ChatClient.connect("bob", port, streamId, bob)) {
        // everyone sees alice's and bob's messages in one order (whichever the room took first),
        // with the same ids
        reader.await(f -> f.path("type").asText().equals("join"), T);
        a.say("hello");
        b.say("hi alice");
        List<List<String>> orders = new ArrayList<>();
        for (ChatClient c : List.of(reader, a, b)) {
          List<String> order = new ArrayList<>();
          for (int i = 0; i < 2; i++) {
            JsonNode m = c.awaitType("message", T);
            order.add(
                m.get("id").asText()
                    + " "
                    + m.get("user").get("id").asText()
                    + " "
                    + m.get("text").asText());
            assertEquals("viewer", m.get("user").get("role").asText());
          }
          orders.add(order);
        }
        assertEquals(orders.get(0), orders.get(1));
        assertEquals(orders.get(0), orders.get(2));
        assertEquals(
            java.util.Set.of("alice hello", "bob hi alice"),
            java.util.Set.of(
                orders.get(0).get(0).replaceFirst("^\\d+ ", ""),
                orders.get(0).get(1).replaceFirst("^\\d+ ", "")));

        // bad frames: an error frame each, the socket stays
        a.sendText("not json");
        a.awaitError("bad-frame", T);
        a.sendText("{\"type\":\"dance\"}");
        a.awaitError("unknown-type", T);
        a.say("x".repeat(MAX_CHARS + 1));
        a.awaitError("too-long", T);
        a.sendText("{\"type\":\"message\",\"text\":\"" + "y".repeat(9000) + "\"}");
        a.awaitError("too-large", T);
        a.say("   ");
        a.awaitError("empty", T);
        reader.say("lurker speaks");
        reader.awaitError("read-only", T);
        b.sendText("{\"type\":\"delete\",\"id\":\"1\"}");
        b.awaitError("forbidden", T);
        a.say("still here");
        assertEquals("still here", b.awaitType("message", T).get("text").asText());

        // moderation over the socket: delete, slow mode, ban
        try (ChatClient m = ChatClient.connect("mod", port, streamId, mod)) {
          List<String> history = m.messages(3, T);
          assertEquals("still here", history.get(2));
          b.say("spam");
          String spamId =
              m.await(f -> f.path("text").asText().equals("spam"), T).get("id").asText();
          m.sendText("{\"type\":\"delete\",\"id\":\"" + spamId + "\"}");
          for (ChatClient c : List.of(reader, a, b, m)) {
            assertEquals(spamId, c.awaitType("deleted", T).get("id").asText(), c.name);
          }
          try (ChatClient late = ChatClient.connect("late", port, streamId, null)) {
            assertEquals(history, late.messages(3, T));
            late.sendText("{\"type\":\"ping\"}");
            late.awaitType("pong", T); // all the history came before it
            assertTrue(
                late.drain().stream().noneMatch(f -> f.path("type").asText().equals("message")),
                "a deleted message is not in the history");
          }
          m.sendText("{\"type\":\"slow-mode\",\"seconds\":30}");
          a.await(f -> f.path("event").asText().equals("slow-mode"), T);
          a.say("one");
          a.say("two");
          JsonNode slow = a.awaitError("slow-mode", T);
          assertTrue(slow.get("retryAfterMs").asLong() > 20_000, slow.toString());
          m.sendText("{\"type\":\"slow-mode\",\"seconds\":0}");
          a.await(f -> f.path("text").asText().equals("slow mode is off"), T);

          m.sendText("{\"type\":\"ban\",\"userId\":\"bob\",\"seconds\":1e30}");
          m.awaitError("bad-request", T);
          m.sendText("{\"type\":\"delete\",\"id\":\"" + spamId + "\"}");
          m.awaitError("not-found", T); // deleted once is enough
          m.sendText("{\"type\":\"ban\",\"userId\":\"bob\",\"reason\":\"spam\"}");
          JsonNode ban = reader.await(f -> f.path("event").asText().equals("ban"), T);
          assertEquals("bob", ban.get("user").get("id").asText());
          b.awaitError("banned", T);
          assertEquals(1000, b.closed.get(10, java.util.concurrent.TimeUnit.SECONDS));
        }
        try (ChatClient b2 = ChatClient.connect("bob again", port, streamId, bob)) {
          b2.say("let me back");
          b2.awaitError("banned", T);
        }
        JsonNode info =
            ChatClient.JSON.readTree(
                node.send("GET", "/api/v1/streams/" + streamId + "/chat", OP, null).body());
        assertTrue(info.get("bans").has("bob"), info.toString());
        assertEquals("spam", info.get("bans").get("bob").get("reason").asText());
        assertEquals(1, info.get("deleted").asLong(), info.toString());
        // the operator lifts the ban and bob writes again
        assertEquals(
            204,
            node.send("DELETE", "/api/v1/streams/" + streamId + "/chat/bans/bob", OP, null)
                .statusCode());
        try (ChatClient b3 = ChatClient.connect("bob unbanned", port, streamId, bob)) {
          b3.say("thanks");
          assertEquals(
              "thanks",
              reader.await(f -> f.path("text").asText().equals("thanks"), T).get("text").asText());
        }

        // a banned moderator moderates no more, and cannot lift their own ban
        String rogue = ChatClient.token(node, OP, streamId, "rogue", "moderator");
        assertEquals(
            204,
            node.send(
                    "PUT",
                    "/api/v1/streams/" + streamId + "/chat/bans/rogue",
                    OP,
                    "{\"reason\":\"abuse of power\",\"seconds\":3600}")
                .statusCode());
        try (ChatClient r = ChatClient.connect("rogue", port, streamId, rogue)) {
          r.sendText("{\"type\":\"unban\",\"userId\":\"rogue\"}");
          r.awaitError("forbidden", T);
          r.sendText("{\"type\":\"slow-mode\",\"seconds\":60}");
          r.awaitError("forbidden", T);
        }

        // the creator moderates their own room
        try (ChatClient d = ChatClient.connect("dj", port, streamId, dj)) {
          d.sendText("{\"type\":\"slow-mode\",\"seconds\":0}");
          d.await(f -> f.path("event").asText().equals("slow-mode"), T);
        }

        // repeated abuse closes that socket alone
        try (ChatClient carol =
            ChatClient.connect(
                "carol", port, streamId, ChatClient.token(node, OP, streamId, "carol", "viewer"))) {
          for (int i = 0; i < 11; i++) {
            carol.sendText("garbage " + i);
          }
          carol.awaitError("abuse", T);
          assertEquals(1000, carol.closed.get(10, java.util.concurrent.TimeUnit.SECONDS));
        }
        // fuzz: mutated client frames (as text and as binary) over sockets of a moderator, a
        // viewer and an anonymous reader; each socket is replaced when abuse closes it
        java.util.Random random = new java.util.Random(11);
        String[] valid = {
          "{\"type\":\"message\",\"text\":\"fuzz\"}",
          "{\"type\":\"delete\",\"id\":\"3\"}",
          "{\"type\":\"ban\",\"userId\":\"nobody\",\"seconds\":5}",
          "{\"type\":\"slow-mode\",\"seconds\":0}",
          "{\"type\":\"unban\",\"userId\":\"nobody\"}"
        };
        String fuzzMod = ChatClient.token(node, OP, streamId, "fuzz-mod", "moderator");
        String[] fuzzTokens = {fuzzMod, alice, null};
        for (int round = 0; round < 30; round++) {
          try (ChatClient f =
              ChatClient.connect("fuzz", port, streamId, fuzzTokens[round % fuzzTokens.length])) {
            for (int i = 0; i < 10; i++) {
              byte[] frame =
                  com.nrsgirls.streaming.testkit.Mutator.mutate(
                      valid[random.nextInt(valid.length)].getBytes(StandardCharsets.UTF_8), random);
              if (random.nextInt(4) == 0) {
                f.sendBinary(frame);
              } else {
                f.sendText(new String(frame, StandardCharsets.UTF_8));
              }
            }
          }
        }
        assertEquals(200, node.send("GET", "/health/ready", null, null).statusCode());
        // what a mutated moderation may have turned on is turned off again
        assertEquals(
            204,
            node.send(
                    "PUT", "/api/v1/streams/" + streamId + "/chat/slow-mode", OP, "{\"seconds\":0}")
                .statusCode());
        node.send("DELETE", "/api/v1/streams/" + streamId + "/chat/bans/alice", OP, null);
        a.say("after carol");
        reader.await(f -> f.path("text").asText().equals("after carol"), T);

        // a client that never reads is cut off; the others get every message, in order
        reader.drain();
        try (Socket deaf = new Socket()) {
          deaf.setReceiveBufferSize(4096);
          deaf.connect(new InetSocketAddress("127.0.0.1", port));
          upgrade(deaf, "/chat/" + streamId);
          String filler = "z".repeat(MAX_CHARS - 10);
          for (int i = 0; i < FLOOD; i++) {
            a.say(i + " " + filler);
          }
          List<String> got = reader.messages(FLOOD, Duration.ofSeconds(60));
          for (int i = 0; i < FLOOD; i++) {
            assertTrue(got.get(i).startsWith(i + " "), "message " + i + " was " + got.get(i));
          }
          node.awaitLog(Pattern.compile("closed by the server \\(slow-consumer\\)"), T);
          assertTrue(
              metric(node, "nrs_chat_disconnects_total{reason=\"slow-consumer\"}") >= 1,
              "counted in /metrics");
          // what the node sent before it cut the socket, then the end of the stream
          deaf.setSoTimeout(10_000);
          InputStream in = deaf.getInputStream();
          byte[] buf = new byte[65536];
          try {
            while (in.read(buf) >= 0) {
              // drain
            }
          } catch (java.net.SocketException reset) {
            // an abort may come as a reset: closed either way
          }
        }

        assertFalse(a.closed.isDone(), "the sender's socket stays open");
        assertTrue(metric(node, "nrs_chat_messages_total") >= FLOOD);
      }
      // sockets gone: the gauge is back at 0
      long deadline = System.nanoTime() + T.toNanos();
      while (metric(node, "nrs_chat_sockets") != 0 && System.nanoTime() < deadline) {
        Thread.sleep(50); // poll interval of a probe
      }
      assertEquals(0, metric(node, "nrs_chat_sockets"));

      // a plain GET (no upgrade) is refused and leaves no socket behind
      assertEquals(400, node.send("GET", "/chat/" + streamId, null, null).statusCode());
      // the per-address limit holds WebSockets, which leave the HTTP connection limits
      List<Socket> held = new ArrayList<>();
      try {
        for (int i = 0; i < SOCKETS_PER_ADDRESS; i++) {
          Socket s = new Socket("127.0.0.1", port);
          held.add(s);
          assertEquals(101, upgrade(s, "/chat/" + streamId));
        }
        long until = System.nanoTime() + T.toNanos();
        while (metric(node, "nrs_chat_sockets") < SOCKETS_PER_ADDRESS
            && System.nanoTime() < until) {
          Thread.sleep(50); // poll interval of a probe
        }
        assertEquals(503, upgradeStatus(port, "/chat/" + streamId));
      } finally {
        for (Socket s : held) {
          s.close();
        }
      }
      deadline = System.nanoTime() + T.toNanos();
      while (metric(node, "nrs_chat_sockets") != 0 && System.nanoTime() < deadline) {
        Thread.sleep(50); // poll interval of a probe
      }
      assertEquals(0, metric(node, "nrs_chat_sockets"), "every socket counted once, closed once");
      String log = node.logText();
      assertFalse(log.contains(alice), "a chat token reached the log");
      assertFalse(log.contains(mod), "a chat token reached the log");
    }
  }

  /** The status of a WebSocket upgrade request. */
  private static int upgradeStatus(int port, String path) throws Exception {
    try (Socket s = new Socket("127.0.0.1", port)) {
      return upgrade(s, path);
    }
  }

  private static int upgrade(Socket s, String path) throws Exception {
    OutputStream out = s.getOutputStream();
    String key =
        Base64.getEncoder().encodeToString("0123456789abcdef".getBytes(StandardCharsets.US_ASCII));
    out.write(
        ("GET "
                + path
                + " HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Key: "
                + key
                + "\r\nSec-WebSocket-Version: 13\r\n\r\n")
            .getBytes(StandardCharsets.US_ASCII));
    out.flush();
    InputStream in = s.getInputStream();
    StringBuilder line = new StringBuilder();
    int ch;
    while ((ch = in.read()) != -1 && ch != '\n') {
      line.append((char) ch);
    }
    // the rest of the head is left unread: the deaf client reads nothing more
    return Integer.parseInt(line.toString().split(" ")[1]);
  }

  static double metric(NodeProcess node, String series) throws Exception {
    for (String line : node.send("GET", "/metrics", null, null).body().split("\n")) {
      if (line.startsWith(series + " ")) {
        return Double.parseDouble(line.substring(series.length() + 1).trim());
      }
    }
    return 0;
  }
}

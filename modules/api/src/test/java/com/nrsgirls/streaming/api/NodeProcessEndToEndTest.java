package com.nrsgirls.streaming.api;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.nrsgirls.streaming.testkit.TestClips;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The node as operators run it ({@link NodeProcess}): a generated admin token kept owner-only in
 * the data directory and never written to the log, a journal only its owner can read, and a crash
 * (SIGKILL) in the middle of a live session that the restarted node recovers from its journal.
 */
class NodeProcessEndToEndTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path work;

  @Test
  void aKilledNodeComesBackWithItsStreams() throws Exception {
    Path data = work.resolve("data");
    Map<String, String> env = NodeProcess.environment(data);
    Path clip = TestClips.flv(8, 640, 360);
    String token;
    String streamId;

    try (NodeProcess node =
        NodeProcess.start(env, work.resolve("node1.log")).awaitReady(Duration.ofSeconds(60))) {
      String log =
          node.awaitLog(
              Pattern.compile("Operator API token generated and kept in \\S+"),
              Duration.ofSeconds(10));
      token = Files.readString(data.resolve("admin-token")).strip();
      assertFalse(log.contains(token), "the generated token never reaches the log");
      assertEquals("rwx--x--x", permissions(data), "others may pass, not list");
      assertEquals("rwx------", permissions(data.resolve("journal")), "the journal is the owner's");
      assertEquals("rw-------", permissions(data.resolve("admin-token")));
      try (var journal = Files.list(data.resolve("journal"))) {
        for (Path f : journal.toList()) {
          assertEquals("rw-------", permissions(f), f + " is the owner's");
        }
      }

      JsonNode created =
          JSON.readTree(
              node.send(
                      "POST",
                      "/api/v1/streams",
                      token,
                      "{\"creatorId\":\"dj-7\",\"creatorType\":\"PERFORMER\",\"title\":\"crash\"}")
                  .body());
      streamId = created.get("streamId").asText();
      String key = created.get("streamKey").asText();
      assertEquals(
          "rtmp://127.0.0.1:" + env.get("NRS_RTMP_PORT") + "/live",
          created.get("ingestUrl").asText());
      Process publisher = Publisher.start(clip, node.rtmpUrl(key), 4);
      try {
        NodeProcess.awaitFile(
            node.mediaPlaylist(streamId), Duration.ofSeconds(20), t -> t.contains(".ts"));
        // the secret follows "live_{streamId}_" and may itself contain '_'
        String secret = key.substring(("live_" + streamId + "_").length());
        assertFalse(node.logText().contains(secret), "no key in the log");
        node.kill(); // SIGKILL: no shutdown hooks, no chance to end the session
      } finally {
        Publisher.kill(publisher);
      }
    }

    try (NodeProcess again =
        NodeProcess.start(env, work.resolve("node2.log")).awaitReady(Duration.ofSeconds(60))) {
      // Ended by the node itself, before anyone asks about the stream.
      NodeProcess.awaitFile(
          again.mediaPlaylist(streamId), Duration.ofSeconds(20), t -> t.contains("#EXT-X-ENDLIST"));
      assertFalse(again.logText().contains("Operator API token"), "an existing token: no line");
      JsonNode state =
          JSON.readTree(again.send("GET", "/api/v1/streams/" + streamId, token, null).body());
      assertEquals("idle", state.get("status").asText());
      assertEquals("crash", state.get("title").asText());
      assertEquals(
          "node restarted or stream moved", state.get("lastSession").get("endReason").asText());
      assertTrue(again.terminate(Duration.ofSeconds(60)), "the node stops on SIGTERM");
    }
  }

  private static String permissions(Path p) throws Exception {
    return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
  }
}

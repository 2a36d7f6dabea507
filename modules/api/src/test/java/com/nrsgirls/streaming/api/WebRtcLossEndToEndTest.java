package com.nrsgirls.streaming.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.nrsgirls.streaming.testkit.Chromium;
import com.nrsgirls.streaming.testkit.Ffmpeg;
import com.nrsgirls.streaming.testkit.Processes;
import com.nrsgirls.streaming.testkit.UdpRelay;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * 5 % of a WHIP publisher's RTP lost on the way to the node (a relay that drops them at random,
 * named in the node's answers as its candidate port): the node's NACKs get them sent again, so the
 * stream's HLS decodes without an error.
 */
class WebRtcLossEndToEndTest {
  @TempDir Path dataDir;

  @Test
  void nacksRepairFivePercentLossAndTheHlsStaysClean() throws Exception {
    try (UdpRelay relay = UdpRelay.start(0.05, 5)) {
      try (TestNode node =
          TestNode.start(dataDir, "nrs.streaming.webrtc.candidate-port = " + relay.port() + "\n")) {
        relay.target(node.webrtcAddress());
        JsonNode created = node.createStream("lossy");
        String streamId = created.get("streamId").asText();
        String key = created.get("streamKey").asText();
        try (Chromium publisher = Chromium.start()) {
          WhepEndToEndTest.client(publisher, node);
          JsonNode published =
              publisher.evaluate("nrs.publish('/whip', '" + key + "')", Duration.ofSeconds(20));
          assertEquals(201, published.get("status").asInt(), published.toString());
          assertTrue(
              published.get("answer").asText().contains(" " + relay.port() + " typ host"),
              "the answer names the relay's port");
          node.awaitState(
              streamId, Duration.ofSeconds(20), s -> s.get("status").asText().equals("live"));
          node.awaitFile(
              node.mediaPlaylist(streamId),
              Duration.ofSeconds(60),
              text -> text.lines().filter(l -> l.endsWith(".ts")).count() >= 4);
          JsonNode stats = publisher.evaluate("nrs.stats()", Duration.ofSeconds(5));
          JsonNode sent = stats.path("outbound-rtp-video");
          assertTrue(
              sent.path("nackCount").asInt() > 0
                  && sent.path("retransmittedPacketsSent").asInt() > 0,
              "the node asked for lost packets and got them again: " + sent);
          assertTrue(relay.dropped() > 10, "packets were lost: " + relay.dropped());
          assertEquals(200, publisher.evaluate("nrs.stop()", Duration.ofSeconds(10)).asInt());
        }
        node.awaitFile(
            node.mediaPlaylist(streamId),
            Duration.ofSeconds(30),
            t -> t.contains("#EXT-X-ENDLIST"));
        Processes.Result decoded =
            Ffmpeg.decode(node.httpUrl("/live/" + streamId + "/source/index.m3u8"));
        assertEquals(0, decoded.exitCode(), decoded.stderr());
        assertEquals(
            "",
            decoded.stderr().strip(),
            "the HLS of a publish that lost "
                + relay.dropped()
                + " of "
                + relay.forwarded()
                + " packets decodes cleanly");
      }
    }
  }
}

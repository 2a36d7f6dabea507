package com.nrsgirls.streaming.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.nrsgirls.streaming.testkit.Ffmpeg;
import com.nrsgirls.streaming.testkit.NginxRtmp;
import com.nrsgirls.streaming.testkit.Processes;
import com.nrsgirls.streaming.testkit.TestClips;
import com.nrsgirls.streaming.testkit.TlsProxy;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * RTMPS as Facebook requires it: the node pushes through TLS (the server's certificate checked
 * against a CA it was told to trust, and its host name) to nginx-rtmp behind a TLS front; and as
 * Facebook takes at most 720p, a 1080p stream reaches it from the ladder's 720p rung.
 */
class RestreamTlsEndToEndTest {

  @Test
  void aFacebookTargetIsPushedToThroughTlsFromThe720pRungOfA1080pStream(@TempDir Path dir)
      throws Exception {
    int seconds = 8;
    Path clip = TestClips.flv(seconds, 1920, 1080);
    try (NginxRtmp nginx = NginxRtmp.start(dir.resolve("nginx"));
        TlsProxy tls = TlsProxy.start(dir.resolve("tls"), nginx.port());
        TestNode node =
            TestNode.start(
                dir.resolve("node"),
                "nrs.streaming.pipeline.restream.trusted-certificates = \""
                    + tls.certificatePem()
                    + "\"\n")) {
      JsonNode stream = node.createStream("to facebook");
      String streamId = stream.get("streamId").asText();
      String target = "/api/v1/streams/" + streamId + "/restream-targets/fb";
      HttpResponse<String> plain =
          node.send(
              "PUT",
              target,
              "{\"platform\":\"facebook\",\"url\":\"rtmp://127.0.0.1:1/live\",\"streamKey\":\"k\"}");
      assertEquals(400, plain.statusCode(), plain.body());
      assertTrue(plain.body().contains("RTMPS"), plain.body());
      HttpResponse<String> put =
          node.send(
              "PUT",
              target,
              "{\"platform\":\"facebook\",\"url\":\"rtmps://127.0.0.1:"
                  + tls.port()
                  + "/live\",\"streamKey\":\"fb-key\"}");
      assertEquals(200, put.statusCode(), put.body());

      Process publisher = Publisher.start(clip, node.rtmpUrl(stream.get("streamKey").asText()), 1);
      try {
        JsonNode live =
            node.awaitState(
                    streamId,
                    Duration.ofSeconds(15),
                    s -> s.get("restreamTargets").get(0).get("state").asText().equals("live"))
                .get("restreamTargets")
                .get(0);
        assertEquals("720p", live.get("feed").asText(), live.toString());
        assertTrue(live.get("detail").asText().contains("720p"), live.toString());
        Processes.Result published = Publisher.await(publisher, seconds + 15);
        assertEquals(0, published.exitCode(), published.stderr());
      } finally {
        Publisher.kill(publisher);
      }
      node.awaitState(
          streamId, Duration.ofSeconds(15), s -> s.get("status").asText().equals("idle"));
      assertTrue(tls.handshakes() >= 1, "the push went through TLS");

      Path recorded = nginx.recording("fb-key");
      Processes.Result decoded = Ffmpeg.decode(recorded.toString());
      assertEquals(0, decoded.exitCode(), decoded.stderr());
      assertEquals("", decoded.stderr().strip(), "what went through TLS decodes");
      assertEquals(seconds, RestreamEndToEndTest.mediaSeconds(recorded), 1.5);
      Processes.Result size =
          com.nrsgirls.streaming.testkit.Ffprobe.run(
              recorded.toString(),
              "-select_streams",
              "v:0",
              "-show_entries",
              "stream=width,height",
              "-of",
              "csv=p=0");
      assertEquals("1280,720", size.stdout().strip(), "Facebook got the 720p rung");
    }
  }
}

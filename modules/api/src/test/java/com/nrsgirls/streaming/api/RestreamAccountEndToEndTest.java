package com.nrsgirls.streaming.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.nrsgirls.streaming.testkit.FakeWebApi;
import com.nrsgirls.streaming.testkit.Ffmpeg;
import com.nrsgirls.streaming.testkit.NginxRtmp;
import com.nrsgirls.streaming.testkit.Processes;
import com.nrsgirls.streaming.testkit.TestClips;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A creator who linked a YouTube account: no stream key is given; before the push, the node asks
 * YouTube's API (a local server answering as the Data API v3 documents) for a broadcast and a
 * stream, pushes to the ingestion address it answered (nginx-rtmp here), and completes the
 * broadcast once the stream's outputs end.
 */
class RestreamAccountEndToEndTest {
  private static final String TOKEN = "ya29.linked-account-token";

  @Test
  void aLinkedYouTubeAccountIsAskedWhereToPushAndTheBroadcastIsCompleted(@TempDir Path dir)
      throws Exception {
    int seconds = 6;
    Path clip = TestClips.flv(seconds, 640, 360);
    try (NginxRtmp nginx = NginxRtmp.start(dir.resolve("nginx"));
        FakeWebApi youtube = new FakeWebApi();
        TestNode node =
            TestNode.start(
                dir.resolve("node"),
                "nrs.streaming.pipeline.restream.platforms.youtube.api-url = \""
                    + youtube.base()
                    + "\"\n")) {
      youtube
          .answer(200, "{\"kind\": \"youtube#liveBroadcast\", \"id\": \"bc-1\"}")
          .answer(
              200,
              "{\"kind\": \"youtube#liveStream\", \"id\": \"st-1\", \"cdn\": {\"ingestionInfo\":"
                  + " {\"streamName\": \"yt-stream-name\", \"ingestionAddress\": \""
                  + nginx.serverUrl()
                  + "\"}}}")
          .answer(200, "{\"kind\": \"youtube#liveBroadcast\", \"id\": \"bc-1\"}")
          .answer(200, "{\"kind\": \"youtube#liveBroadcast\", \"id\": \"bc-1\"}");
      JsonNode stream = node.createStream("linked");
      String streamId = stream.get("streamId").asText();
      HttpResponse<String> put =
          node.send(
              "PUT",
              "/api/v1/streams/" + streamId + "/restream-targets/yt",
              "{\"platform\":\"youtube\",\"accessToken\":\"" + TOKEN + "\"}");
      assertEquals(200, put.statusCode(), put.body());
      assertFalse(put.body().contains(TOKEN), put.body());
      assertTrue(node.json(put).get("accountLinked").asBoolean(), put.body());

      Process publisher = Publisher.start(clip, node.rtmpUrl(stream.get("streamKey").asText()), 1);
      try {
        node.awaitState(
            streamId,
            Duration.ofSeconds(10),
            s -> s.get("restreamTargets").get(0).get("state").asText().equals("live"));
        Processes.Result published = Publisher.await(publisher, seconds + 15);
        assertEquals(0, published.exitCode(), published.stderr());
      } finally {
        Publisher.kill(publisher);
      }
      // the outputs end after the reconnect grace: then YouTube hears the broadcast is complete
      long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
      while (youtube.requests.size() < 4 && System.nanoTime() < deadline) {
        Thread.sleep(100); // poll interval of a probe
      }
      assertEquals(4, youtube.requests.size(), youtube.requests.toString());
      assertEquals("Bearer " + TOKEN, youtube.requests.get(0).header("Authorization"));
      assertTrue(
          youtube.requests.get(2).pathAndQuery().contains("bind?part=id,contentDetails&id=bc-1"));
      assertTrue(
          youtube
              .requests
              .get(3)
              .pathAndQuery()
              .contains("transition?part=status&broadcastStatus=complete&id=bc-1"));

      Processes.Result decoded = Ffmpeg.decode(nginx.recording("yt-stream-name").toString());
      assertEquals(0, decoded.exitCode(), decoded.stderr());
      assertEquals("", decoded.stderr().strip(), "YouTube's ingest got a stream that decodes");
    }
  }
}

package com.nrsgirls.streaming.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.nrsgirls.streaming.testkit.PostgresServer;
import com.nrsgirls.streaming.testkit.TestClips;
import com.nrsgirls.streaming.webrtc.dtls.DtlsCertificate;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * WHEP through any node of a cluster: a viewer's offer sent to a node that does not run the stream
 * is forwarded to the one that does, whose answer names its own UDP port; the viewer gets the media
 * from there, and its DELETE, sent to the first node again, ends it where it runs.
 */
class WhepClusterEndToEndTest {
  @TempDir Path work;

  @Test
  void aViewerOfAnotherNodesStreamIsServedByThatNode() throws Exception {
    assumeTrue(PostgresServer.available(), "PostgreSQL server binaries are not installed");
    ExecutorService dtls = Executors.newCachedThreadPool();
    Process publisher = null;
    try (PostgresServer postgres = PostgresServer.start();
        TestCluster cluster = TestCluster.start(work, 2, postgres, null, null)) {
      String[] s = cluster.createStream(0, "whep");
      String owner = cluster.state(0, s[0]).get("ownerNode").asText();
      int ownerIndex = cluster.indexOf(owner);
      int other = 1 - ownerIndex;
      assertNotEquals(-1, ownerIndex, owner);
      publisher =
          Publisher.start(
              TestClips.flv(TestClips.Encoding.NO_B_FRAMES, 10, 640, 360),
              cluster.rtmpUrl(ownerIndex, s[1]),
              6);
      cluster.awaitLive(other, s[0], Duration.ofSeconds(30));

      String through = "http://127.0.0.1:" + cluster.httpPort(other);
      WhepLoadViewer viewer =
          WhepLoadViewer.start(through, s[0], DtlsCertificate.generate(), dtls)
              .get(30, TimeUnit.SECONDS);
      try {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (viewer.rtpPackets() < 300 && System.nanoTime() < deadline) {
          Thread.sleep(100); // poll interval of a probe
        }
        assertTrue(viewer.rtpPackets() >= 300, "media from the owner: " + viewer.rtpPackets());
        assertEquals(0, viewer.undecryptable());
        assertTrue(
            metrics(cluster, ownerIndex).contains("nrs_webrtc_viewers 1.0"),
            "the owner serves the viewer");
        assertTrue(metrics(cluster, other).contains("nrs_webrtc_viewers 0.0"), "not this one");
        HttpResponse<String> deleted =
            TestCluster.HTTP.send(
                HttpRequest.newBuilder(URI.create(through + viewer.location())).DELETE().build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(
            200,
            deleted.statusCode(),
            viewer.location()
                + " "
                + deleted.body()
                + "\n"
                + cluster.logLines(60, "WHEP", "webrtc", "playback"));
        deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!metrics(cluster, ownerIndex).contains("nrs_webrtc_viewers 0.0")
            && System.nanoTime() < deadline) {
          Thread.sleep(100); // poll interval of a probe
        }
        assertTrue(metrics(cluster, ownerIndex).contains("nrs_webrtc_viewers 0.0"), "ended");
      } finally {
        viewer.close();
      }
    } finally {
      Publisher.kill(publisher);
      dtls.shutdownNow();
    }
  }

  private static String metrics(TestCluster cluster, int i) throws Exception {
    return TestCluster.get("http://127.0.0.1:" + cluster.httpPort(i) + "/metrics").body();
  }
}

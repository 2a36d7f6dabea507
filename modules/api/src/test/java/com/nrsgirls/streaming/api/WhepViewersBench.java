package com.nrsgirls.streaming.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.nrsgirls.streaming.webrtc.dtls.DtlsCertificate;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The node's CPU per WHEP viewer (run by {@code bench/whep-viewers}, not in the normal build): a
 * node as run in production ({@code bin/nrs-streaming}, its jar as built, ABR off), one RTMP
 * publish of a live-encoded 1280x720 30 fps signal (libx264 veryfast zerolatency, 2.5 Mbit/s, no
 * B-frames; AAC, which the node turns into Opus for the viewers), and 0, 10, 25 and 50 {@link
 * WhepLoadViewer}s (DTLS, SRTP decrypt, no decoding) in this JVM. For each count, the node's CPU
 * (utime + stime from /proc) over 30 s once the viewers are connected; per viewer, the rise over no
 * viewer divided by their number. The load generator and the encoder share the 2 cores with the
 * node. Written to {@code target/whep-viewers.txt}.
 */
@Tag("bench")
class WhepViewersBench {
  private static final Path ROOT = Path.of("").toAbsolutePath().getParent().getParent();
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path work;

  @Test
  void measure() throws Exception {
    Map<String, String> env = new java.util.HashMap<>(NodeProcess.environment(work));
    env.put("NRS_ADMIN_TOKEN", "tok");
    env.put(
        "NRS_JAVA_OPTS",
        "-Xms128m -Xmx1g -XX:-UseDynamicNumberOfCompilerThreads"
            + " -Dnrs.streaming.pipeline.abr.enabled=off");
    ProcessBuilder pb =
        new ProcessBuilder(ROOT.resolve("bin/nrs-streaming").toString())
            .redirectErrorStream(true)
            .redirectOutput(work.resolve("node.log").toFile());
    pb.environment().keySet().removeIf(k -> k.startsWith("NRS_"));
    pb.environment().putAll(env);
    Process node = pb.start();
    Process ffmpeg = null;
    ExecutorService dtls = Executors.newCachedThreadPool();
    List<String> report = new ArrayList<>();
    try {
      String http = "http://127.0.0.1:" + env.get("NRS_HTTP_PORT");
      HttpClient client = HttpClient.newHttpClient();
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (true) {
        try {
          if (client
                  .send(
                      HttpRequest.newBuilder(URI.create(http + "/health/ready")).build(),
                      HttpResponse.BodyHandlers.discarding())
                  .statusCode()
              == 200) {
            break;
          }
        } catch (java.io.IOException notYet) {
          // the probe retries
        }
        if (System.nanoTime() > deadline || !node.isAlive()) {
          throw new AssertionError(
              "the node did not start: " + Files.readString(work.resolve("node.log")));
        }
        Thread.sleep(100); // poll interval of a probe
      }
      JsonNode created =
          JSON.readTree(
              client
                  .send(
                      HttpRequest.newBuilder(URI.create(http + "/api/v1/streams"))
                          .header("Authorization", "Bearer tok")
                          .header("Content-Type", "application/json")
                          .POST(
                              HttpRequest.BodyPublishers.ofString(
                                  "{\"creatorId\":\"bench\",\"creatorType\":\"DJ\",\"title\":\"whep\"}"))
                          .build(),
                      HttpResponse.BodyHandlers.ofString())
                  .body());
      String streamId = created.get("streamId").asText();
      ffmpeg =
          new ProcessBuilder(
                  "ffmpeg",
                  "-v",
                  "error",
                  "-nostdin",
                  "-re",
                  "-f",
                  "lavfi",
                  "-i",
                  "testsrc2=size=1280x720:rate=30",
                  "-f",
                  "lavfi",
                  "-i",
                  "sine=frequency=440:sample_rate=48000",
                  "-t",
                  "400",
                  "-pix_fmt",
                  "yuv420p",
                  "-c:v",
                  "libx264",
                  "-preset",
                  "veryfast",
                  "-tune",
                  "zerolatency",
                  "-bf",
                  "0",
                  "-g",
                  "60",
                  "-b:v",
                  "2500k",
                  "-maxrate",
                  "2500k",
                  "-bufsize",
                  "2500k",
                  "-c:a",
                  "aac",
                  "-ar",
                  "48000",
                  "-ac",
                  "2",
                  "-b:a",
                  "128k",
                  "-f",
                  "flv",
                  "rtmp://127.0.0.1:"
                      + env.get("NRS_RTMP_PORT")
                      + "/live/"
                      + created.get("streamKey").asText())
              .redirectErrorStream(true)
              .redirectOutput(work.resolve("ffmpeg.log").toFile())
              .start();
      Thread.sleep(5000); // the publish going live: the first viewers below retry until it is
      DtlsCertificate certificate = DtlsCertificate.generate();
      // warm-up: the JIT compiles the viewers' path
      measureWith(node, http, streamId, certificate, dtls, 10, 20);
      double idle = -1;
      for (int n : new int[] {0, 10, 25, 50}) {
        double[] r = measureWith(node, http, streamId, certificate, dtls, n, 30);
        if (n == 0) {
          idle = r[0];
          report.add(String.format("0 viewers: node %.3f cores", r[0]));
        } else {
          double perViewer = (r[0] - idle) / n;
          report.add(
              String.format(
                  "%d viewers: node %.3f cores, %.4f cores per viewer (%.0f viewers per core),"
                      + " %.2f Mbit/s and %.0f packets/s received per viewer",
                  n, r[0], perViewer, 1 / perViewer, r[1], r[2]));
        }
      }
    } finally {
      if (ffmpeg != null) {
        ffmpeg.destroyForcibly();
      }
      node.destroy();
      node.waitFor(20, TimeUnit.SECONDS);
      node.destroyForcibly();
      dtls.shutdownNow();
    }
    String text = String.join("\n", report) + "\n";
    System.out.print(text);
    Files.writeString(Path.of("target", "whep-viewers.txt"), text);
  }

  /** {node cores, Mbit/s per viewer, packets/s per viewer} with {@code n} viewers. */
  private static double[] measureWith(
      Process node,
      String http,
      String streamId,
      DtlsCertificate certificate,
      ExecutorService dtls,
      int n,
      int seconds)
      throws Exception {
    List<WhepLoadViewer> viewers = new ArrayList<>();
    try {
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (viewers.size() < n) {
        try {
          CompletableFuture<WhepLoadViewer> v =
              WhepLoadViewer.start(http, streamId, certificate, dtls);
          viewers.add(v.get(20, TimeUnit.SECONDS));
        } catch (Exception notLiveYet) {
          if (System.nanoTime() > deadline) {
            throw notLiveYet;
          }
          Thread.sleep(500); // retry interval while the publish goes live
        }
      }
      Thread.sleep(5000); // every viewer past its first keyframe
      long packets0 = viewers.stream().mapToLong(WhepLoadViewer::rtpPackets).sum();
      long bytes0 = viewers.stream().mapToLong(WhepLoadViewer::bytes).sum();
      long cpu0 = cpuTicks(node.pid());
      long t0 = System.nanoTime();
      Thread.sleep(seconds * 1000L);
      long cpu1 = cpuTicks(node.pid());
      double elapsed = (System.nanoTime() - t0) / 1e9;
      long packets1 = viewers.stream().mapToLong(WhepLoadViewer::rtpPackets).sum();
      long bytes1 = viewers.stream().mapToLong(WhepLoadViewer::bytes).sum();
      double cores = (cpu1 - cpu0) / 100.0 / elapsed;
      double packetsPerViewer = n == 0 ? 0 : (packets1 - packets0) / elapsed / n;
      double mbits = n == 0 ? 0 : (bytes1 - bytes0) * 8 / 1e6 / elapsed / n;
      return new double[] {cores, mbits, packetsPerViewer};
    } finally {
      for (WhepLoadViewer v : viewers) {
        v.close();
      }
    }
  }

  /** utime + stime of the process, in clock ticks (100 per second on Linux). */
  private static long cpuTicks(long pid) throws Exception {
    String stat = Files.readString(Path.of("/proc", String.valueOf(pid), "stat"));
    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    return Long.parseLong(f[11]) + Long.parseLong(f[12]);
  }
}

package com.nrsgirls.streaming.webrtc.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nrsgirls.streaming.core.media.AvcDecoderConfig;
import com.nrsgirls.streaming.core.media.Codec;
import com.nrsgirls.streaming.core.media.MediaPacket;
import com.nrsgirls.streaming.testkit.FfmpegWhip;
import com.nrsgirls.streaming.testkit.Ffprobe;
import com.nrsgirls.streaming.testkit.Processes;
import com.nrsgirls.streaming.webrtc.dtls.DtlsCertificate;
import com.nrsgirls.streaming.webrtc.ingest.WhipReceiver;
import com.nrsgirls.streaming.webrtc.rtp.RtpPacket;
import com.nrsgirls.streaming.webrtc.sdp.Sdp;
import com.nrsgirls.streaming.webrtc.sdp.WhipAnswer;
import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * FFmpeg's WHIP muxer against the node's WebRTC transport: its offer answered by {@link
 * WhipAnswer}, its checks by the {@link UdpPort}, DTLS with the node as client (FFmpeg offers
 * {@code setup:passive}), SRTP decrypted, the {@link WhipReceiver} turning it into media packets
 * (its PLIs and NACKs sent back over SRTCP from a 20 ms timer): AVCC frames after their
 * configuration record, which ffprobe decodes frame for frame, and Opus packets. The WHIP resource
 * here is the test's own (a JDK HTTP server); the node's real endpoint is the api module's.
 */
class FfmpegWhipTransportTest {
  @TempDir Path work;

  @Test
  void ffmpegsWhipPublishIsDecryptedIntoDecodableH264AndOpus() throws Exception {
    DtlsCertificate certificate = DtlsCertificate.generate();
    ExecutorService blocking = Executors.newCachedThreadPool();
    AtomicReference<WhipReceiver> receiver = new AtomicReference<>();
    java.util.List<MediaPacket> media =
        java.util.Collections.synchronizedList(new java.util.ArrayList<>());
    java.util.concurrent.ScheduledExecutorService timer =
        Executors.newSingleThreadScheduledExecutor();
    AtomicReference<String> authorization = new AtomicReference<>();
    AtomicReference<WhipAnswer.Agreement> agreed = new AtomicReference<>();
    CompletableFuture<InetSocketAddress> connected = new CompletableFuture<>();
    AtomicReference<PeerTransport> peer = new AtomicReference<>();
    HttpServer http = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    try (UdpPort port = UdpPort.bind(new InetSocketAddress("127.0.0.1", 0))) {
      http.createContext(
          "/whip",
          exchange -> {
            try (exchange) {
              if (!exchange.getRequestMethod().equals("POST")) {
                exchange.sendResponseHeaders(200, -1); // FFmpeg's DELETE at the end
                return;
              }
              authorization.set(exchange.getRequestHeaders().getFirst("Authorization"));
              String offer =
                  new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
              IceCredentials ice = IceCredentials.random();
              WhipAnswer.Agreement agreement;
              try {
                agreement =
                    WhipAnswer.answer(
                        Sdp.parse(offer),
                        new WhipAnswer.Local(
                            ice.ufrag(),
                            ice.password(),
                            certificate.fingerprintSha256(),
                            "127.0.0.1",
                            port.localAddress().getPort()));
              } catch (Exception e) {
                exchange.sendResponseHeaders(400, -1);
                return;
              }
              agreed.set(agreement);
              WhipReceiver r =
                  new WhipReceiver(
                      agreement.h264PayloadType(),
                      agreement.opusPayloadType(),
                      0x4e525321L,
                      WhipReceiver.Settings.defaults(),
                      System.nanoTime());
              receiver.set(r);
              peer.set(
                  new PeerTransport(
                      port,
                      ice,
                      certificate,
                      agreement.dtlsClient(),
                      agreement.remoteFingerprint(),
                      Duration.ofSeconds(10),
                      blocking,
                      new PeerTransport.Listener() {
                        @Override
                        public void connected(InetSocketAddress remote) {
                          connected.complete(remote);
                        }

                        @Override
                        public void rtp(RtpPacket packet) {
                          synchronized (r) {
                            r.rtp(packet, System.nanoTime(), media);
                          }
                        }

                        @Override
                        public void rtcp(byte[] packet, int length) {}

                        @Override
                        public void failed(String reason) {
                          connected.completeExceptionally(new AssertionError(reason));
                        }
                      }));
              byte[] answer = agreement.sdp().getBytes(StandardCharsets.UTF_8);
              exchange.getResponseHeaders().add("Content-Type", "application/sdp");
              exchange.getResponseHeaders().add("Location", "/whip/session-1");
              exchange.sendResponseHeaders(201, answer.length);
              exchange.getResponseBody().write(answer);
            }
          });
      http.start();
      // the session's timer: NACKs and PLIs back to FFmpeg over SRTCP
      timer.scheduleAtFixedRate(
          () -> {
            WhipReceiver r = receiver.get();
            PeerTransport t = peer.get();
            if (r == null || t == null) {
              return;
            }
            java.util.List<byte[]> rtcp;
            synchronized (r) {
              rtcp = r.tick(System.nanoTime(), media);
            }
            for (byte[] b : rtcp) {
              t.sendRtcp(b, b.length);
            }
          },
          20,
          20,
          TimeUnit.MILLISECONDS);
      Path log = work.resolve("ffmpeg.log");
      Process ffmpeg =
          FfmpegWhip.start(
              "http://127.0.0.1:" + http.getAddress().getPort() + "/whip", "secret-key", 5, log);
      try {
        connected.get(20, TimeUnit.SECONDS);
        assertTrue(ffmpeg.waitFor(60, TimeUnit.SECONDS), "ffmpeg ends after its 5 s");
      } finally {
        ffmpeg.destroyForcibly();
      }
      String ffmpegLog = Files.readString(log);
      assertEquals(0, ffmpeg.exitValue(), ffmpegLog);
      assertEquals("Bearer secret-key", authorization.get());
      assertTrue(agreed.get().dtlsClient(), "FFmpeg offers setup:passive: the node is the client");
      assertTrue(peer.get().connected());
      peer.get().close();
      assertEquals(0, port.sessions());
    } finally {
      http.stop(0);
      timer.shutdownNow();
      blocking.shutdownNow();
    }
    ByteArrayOutputStream annexB = new ByteArrayOutputStream();
    int accessUnits = 0;
    int keyframes = 0;
    int opusPackets = 0;
    AvcDecoderConfig config = null;
    long lastDts = Long.MIN_VALUE;
    synchronized (media) {
      for (MediaPacket p : media) {
        if (p.codec() == Codec.OPUS) {
          opusPackets++;
        } else if (p.isConfig()) {
          config = AvcDecoderConfig.parse(p.array(), p.offset(), p.length());
        } else {
          assertTrue(config != null, "the config comes before the first frame");
          assertTrue(p.dts() >= lastDts, "video times rise");
          lastDts = p.dts();
          accessUnits++;
          if (p.isKeyframe()) {
            keyframes++;
            for (byte[] nal : config.sps()) {
              annexB.writeBytes(new byte[] {0, 0, 0, 1});
              annexB.writeBytes(nal);
            }
            for (byte[] nal : config.pps()) {
              annexB.writeBytes(new byte[] {0, 0, 0, 1});
              annexB.writeBytes(nal);
            }
          }
          java.nio.ByteBuffer frame = p.payload();
          while (frame.remaining() >= 4) {
            int n = frame.getInt();
            annexB.writeBytes(new byte[] {0, 0, 0, 1});
            byte[] nal = new byte[n];
            frame.get(nal);
            annexB.writeBytes(nal);
          }
        }
      }
    }
    // 5 s at 30 fps with a keyframe every 30 frames, the first ones perhaps before DTLS was done
    assertTrue(accessUnits >= 120, accessUnits + " access units");
    assertTrue(keyframes >= 4, keyframes + " keyframes");
    assertTrue(opusPackets >= 200, opusPackets + " Opus packets (20 ms each)");
    assertEquals(640, config.width());
    Path h264 = work.resolve("received.h264");
    Files.write(h264, annexB.toByteArray());
    Processes.Result probe =
        Ffprobe.run(
            h264.toString(),
            "-count_frames",
            "-select_streams",
            "v:0",
            "-show_entries",
            "stream=codec_name,width,height,nb_read_frames",
            "-of",
            "csv=p=0");
    assertEquals(0, probe.exitCode(), probe.stderr());
    assertEquals("", probe.stderr().strip(), "ffprobe decodes every access unit cleanly");
    List<String> fields = List.of(probe.stdout().strip().split(","));
    assertEquals(List.of("h264", "640", "360", String.valueOf(accessUnits)), fields);
  }
}

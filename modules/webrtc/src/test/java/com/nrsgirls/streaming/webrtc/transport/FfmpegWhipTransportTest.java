package com.nrsgirls.streaming.webrtc.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nrsgirls.streaming.testkit.Ffprobe;
import com.nrsgirls.streaming.testkit.Processes;
import com.nrsgirls.streaming.webrtc.dtls.DtlsCertificate;
import com.nrsgirls.streaming.webrtc.rtp.H264Depacketizer;
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
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * FFmpeg's WHIP muxer against the node's WebRTC transport: its offer answered by {@link
 * WhipAnswer}, its checks by the {@link UdpPort}, DTLS with the node as client (FFmpeg offers
 * {@code setup:passive}), SRTP decrypted, its H.264 depacketized into access units that ffprobe
 * decodes, and its Opus packets counted. The WHIP resource here is the test's own (a JDK HTTP
 * server); the node's real endpoint is the api module's.
 */
class FfmpegWhipTransportTest {
  @TempDir Path work;

  @Test
  void ffmpegsWhipPublishIsDecryptedIntoDecodableH264AndOpus() throws Exception {
    DtlsCertificate certificate = DtlsCertificate.generate();
    ExecutorService blocking = Executors.newCachedThreadPool();
    H264Depacketizer depacketizer = new H264Depacketizer(4 << 20, 1024);
    ByteArrayOutputStream annexB = new ByteArrayOutputStream();
    AtomicInteger accessUnits = new AtomicInteger();
    AtomicInteger keyframes = new AtomicInteger();
    AtomicInteger opusPackets = new AtomicInteger();
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
                          if (packet.payloadType() == agreement.opusPayloadType()) {
                            opusPackets.incrementAndGet();
                          } else if (packet.payloadType() == agreement.h264PayloadType()) {
                            for (H264Depacketizer.AccessUnit au : depacketizer.push(packet)) {
                              if (au.damaged() || (accessUnits.get() == 0 && !au.keyframe())) {
                                continue; // nothing before an IDR with its SPS and PPS
                              }
                              accessUnits.incrementAndGet();
                              if (au.keyframe()) {
                                keyframes.incrementAndGet();
                              }
                              for (byte[] nal : au.nalUnits()) {
                                annexB.writeBytes(new byte[] {0, 0, 0, 1});
                                annexB.writeBytes(nal);
                              }
                            }
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
      blocking.shutdownNow();
    }
    // 5 s at 30 fps with a keyframe every 30 frames, the first ones perhaps before DTLS was done
    assertTrue(accessUnits.get() >= 120, accessUnits.get() + " access units");
    assertTrue(keyframes.get() >= 4, keyframes.get() + " keyframes");
    assertTrue(opusPackets.get() >= 200, opusPackets.get() + " Opus packets (20 ms each)");
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
    assertEquals(List.of("h264", "640", "360", String.valueOf(accessUnits.get())), fields);
  }
}

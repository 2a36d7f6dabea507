package com.nrsgirls.streaming.api;

import com.nrsgirls.streaming.webrtc.dtls.DtlsCertificate;
import com.nrsgirls.streaming.webrtc.dtls.DtlsEndpoint;
import com.nrsgirls.streaming.webrtc.rtp.RtpPacket;
import com.nrsgirls.streaming.webrtc.sdp.Sdp;
import com.nrsgirls.streaming.webrtc.srtp.Srtp;
import com.nrsgirls.streaming.webrtc.stun.StunMessage;
import com.nrsgirls.streaming.webrtc.transport.IceCredentials;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A WHEP viewer without a browser, for load: it offers H.264 and Opus, checks ICE, shakes hands as
 * the DTLS client, then decrypts and counts what comes, sending only a consent check every 2 s. It
 * decodes nothing. Built from the node's own protocol classes (the other side of each).
 */
final class WhepLoadViewer implements AutoCloseable {
  private static final SecureRandom RANDOM = new SecureRandom();

  private final DatagramSocket socket;
  private final InetSocketAddress node;
  private final String checkUsername;
  private final byte[] nodePassword;
  private final DtlsEndpoint dtls;
  private final String location;
  private final String httpBase;
  private final AtomicLong rtp = new AtomicLong();
  private final AtomicLong bytes = new AtomicLong();
  private final AtomicLong undecryptable = new AtomicLong();
  private final CompletableFuture<Void> checked = new CompletableFuture<>();
  private volatile Srtp srtp;
  private volatile boolean closed;

  private WhepLoadViewer(
      DatagramSocket socket,
      InetSocketAddress node,
      String checkUsername,
      byte[] nodePassword,
      DtlsCertificate certificate,
      String nodeFingerprint,
      String httpBase,
      String location) {
    this.socket = socket;
    this.node = node;
    this.checkUsername = checkUsername;
    this.nodePassword = nodePassword;
    this.httpBase = httpBase;
    this.location = location;
    this.dtls =
        new DtlsEndpoint(certificate, true, nodeFingerprint, this::send, Duration.ofSeconds(10));
  }

  /** Offers, connects and starts receiving; completes once SRTP keys are there. */
  static CompletableFuture<WhepLoadViewer> start(
      String httpBase, String streamId, DtlsCertificate certificate, Executor dtlsPool)
      throws Exception {
    IceCredentials local = IceCredentials.random();
    String offer =
        String.join(
            "\r\n",
            "v=0",
            "o=- 1 2 IN IP4 127.0.0.1",
            "s=-",
            "t=0 0",
            "a=group:BUNDLE 0 1",
            "m=video 9 UDP/TLS/RTP/SAVPF 102",
            "c=IN IP4 0.0.0.0",
            "a=ice-ufrag:" + local.ufrag(),
            "a=ice-pwd:" + local.password(),
            "a=fingerprint:sha-256 " + certificate.fingerprintSha256(),
            "a=setup:active",
            "a=mid:0",
            "a=recvonly",
            "a=rtcp-mux",
            "a=rtpmap:102 H264/90000",
            "a=fmtp:102 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f",
            "m=audio 9 UDP/TLS/RTP/SAVPF 111",
            "c=IN IP4 0.0.0.0",
            "a=ice-ufrag:" + local.ufrag(),
            "a=ice-pwd:" + local.password(),
            "a=fingerprint:sha-256 " + certificate.fingerprintSha256(),
            "a=setup:active",
            "a=mid:1",
            "a=recvonly",
            "a=rtcp-mux",
            "a=rtpmap:111 opus/48000/2",
            "");
    HttpResponse<String> answer =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(URI.create(httpBase + "/whep/" + streamId))
                    .POST(HttpRequest.BodyPublishers.ofString(offer))
                    .header("Content-Type", "application/sdp")
                    .build(),
                HttpResponse.BodyHandlers.ofString());
    if (answer.statusCode() != 201) {
      throw new IOException("WHEP refused: " + answer.statusCode() + " " + answer.body());
    }
    Sdp sdp = Sdp.parse(answer.body());
    Sdp.Media video = sdp.media().get(0);
    String[] candidate = video.attribute("candidate").split(" ");
    InetSocketAddress node =
        new InetSocketAddress(InetAddress.getByName(candidate[4]), Integer.parseInt(candidate[5]));
    DatagramSocket socket = new DatagramSocket(0, InetAddress.getLoopbackAddress());
    socket.setReceiveBufferSize(1 << 20);
    WhepLoadViewer viewer =
        new WhepLoadViewer(
            socket,
            node,
            video.attribute("ice-ufrag") + ":" + local.ufrag(),
            video.attribute("ice-pwd").getBytes(StandardCharsets.UTF_8),
            certificate,
            "sha-256 " + video.attribute("fingerprint").substring("sha-256 ".length()).strip(),
            httpBase,
            answer.headers().firstValue("Location").orElseThrow());
    Thread reader = new Thread(viewer::read, "whep-load-viewer");
    reader.setDaemon(true);
    reader.start();
    viewer.check();
    return viewer
        .checked
        .orTimeout(5, TimeUnit.SECONDS)
        .thenCompose(answered -> viewer.dtls.start(dtlsPool)) // the node knows our address now
        .thenApply(
            keys -> {
              viewer.srtp = new Srtp(keys);
              return viewer;
            });
  }

  private void send(byte[] datagram) {
    try {
      socket.send(new DatagramPacket(datagram, datagram.length, node));
    } catch (IOException e) {
      // UDP: a lost datagram is retried by whoever sent it
    }
  }

  /** An ICE check (also the consent check that keeps the viewer alive at the node). */
  void check() {
    byte[] tid = new byte[12];
    RANDOM.nextBytes(tid);
    send(
        new StunMessage.Builder(StunMessage.BINDING_REQUEST, tid)
            .add(StunMessage.USERNAME, checkUsername)
            .add(StunMessage.USE_CANDIDATE, new byte[0])
            .build(nodePassword, true));
  }

  private void read() {
    byte[] buffer = new byte[2048];
    long lastCheck = System.nanoTime();
    while (!closed) {
      DatagramPacket in = new DatagramPacket(buffer, buffer.length);
      try {
        socket.setSoTimeout(500);
        socket.receive(in);
      } catch (IOException e) {
        if (closed) {
          return;
        }
        continue; // a timeout: time for a consent check, perhaps
      } finally {
        if (System.nanoTime() - lastCheck > TimeUnit.SECONDS.toNanos(2)) {
          lastCheck = System.nanoTime();
          check();
        }
      }
      int first = buffer[0] & 0xff;
      byte[] d = Arrays.copyOf(buffer, in.getLength());
      if (first <= 3) {
        checked.complete(null); // the node answered our check
      } else if (first >= 20 && first <= 63) {
        dtls.receive(d);
      } else if (first >= 128 && first <= 191) {
        Srtp keys = srtp;
        if (keys == null || RtpPacket.isRtcp(d, 0, d.length)) {
          continue;
        }
        int n = keys.unprotectRtp(d, 0, d.length);
        if (n < 0) {
          undecryptable.incrementAndGet();
        } else {
          rtp.incrementAndGet();
          bytes.addAndGet(n);
        }
      }
    }
  }

  /** The viewer's resource, as the node's answer named it ({@code /whep/{streamId}/{id}}). */
  String location() {
    return location;
  }

  long rtpPackets() {
    return rtp.get();
  }

  /** RTP bytes received and decrypted (headers included). */
  long bytes() {
    return bytes.get();
  }

  long undecryptable() {
    return undecryptable.get();
  }

  @Override
  public void close() {
    closed = true;
    try {
      HttpClient.newHttpClient()
          .send(
              HttpRequest.newBuilder(URI.create(httpBase + location)).DELETE().build(),
              HttpResponse.BodyHandlers.discarding());
    } catch (IOException | InterruptedException e) {
      // the node times the viewer out instead
    }
    dtls.close();
    socket.close();
  }
}

package com.nrsgirls.streaming.webrtc.srtp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nrsgirls.streaming.webrtc.dtls.DtlsCertificate;
import com.nrsgirls.streaming.webrtc.dtls.DtlsEndpoint;
import com.nrsgirls.streaming.webrtc.rtp.Rtcp;
import com.nrsgirls.streaming.webrtc.rtp.RtpPacket;
import java.time.Duration;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntPredicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * DTLS-SRTP between two of our endpoints, one in each role, over an in-memory link that can lose
 * datagrams: the keys mirror each other, SRTP and SRTCP round-trip, and a wrong certificate or a
 * tampered packet is refused.
 */
class DtlsSrtpTest {
  private static final ExecutorService THREADS = Executors.newCachedThreadPool();
  private static final DtlsCertificate NODE = DtlsCertificate.generate();
  private static final DtlsCertificate PEER = DtlsCertificate.generate();

  @AfterAll
  static void stop() {
    THREADS.shutdownNow();
  }

  /** A pair of endpoints wired to each other; {@code lose} drops the n-th datagram (both ways). */
  private static DtlsEndpoint[] pair(
      DtlsCertificate serverCert,
      String serverExpects,
      DtlsCertificate clientCert,
      String clientExpects,
      IntPredicate lose) {
    AtomicReference<DtlsEndpoint> server = new AtomicReference<>();
    AtomicReference<DtlsEndpoint> client = new AtomicReference<>();
    AtomicInteger sent = new AtomicInteger();
    Duration timeout = Duration.ofSeconds(40);
    server.set(
        new DtlsEndpoint(
            serverCert,
            false,
            serverExpects,
            d -> {
              if (!lose.test(sent.incrementAndGet())) {
                client.get().receive(d);
              }
            },
            timeout));
    client.set(
        new DtlsEndpoint(
            clientCert,
            true,
            clientExpects,
            d -> {
              if (!lose.test(sent.incrementAndGet())) {
                server.get().receive(d);
              }
            },
            timeout));
    return new DtlsEndpoint[] {server.get(), client.get()};
  }

  private static byte[] rtp(boolean marker, int sequence, long timestamp, byte[] payload) {
    byte[] out = new byte[RtpPacket.HEADER + payload.length];
    RtpPacket.write(out, 0, marker, 96, sequence, timestamp, 0x1234, payload, 0, payload.length);
    return out;
  }

  private static String sha256(DtlsCertificate c) {
    return "sha-256 " + c.fingerprintSha256();
  }

  @Test
  void bothRolesAgreeOnMirroredKeysAndCarrySrtpBothWays() throws Exception {
    DtlsEndpoint[] ends = pair(NODE, sha256(PEER), PEER, sha256(NODE), n -> false);
    var serverKeys = ends[0].start(THREADS);
    var clientKeys = ends[1].start(THREADS);
    DtlsEndpoint.Keys s = serverKeys.get(15, TimeUnit.SECONDS);
    DtlsEndpoint.Keys c = clientKeys.get(15, TimeUnit.SECONDS);
    assertEquals(s.profile(), c.profile());
    assertArrayEquals(s.localKey(), c.remoteKey());
    assertArrayEquals(s.localSalt(), c.remoteSalt());
    assertArrayEquals(c.localKey(), s.remoteKey());
    assertFalse(Arrays.equals(s.localKey(), s.remoteKey()), "each direction has its own key");

    try (Srtp node = new Srtp(s);
        Srtp peer = new Srtp(c)) {
      Random random = new Random(7);
      for (int seq = 0; seq < 300; seq++) {
        byte[] payload = new byte[1 + random.nextInt(1100)];
        random.nextBytes(payload);
        byte[] plain = rtp(false, 65500 + seq & 0xffff, 9000L * seq, payload);
        byte[] wire = Arrays.copyOf(plain, plain.length + peer.rtpOverhead());
        int len = peer.protectRtp(wire, 0, plain.length);
        assertEquals(plain.length + peer.rtpOverhead(), len);
        assertFalse(
            Arrays.equals(plain, 12, plain.length, wire, 12, plain.length), "payload encrypted");
        byte[] received = Arrays.copyOf(wire, len);
        assertEquals(plain.length, node.unprotectRtp(received, 0, len), "packet " + seq);
        assertArrayEquals(plain, Arrays.copyOf(received, plain.length));
        // the same packet again (a NACK's repair may come long after) still authenticates: the
        // jitter buffer, not SRTP, drops duplicates
        assertEquals(plain.length, node.unprotectRtp(Arrays.copyOf(wire, len), 0, len));
      }
      // a flipped bit anywhere fails authentication
      byte[] plain = rtp(true, 264, 1, new byte[200]); // the next after 65500 + 299, wrapped
      byte[] wire = Arrays.copyOf(plain, plain.length + peer.rtpOverhead());
      int len = peer.protectRtp(wire, 0, plain.length);
      for (int i = 0; i < len; i += 13) {
        byte[] bad = Arrays.copyOf(wire, len);
        bad[i] ^= 0x10;
        assertEquals(-1, node.unprotectRtp(bad, 0, len), "bit flipped at " + i);
      }
      assertEquals(plain.length, node.unprotectRtp(wire, 0, len));
      // junk under new SSRCs neither authenticates nor takes the peer's SSRC slots
      for (int i = 0; i < 3 * Srtp.MAX_SSRCS; i++) {
        byte[] junk = Arrays.copyOf(wire, len);
        junk[8] = (byte) (0x40 + i);
        assertEquals(-1, node.unprotectRtp(junk, 0, len));
      }
      byte[] second = rtp(false, 1, 2, new byte[100]);
      second[8] = 0x77; // a real new SSRC from the peer still gets a context
      byte[] sealed = Arrays.copyOf(second, second.length + peer.rtpOverhead());
      int sealedLength = peer.protectRtp(sealed, 0, second.length);
      assertEquals(second.length, node.unprotectRtp(sealed, 0, sealedLength));

      // SRTCP from the node: a PLI and a NACK, both read back by the peer
      byte[] pli = Rtcp.pli(0x99, 0x1234);
      byte[] out = Arrays.copyOf(pli, pli.length + Srtp.rtcpOverhead());
      int rtcpLen = node.protectRtcp(out, 0, pli.length);
      assertEquals(pli.length + Srtp.rtcpOverhead(), rtcpLen);
      assertEquals(pli.length, peer.unprotectRtcp(out, 0, rtcpLen));
      assertArrayEquals(pli, Arrays.copyOf(out, pli.length));
    }
  }

  /**
   * A lost ClientHello, a lost datagram of the server's flight, of the client's second flight and
   * of the server's last: each is sent again and the handshake completes. (Bouncy Castle 1.84 does
   * not recover when the client's CertificateVerify alone is lost: its Finished arrives first and
   * the retransmitted flight does not unstick the server. Seen in a sweep of single losses.)
   */
  @Test
  void aHandshakeThatLosesADatagramOfAFlightSendsItAgain() throws Exception {
    for (int lost : new int[] {1, 3, 7, 12}) {
      DtlsEndpoint[] ends = pair(NODE, sha256(PEER), PEER, sha256(NODE), n -> n == lost);
      var s = ends[0].start(THREADS);
      var c = ends[1].start(THREADS);
      assertArrayEquals(
          s.get(30, TimeUnit.SECONDS).localKey(),
          c.get(30, TimeUnit.SECONDS).remoteKey(),
          "datagram " + lost + " lost");
    }
  }

  @Test
  void aCertificateOtherThanTheSdpNamedIsRefusedInEitherRole() {
    DtlsCertificate stranger = DtlsCertificate.generate();
    // the server expects PEER but the client shows the stranger's certificate
    DtlsEndpoint[] ends = pair(NODE, sha256(PEER), stranger, sha256(NODE), n -> false);
    var s = ends[0].start(THREADS);
    ends[1].start(THREADS);
    assertThrows(ExecutionException.class, () -> s.get(15, TimeUnit.SECONDS));
    // the client expects PEER's certificate from a server showing NODE's
    DtlsEndpoint[] other = pair(NODE, sha256(PEER), PEER, sha256(PEER), n -> false);
    other[0].start(THREADS);
    var c = other[1].start(THREADS);
    assertThrows(ExecutionException.class, () -> c.get(15, TimeUnit.SECONDS));
    other[0].close();
    ends[1].close();
  }

  @Test
  void garbageBeforeAndDuringTheHandshakeNeitherThrowsNorStopsIt() throws Exception {
    Random random = new Random(11);
    DtlsEndpoint[] ends = pair(NODE, sha256(PEER), PEER, sha256(NODE), n -> false);
    for (int i = 0; i < 40; i++) {
      byte[] junk = new byte[random.nextInt(300)];
      random.nextBytes(junk);
      if (junk.length > 0) {
        junk[0] = (byte) (20 + random.nextInt(44)); // looks like DTLS to the demultiplexer
      }
      ends[0].receive(junk);
    }
    var s = ends[0].start(THREADS);
    var c = ends[1].start(THREADS);
    assertArrayEquals(
        s.get(30, TimeUnit.SECONDS).localKey(), c.get(30, TimeUnit.SECONDS).remoteKey());
  }

  @Test
  void closingAnEndpointEndsItsHandshake() {
    DtlsEndpoint lonely =
        new DtlsEndpoint(NODE, false, sha256(PEER), d -> {}, Duration.ofSeconds(60));
    var keys = lonely.start(THREADS);
    lonely.close();
    assertThrows(ExecutionException.class, () -> keys.get(5, TimeUnit.SECONDS));
    assertTrue(lonely.ended().isDone());
  }

  @Test
  void fingerprintsMatchOnlyTheirCertificate() {
    assertTrue(DtlsCertificate.matches(sha256(NODE), NODE.der()));
    assertTrue(DtlsCertificate.matches(sha256(NODE).toLowerCase(), NODE.der()));
    assertTrue(
        DtlsCertificate.matches(
            "sha-1 " + DtlsCertificate.fingerprint("sha-1", NODE.der()), NODE.der()));
    assertFalse(DtlsCertificate.matches(sha256(NODE), PEER.der()));
    assertFalse(DtlsCertificate.matches("md5 00:11", NODE.der()));
    assertFalse(DtlsCertificate.matches("sha-256", NODE.der()));
    assertFalse(DtlsCertificate.matches(null, NODE.der()));
    assertEquals(32 * 3 - 1, NODE.fingerprintSha256().length());
  }
}

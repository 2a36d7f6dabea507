package com.nrsgirls.streaming.webrtc.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nrsgirls.streaming.webrtc.stun.StunMessage;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The shared port over real UDP on 127.0.0.1: a check with the session's credentials is answered
 * with the address it came from and routes that address's DTLS and media to the session; a wrong
 * password, an unknown ufrag or media from an unchecked address is dropped and counted; thousands
 * of random datagrams leave the port answering.
 */
class UdpPortTest {
  private static final IceCredentials ICE =
      new IceCredentials("abcd1234", "p4ssw0rdp4ssw0rdp4ssw0");

  /** Records what the port hands the session. */
  private static final class Recorder implements UdpPort.Endpoint {
    final BlockingQueue<String> events = new LinkedBlockingQueue<>();

    @Override
    public String localPassword() {
      return ICE.password();
    }

    @Override
    public void checked(InetSocketAddress remote, boolean useCandidate) {
      events.add("checked " + remote.getPort() + " " + useCandidate);
    }

    @Override
    public void dtls(byte[] datagram) {
      events.add("dtls " + datagram.length);
    }

    @Override
    public void media(byte[] datagram) {
      events.add("media " + datagram.length);
    }
  }

  private static byte[] check(String username, String password) {
    byte[] tid = new byte[12];
    new Random().nextBytes(tid);
    return new StunMessage.Builder(StunMessage.BINDING_REQUEST, tid)
        .add(StunMessage.USERNAME, username)
        .add(StunMessage.USE_CANDIDATE, new byte[0])
        .build(password.getBytes(StandardCharsets.UTF_8), true);
  }

  private static byte[] receive(DatagramSocket socket) throws Exception {
    DatagramPacket p = new DatagramPacket(new byte[1500], 1500);
    try {
      socket.receive(p);
    } catch (SocketTimeoutException e) {
      return null;
    }
    return java.util.Arrays.copyOf(p.getData(), p.getLength());
  }

  @Test
  void checksRouteTheirAddressToTheSessionAndEverythingElseIsCounted() throws Exception {
    try (UdpPort port = UdpPort.bind(new InetSocketAddress("127.0.0.1", 0));
        DatagramSocket peer = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
      peer.setSoTimeout(300);
      Recorder session = new Recorder();
      port.register(ICE.ufrag(), session);
      InetSocketAddress to = port.localAddress();

      // media before any check: from an address no session knows
      peer.send(new DatagramPacket(new byte[] {(byte) 0x80, 96, 0, 1}, 4, to));
      // a check with the wrong password, and one for a ufrag nobody has: both unanswered
      byte[] wrong = check(ICE.ufrag() + ":remote", "not-the-password-at-all");
      peer.send(new DatagramPacket(wrong, wrong.length, to));
      byte[] stranger = check("zzzz9999:remote", ICE.password());
      peer.send(new DatagramPacket(stranger, stranger.length, to));
      assertNull(receive(peer));

      byte[] good = check(ICE.ufrag() + ":remote", ICE.password());
      peer.send(new DatagramPacket(good, good.length, to));
      byte[] answer = receive(peer);
      assertNotNull(answer, "an authenticated check is answered");
      StunMessage success = StunMessage.parse(answer, 0, answer.length);
      assertEquals(StunMessage.BINDING_SUCCESS, success.type());
      assertTrue(success.integrityValid(ICE.password().getBytes(StandardCharsets.UTF_8)));
      assertTrue(success.fingerprintValid());
      InetSocketAddress mapped =
          StunMessage.decodeXorAddress(
              success.value(success.attribute(StunMessage.XOR_MAPPED_ADDRESS)),
              StunMessage.parse(good, 0, good.length).transactionId());
      assertEquals(peer.getLocalPort(), mapped.getPort());
      assertEquals(
          "checked " + peer.getLocalPort() + " true", session.events.poll(5, TimeUnit.SECONDS));

      // now that address's DTLS and media reach the session
      peer.send(new DatagramPacket(new byte[] {22, (byte) 0xfe, (byte) 0xfd, 0}, 4, to));
      peer.send(new DatagramPacket(new byte[] {(byte) 0x80, 96, 0, 2, 0}, 5, to)); // too short
      byte[] rtp = new byte[16];
      rtp[0] = (byte) 0x80;
      peer.send(new DatagramPacket(rtp, rtp.length, to));
      assertEquals("dtls 4", session.events.poll(5, TimeUnit.SECONDS));
      assertEquals("media 16", session.events.poll(5, TimeUnit.SECONDS));

      // random datagrams: dropped or handed on, never the end of the port
      Random random = new Random(5);
      for (int i = 0; i < 3000; i++) {
        byte[] junk = new byte[1 + random.nextInt(600)];
        random.nextBytes(junk);
        if (i % 3 == 0) {
          junk[0] = (byte) random.nextInt(4); // looks like STUN
        }
        peer.send(new DatagramPacket(junk, junk.length, to));
      }
      byte[] again = check(ICE.ufrag() + ":remote", ICE.password());
      DatagramSocket fresh = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0));
      try (fresh) {
        fresh.setSoTimeout(5000);
        fresh.send(new DatagramPacket(again, again.length, to));
        assertNotNull(receive(fresh), "the port still answers after the junk");
      }
      UdpPort.Drops drops = port.drops();
      assertTrue(drops.unknownAddress() >= 1, drops.toString());
      assertTrue(drops.unknownSession() >= 1, drops.toString());
      assertTrue(drops.malformed() >= 1, drops.toString());

      port.unregister(ICE.ufrag());
      assertEquals(0, port.sessions());
      session.events.clear();
      peer.send(new DatagramPacket(new byte[] {(byte) 0x80, 96, 0, 3}, 4, to));
      peer.send(new DatagramPacket(good, good.length, to));
      assertNull(receive(peer), "an unregistered session's checks go unanswered");
      assertNull(session.events.poll(300, TimeUnit.MILLISECONDS));
    }
  }

  @Test
  void anAddressStaysWithItsSessionAndASessionHoldsFewAddresses() throws Exception {
    IceCredentials other = new IceCredentials("wxyz5678", "an0ther-passw0rd-an0ther");
    try (UdpPort port = UdpPort.bind(new InetSocketAddress("127.0.0.1", 0))) {
      Recorder first = new Recorder();
      port.register(ICE.ufrag(), first);
      port.register(other.ufrag(), new Recorder());
      InetSocketAddress to = port.localAddress();
      java.util.List<DatagramSocket> sockets = new java.util.ArrayList<>();
      try {
        for (int i = 0; i <= UdpPort.MAX_ADDRESSES_PER_SESSION; i++) {
          DatagramSocket s = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0));
          s.setSoTimeout(2000);
          sockets.add(s);
          byte[] good = check(ICE.ufrag() + ":remote", ICE.password());
          s.send(new DatagramPacket(good, good.length, to));
          assertNotNull(receive(s));
        }
        // the other session's valid check from the first session's newest address: unanswered
        DatagramSocket taken = sockets.get(sockets.size() - 1);
        taken.setSoTimeout(300);
        byte[] steal = check(other.ufrag() + ":remote", other.password());
        taken.send(new DatagramPacket(steal, steal.length, to));
        assertNull(receive(taken), "an address in use by a session is not handed to another");
        // the oldest of the first session's addresses was evicted: its media goes nowhere
        first.events.clear();
        sockets.get(0).send(new DatagramPacket(new byte[20], 20, to));
        byte[] rtp = new byte[20];
        rtp[0] = (byte) 0x80;
        sockets.get(0).send(new DatagramPacket(rtp, rtp.length, to));
        taken.send(new DatagramPacket(rtp, rtp.length, to));
        assertEquals("media 20", first.events.poll(5, TimeUnit.SECONDS));
        assertNull(first.events.poll(300, TimeUnit.MILLISECONDS), "the evicted address is dropped");
      } finally {
        sockets.forEach(DatagramSocket::close);
      }
    }
  }
}

package com.nrsgirls.streaming.testkit;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.SocketException;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A lossy UDP path for WebRTC tests, as a NAT would be: peers send to the relay's port (the node's
 * answers name it as their candidate port), and each peer gets its own socket towards the target,
 * through which the target's answers come back. RTP packets from the peers (not STUN, DTLS or RTCP)
 * are dropped at random with the given probability; nothing is dropped the other way, so NACKs and
 * retransmissions can repair the loss.
 */
public final class UdpRelay implements AutoCloseable {
  private final DatagramSocket front;
  private final double loss;
  private final Random random;
  private final Map<SocketAddress, DatagramSocket> peers = new ConcurrentHashMap<>();
  private final AtomicLong forwarded = new AtomicLong();
  private final AtomicLong dropped = new AtomicLong();
  private volatile InetSocketAddress target;
  private volatile boolean closed;

  private UdpRelay(DatagramSocket front, double loss, long seed) {
    this.front = front;
    this.loss = loss;
    this.random = new Random(seed);
  }

  /** Listens on a free port of 127.0.0.1; forwards once {@link #target} is set. */
  public static UdpRelay start(double loss, long seed) throws IOException {
    DatagramSocket front = new DatagramSocket(0, InetAddress.getLoopbackAddress());
    front.setReceiveBufferSize(4 << 20); // only the relay's own drops, not the kernel's
    UdpRelay relay = new UdpRelay(front, loss, seed);
    Thread t = new Thread(relay::fromPeers, "udp-relay-" + front.getLocalPort());
    t.setDaemon(true);
    t.start();
    return relay;
  }

  public int port() {
    return front.getLocalPort();
  }

  public void target(InetSocketAddress target) {
    this.target = target;
  }

  /** RTP packets from the peers dropped so far. */
  public long dropped() {
    return dropped.get();
  }

  /** Datagrams from the peers forwarded so far. */
  public long forwarded() {
    return forwarded.get();
  }

  private void fromPeers() {
    byte[] buffer = new byte[65536];
    while (!closed) {
      DatagramPacket in = new DatagramPacket(buffer, buffer.length);
      try {
        front.receive(in);
        InetSocketAddress to = target;
        if (to == null) {
          continue;
        }
        int first = buffer[0] & 0xff;
        int type = in.getLength() > 1 ? buffer[1] & 0x7f : 0;
        boolean rtp = first >= 128 && first <= 191 && !(type >= 64 && type <= 95);
        if (rtp && random.nextDouble() < loss) {
          dropped.incrementAndGet();
          continue;
        }
        DatagramSocket out = peers.computeIfAbsent(in.getSocketAddress(), this::open);
        out.send(new DatagramPacket(buffer, in.getLength(), to));
        forwarded.incrementAndGet();
      } catch (IOException | RuntimeException e) {
        if (closed) {
          return;
        }
      }
    }
  }

  private DatagramSocket open(SocketAddress peer) {
    try {
      DatagramSocket out = new DatagramSocket(0, InetAddress.getLoopbackAddress());
      out.setReceiveBufferSize(4 << 20);
      Thread t = new Thread(() -> toPeer(out, peer), "udp-relay-back-" + out.getLocalPort());
      t.setDaemon(true);
      t.start();
      return out;
    } catch (SocketException e) {
      throw new IllegalStateException(e);
    }
  }

  private void toPeer(DatagramSocket out, SocketAddress peer) {
    byte[] buffer = new byte[65536];
    while (!closed) {
      DatagramPacket in = new DatagramPacket(buffer, buffer.length);
      try {
        out.receive(in);
        front.send(new DatagramPacket(buffer, in.getLength(), peer));
      } catch (IOException e) {
        if (closed) {
          return;
        }
      }
    }
  }

  @Override
  public void close() {
    closed = true;
    front.close();
    peers.values().forEach(DatagramSocket::close);
  }
}

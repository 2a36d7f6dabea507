package com.nrsgirls.streaming.webrtc.transport;

import com.nrsgirls.streaming.webrtc.stun.IceLite;
import com.nrsgirls.streaming.webrtc.stun.StunException;
import com.nrsgirls.streaming.webrtc.stun.StunMessage;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.DatagramChannel;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one UDP port every WebRTC session of a node shares (ICE-lite, one host candidate), and the
 * demultiplexing of what arrives on it by its first byte (RFC 7983): STUN (0–3) is a connectivity
 * check, answered here and routed by the USERNAME's local ufrag, which is each session's own; DTLS
 * (20–63) and RTP/RTCP (128–191) go to the session whose checks last came from that address.
 * Anything else, and anything from an address no session has checked from, is dropped and counted.
 *
 * <p>One thread reads the socket; it hands each datagram (a copy) to its endpoint, which must not
 * block. Sends come from any thread (the channel serialises them).
 */
public final class UdpPort implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(UdpPort.class);
  private static final int MAX_DATAGRAM = 1500;

  /** Addresses one session may be checked from at once (ICE may try a few; more are evicted). */
  static final int MAX_ADDRESSES_PER_SESSION = 4;

  private static final long FAILURE_LOG_INTERVAL_NANOS = 10_000_000_000L;

  /** A session's side of the port. Called on the port's reader thread; must not block. */
  public interface Endpoint {
    /** The password connectivity checks for this session are keyed with. */
    String localPassword();

    /** An authenticated connectivity check came from {@code remote} (and was answered). */
    void checked(InetSocketAddress remote, boolean useCandidate);

    /** A DTLS datagram from the session's address. */
    void dtls(byte[] datagram);

    /** An SRTP or SRTCP datagram from the session's address. */
    void media(byte[] datagram);
  }

  /** What was dropped, by cause; each a running total. */
  public record Drops(long malformed, long unknownSession, long unknownAddress, long other) {}

  private final DatagramChannel channel;
  private final InetSocketAddress local;
  private final Map<String, Endpoint> byUfrag = new ConcurrentHashMap<>();
  private final Map<SocketAddress, Endpoint> byAddress = new ConcurrentHashMap<>();

  /** Each session's addresses, oldest first (only the reader thread adds). */
  private final Map<Endpoint, java.util.ArrayDeque<SocketAddress>> addresses =
      new ConcurrentHashMap<>();

  private long lastFailureLogNanos;
  private final Thread reader;
  private final AtomicLong malformed = new AtomicLong();
  private final AtomicLong unknownSession = new AtomicLong();
  private final AtomicLong unknownAddress = new AtomicLong();
  private final AtomicLong other = new AtomicLong();
  private volatile boolean closed;

  private UdpPort(DatagramChannel channel) throws IOException {
    this.channel = channel;
    this.local = (InetSocketAddress) channel.getLocalAddress();
    this.reader = new Thread(this::read, "webrtc-udp-" + local.getPort());
    reader.setDaemon(true);
  }

  /** Binds {@code address} (port 0 for any) and starts reading. */
  public static UdpPort bind(InetSocketAddress address) throws IOException {
    DatagramChannel channel = DatagramChannel.open();
    try {
      channel.setOption(StandardSocketOptions.SO_RCVBUF, 4 << 20);
      channel.setOption(StandardSocketOptions.SO_SNDBUF, 4 << 20);
      channel.bind(address);
      UdpPort port = new UdpPort(channel);
      port.reader.start();
      log.info("webrtc: UDP port {} open", port.local);
      return port;
    } catch (IOException | RuntimeException e) {
      channel.close();
      throw e;
    }
  }

  public InetSocketAddress localAddress() {
    return local;
  }

  /** Routes checks naming {@code ufrag} to {@code endpoint} until {@link #unregister}. */
  public void register(String ufrag, Endpoint endpoint) {
    if (byUfrag.putIfAbsent(ufrag, endpoint) != null) {
      throw new IllegalArgumentException("ufrag " + ufrag + " is taken");
    }
  }

  /** Forgets the session: its ufrag and every address it was checked from. */
  public void unregister(String ufrag) {
    Endpoint endpoint = byUfrag.remove(ufrag);
    if (endpoint != null) {
      addresses.remove(endpoint);
      byAddress.values().removeIf(e -> e == endpoint);
    }
  }

  /** Sessions registered now. */
  public int sessions() {
    return byUfrag.size();
  }

  public Drops drops() {
    return new Drops(malformed.get(), unknownSession.get(), unknownAddress.get(), other.get());
  }

  /** Sends one datagram; a failure is logged, not thrown (UDP promises nothing anyway). */
  public void send(InetSocketAddress to, byte[] data, int off, int len) {
    if (closed) {
      return;
    }
    try {
      channel.send(ByteBuffer.wrap(data, off, len), to);
    } catch (IOException e) {
      if (!closed) {
        log.debug("webrtc: UDP send to {} failed: {}", to, e.toString());
      }
    }
  }

  @Override
  public void close() {
    closed = true;
    try {
      channel.close();
    } catch (IOException e) {
      log.debug("webrtc: closing UDP port {}: {}", local, e.toString());
    }
    reader.interrupt();
  }

  private void read() {
    ByteBuffer buffer = ByteBuffer.allocateDirect(MAX_DATAGRAM);
    while (!closed) {
      SocketAddress from;
      try {
        buffer.clear();
        from = channel.receive(buffer);
      } catch (ClosedChannelException e) {
        break;
      } catch (IOException e) {
        log.warn("webrtc: UDP port {} receive failed: {}", local, e.toString());
        continue;
      }
      if (!(from instanceof InetSocketAddress remote)) {
        continue;
      }
      buffer.flip();
      byte[] datagram = new byte[buffer.remaining()];
      buffer.get(datagram);
      try {
        dispatch(remote, datagram);
      } catch (Throwable e) {
        // one peer's datagram must never stop the port (nor flood the log)
        malformed.incrementAndGet();
        long now = System.nanoTime();
        if (now - lastFailureLogNanos > FAILURE_LOG_INTERVAL_NANOS) {
          lastFailureLogNanos = now;
          log.warn("webrtc: a datagram from {} failed its session: {}", remote, e.toString());
        }
        if (e instanceof VirtualMachineError fatal) {
          throw fatal;
        }
      }
    }
    log.info("webrtc: UDP port {} closed", local);
  }

  private void dispatch(InetSocketAddress from, byte[] d) {
    if (d.length == 0) {
      other.incrementAndGet();
      return;
    }
    int first = d[0] & 0xff;
    if (first <= 3) {
      stun(from, d);
      return;
    }
    Endpoint endpoint = byAddress.get(from);
    if (endpoint == null) {
      unknownAddress.incrementAndGet();
    } else if (first >= 20 && first <= 63) {
      endpoint.dtls(d);
    } else if (first >= 128 && first <= 191) {
      if (d.length < 12) {
        malformed.incrementAndGet(); // shorter than any RTP or RTCP header
        return;
      }
      endpoint.media(d);
    } else {
      other.incrementAndGet();
    }
  }

  /**
   * Notes a new address of the session, evicting its oldest past {@link
   * #MAX_ADDRESSES_PER_SESSION}; false (and the address forgotten) when the session was
   * unregistered meanwhile.
   */
  private boolean remember(Endpoint endpoint, SocketAddress address) {
    java.util.ArrayDeque<SocketAddress> known =
        addresses.computeIfAbsent(endpoint, e -> new java.util.ArrayDeque<>());
    synchronized (known) {
      known.addLast(address);
      if (known.size() > MAX_ADDRESSES_PER_SESSION) {
        byAddress.remove(known.removeFirst(), endpoint);
      }
    }
    if (!byUfrag.containsValue(endpoint)) {
      byAddress.remove(address, endpoint);
      addresses.remove(endpoint);
      return false;
    }
    return true;
  }

  private void stun(InetSocketAddress from, byte[] d) {
    StunMessage request;
    try {
      request = StunMessage.parse(d, 0, d.length);
    } catch (StunException e) {
      malformed.incrementAndGet();
      return;
    }
    if (request.type() != StunMessage.BINDING_REQUEST) {
      other.incrementAndGet(); // indications (keep-alives) and answers need nothing from a lite
      // agent
      return;
    }
    String ufrag = IceLite.localUfrag(request);
    Endpoint endpoint = ufrag == null ? null : byUfrag.get(ufrag);
    if (endpoint == null) {
      unknownSession.incrementAndGet();
      return;
    }
    byte[] answer = IceLite.answer(request, ufrag, endpoint.localPassword(), from);
    if (answer == null) {
      malformed.incrementAndGet(); // wrong integrity: not the session's peer
      return;
    }
    Endpoint holder = byAddress.putIfAbsent(from, endpoint);
    if (holder != null && holder != endpoint) {
      // another session's address: it keeps it until it ends, whoever else checks from there
      unknownSession.incrementAndGet();
      return;
    }
    if (holder == null && !remember(endpoint, from)) {
      return;
    }
    send(from, answer, 0, answer.length);
    endpoint.checked(from, request.has(StunMessage.USE_CANDIDATE));
  }
}

package com.nrsgirls.streaming.webrtc.transport;

import com.nrsgirls.streaming.webrtc.dtls.DtlsCertificate;
import com.nrsgirls.streaming.webrtc.dtls.DtlsEndpoint;
import com.nrsgirls.streaming.webrtc.rtp.RtpException;
import com.nrsgirls.streaming.webrtc.rtp.RtpPacket;
import com.nrsgirls.streaming.webrtc.srtp.Srtp;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One WebRTC peer's transport on the shared {@link UdpPort}: ICE-lite (the peer's checks pick its
 * address), then DTLS in the role the SDP gave, then SRTP both ways. The session above it gets
 * decrypted RTP and RTCP through its {@link Listener} and sends through {@link #sendRtp} and {@link
 * #sendRtcp}. Media before the keys, or that fails authentication, is dropped and counted.
 *
 * <p>The DTLS handshake starts at the first authenticated check: in the client role that is when
 * the node knows where to send its ClientHello; in the server role the peer's ClientHello cannot be
 * routed before a check either.
 */
public final class PeerTransport implements UdpPort.Endpoint, AutoCloseable {
  /** What the session above hears from its peer. Called on the port's thread: never blocks. */
  public interface Listener {
    /** DTLS is done: media flows both ways from now on. */
    void connected(InetSocketAddress remote);

    void rtp(RtpPacket packet);

    /** A decrypted RTCP compound packet, {@code length} bytes of {@code packet}. */
    void rtcp(byte[] packet, int length);

    /** DTLS failed, or the peer closed it: the session is over. */
    void failed(String reason);
  }

  private final UdpPort port;
  private final String ufrag;
  private final String password;
  private final DtlsEndpoint dtls;
  private final Executor blocking;
  private final Listener listener;
  private final AtomicBoolean started = new AtomicBoolean();
  private final AtomicLong undecryptable = new AtomicLong();
  private final AtomicLong early = new AtomicLong();
  private volatile InetSocketAddress remote;
  private volatile Srtp srtp;
  private volatile long lastHeardNanos = System.nanoTime();
  private volatile boolean closed;

  /**
   * Registers a new peer on {@code port} under {@code credentials}.
   *
   * @throws IllegalArgumentException when another session has the ufrag (make new credentials)
   * @param dtlsClient whether the node is the DTLS client (the peer answered or offered {@code
   *     setup:passive})
   * @param remoteFingerprint the peer's {@code a=fingerprint} value
   * @param blocking runs the DTLS handshake (a blocking task per peer, for up to its timeout)
   */
  public PeerTransport(
      UdpPort port,
      IceCredentials credentials,
      DtlsCertificate certificate,
      boolean dtlsClient,
      String remoteFingerprint,
      Duration handshakeTimeout,
      Executor blocking,
      Listener listener) {
    this.port = port;
    this.blocking = blocking;
    this.listener = listener;
    this.ufrag = credentials.ufrag();
    this.password = credentials.password();
    this.dtls =
        new DtlsEndpoint(
            certificate,
            dtlsClient,
            remoteFingerprint,
            d -> {
              InetSocketAddress to = remote;
              if (to != null) {
                port.send(to, d, 0, d.length);
              }
            },
            handshakeTimeout);
    port.register(ufrag, this);
  }

  public String localUfrag() {
    return ufrag;
  }

  @Override
  public String localPassword() {
    return password;
  }

  /** The peer's address once it has been checked from; null before. */
  public InetSocketAddress remote() {
    return remote;
  }

  /** When the peer was last heard from (any datagram), on {@link System#nanoTime()}'s clock. */
  public long lastHeardNanos() {
    return lastHeardNanos;
  }

  /** Media datagrams dropped: before the keys, and those failing SRTP. */
  public long dropped() {
    return early.get() + undecryptable.get();
  }

  public boolean connected() {
    return srtp != null;
  }

  @Override
  public void checked(InetSocketAddress from, boolean useCandidate) {
    lastHeardNanos = System.nanoTime();
    if (remote == null || useCandidate) {
      remote = from;
    }
    if (started.compareAndSet(false, true)) {
      dtls.start(blocking)
          .whenComplete(
              (keys, error) -> {
                if (closed) {
                  return;
                }
                if (error != null) {
                  listener.failed("DTLS handshake failed: " + error.getMessage());
                  return;
                }
                srtp = new Srtp(keys);
                listener.connected(remote);
                dtls.ended().thenAccept(listener::failed);
              });
    }
  }

  @Override
  public void dtls(byte[] datagram) {
    lastHeardNanos = System.nanoTime();
    dtls.receive(datagram);
  }

  @Override
  public void media(byte[] d) {
    lastHeardNanos = System.nanoTime();
    Srtp keys = srtp;
    if (keys == null) {
      early.incrementAndGet();
      return;
    }
    if (RtpPacket.isRtcp(d, 0, d.length)) {
      int n = keys.unprotectRtcp(d, 0, d.length);
      if (n < 0) {
        undecryptable.incrementAndGet();
        return;
      }
      listener.rtcp(d, n);
      return;
    }
    int n = keys.unprotectRtp(d, 0, d.length);
    if (n < 0) {
      undecryptable.incrementAndGet();
      return;
    }
    RtpPacket packet;
    try {
      packet = RtpPacket.parse(d, 0, n);
    } catch (RtpException e) {
      undecryptable.incrementAndGet();
      return;
    }
    listener.rtp(packet);
  }

  /** Protects and sends an RTCP compound packet; false when not connected yet. */
  public boolean sendRtcp(byte[] plain, int length) {
    Srtp keys = srtp;
    InetSocketAddress to = remote;
    if (keys == null || to == null || closed) {
      return false;
    }
    byte[] out = Arrays.copyOf(plain, length + Srtp.rtcpOverhead());
    int n = keys.protectRtcp(out, 0, length);
    if (n > 0) {
      port.send(to, out, 0, n);
    }
    return n > 0;
  }

  /** Room an RTP packet needs after it for {@link #sendRtpInPlace}: the longest SRTP tag. */
  public static final int RTP_SPARE = 10;

  /**
   * Protects an RTP packet of {@code length} bytes in place (the buffer has {@link #RTP_SPARE}
   * bytes of room after it, and is not used again) and sends it; false when not connected yet.
   */
  public boolean sendRtpInPlace(byte[] buffer, int length) {
    Srtp keys = srtp;
    InetSocketAddress to = remote;
    if (keys == null || to == null || closed) {
      return false;
    }
    int n = keys.protectRtp(buffer, 0, length);
    if (n > 0) {
      port.send(to, buffer, 0, n);
    }
    return n > 0;
  }

  /** Protects and sends an RTP packet; false when not connected yet. */
  public boolean sendRtp(byte[] plain, int length) {
    Srtp keys = srtp;
    InetSocketAddress to = remote;
    if (keys == null || to == null || closed) {
      return false;
    }
    byte[] out = Arrays.copyOf(plain, length + keys.rtpOverhead());
    int n = keys.protectRtp(out, 0, length);
    if (n > 0) {
      port.send(to, out, 0, n);
    }
    return n > 0;
  }

  @Override
  public void close() {
    closed = true;
    port.unregister(ufrag);
    dtls.close();
    Srtp keys = srtp;
    if (keys != null) {
      keys.close();
    }
  }
}

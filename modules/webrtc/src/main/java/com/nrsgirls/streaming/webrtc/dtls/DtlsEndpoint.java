package com.nrsgirls.streaming.webrtc.dtls;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Arrays;
import java.util.Hashtable;
import java.util.Objects;
import java.util.Vector;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.bouncycastle.tls.AlertDescription;
import org.bouncycastle.tls.Certificate;
import org.bouncycastle.tls.CertificateRequest;
import org.bouncycastle.tls.CipherSuite;
import org.bouncycastle.tls.ClientCertificateType;
import org.bouncycastle.tls.DTLSClientProtocol;
import org.bouncycastle.tls.DTLSServerProtocol;
import org.bouncycastle.tls.DTLSTransport;
import org.bouncycastle.tls.DatagramTransport;
import org.bouncycastle.tls.DefaultTlsClient;
import org.bouncycastle.tls.DefaultTlsServer;
import org.bouncycastle.tls.ExporterLabel;
import org.bouncycastle.tls.HashAlgorithm;
import org.bouncycastle.tls.ProtocolVersion;
import org.bouncycastle.tls.SRTPProtectionProfile;
import org.bouncycastle.tls.SignatureAlgorithm;
import org.bouncycastle.tls.SignatureAndHashAlgorithm;
import org.bouncycastle.tls.TlsAuthentication;
import org.bouncycastle.tls.TlsContext;
import org.bouncycastle.tls.TlsCredentialedSigner;
import org.bouncycastle.tls.TlsCredentials;
import org.bouncycastle.tls.TlsFatalAlert;
import org.bouncycastle.tls.TlsSRTPUtils;
import org.bouncycastle.tls.TlsServerCertificate;
import org.bouncycastle.tls.TlsUtils;
import org.bouncycastle.tls.UseSRTPData;
import org.bouncycastle.tls.crypto.TlsCertificate;
import org.bouncycastle.tls.crypto.TlsCryptoParameters;
import org.bouncycastle.tls.crypto.impl.bc.BcDefaultTlsCredentialedSigner;
import org.bouncycastle.tls.crypto.impl.bc.BcTlsCrypto;

/**
 * One peer's DTLS 1.2 handshake for DTLS-SRTP (RFC 5764), in the role the SDP gave the node: server
 * when the peer is {@code setup:active} (browsers and OBS, whose offers say {@code actpass}),
 * client when it is {@code setup:passive} (FFmpeg). Both sides show a certificate and each checks
 * the other's against the fingerprint its SDP gave; the SRTP keys are exported once the handshake
 * is done.
 *
 * <p>Data flow: the session's UDP demultiplexer hands every datagram whose first byte is 20–63 (RFC
 * 7983) to {@link #receive(byte[])}; the handshake, which Bouncy Castle runs as blocking code,
 * reads them from a bounded queue on a thread of the executor given to {@link #start(Executor)} and
 * writes its flights through the {@code send} callback. After the handshake the same queue feeds
 * Bouncy Castle's record layer on that executor, one task at a time, so that a peer that lost the
 * node's last flight gets it again, and a {@code close_notify} ends the endpoint.
 *
 * <p>Only ECDHE suites with AES-GCM or AES-CBC, and SRTP_AES128_CM_HMAC_SHA1_80 or _32: what every
 * WebRTC stack offers. As server, the suites are ECDSA only: the node's certificate is ECDSA, and
 * Bouncy Castle picks an RSA suite it cannot serve otherwise.
 */
public final class DtlsEndpoint implements AutoCloseable {
  /** The largest datagram the node sends: well under any path MTU, as WebRTC stacks do. */
  public static final int SEND_LIMIT = 1200;

  private static final int RECEIVE_LIMIT = 1500;
  private static final int QUEUE = 64;
  private static final byte[] WAKE_UP = new byte[0];

  private static final int[] SERVER_SUITES = {
    CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
    CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
    CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256,
    CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA,
  };
  private static final int[] CLIENT_SUITES = {
    CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
    CipherSuite.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
    CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
    CipherSuite.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
    CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256,
    CipherSuite.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256,
    CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA,
    CipherSuite.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA,
  };

  /** In the node's order of preference. */
  private static final int[] SRTP_PROFILES = {
    SRTPProtectionProfile.SRTP_AES128_CM_HMAC_SHA1_80,
    SRTPProtectionProfile.SRTP_AES128_CM_HMAC_SHA1_32,
  };

  /** The SRTP master keys and salts the handshake agreed, for each direction. */
  public record Keys(
      int profile, byte[] localKey, byte[] localSalt, byte[] remoteKey, byte[] remoteSalt) {}

  private final BcTlsCrypto crypto = new BcTlsCrypto(new SecureRandom());
  private final DtlsCertificate certificate;
  private final boolean client;
  private final String remoteFingerprint;
  private final Consumer<byte[]> send;
  private final int handshakeTimeoutMillis;
  private final BlockingQueue<byte[]> incoming = new ArrayBlockingQueue<>(QUEUE);
  private final CompletableFuture<Keys> keys = new CompletableFuture<>();
  private final CompletableFuture<String> ended = new CompletableFuture<>();
  private final AtomicBoolean draining = new AtomicBoolean();
  private final AtomicLong dropped = new AtomicLong();
  private volatile boolean closed;
  private volatile DTLSTransport transport;
  private volatile Executor executor;

  /**
   * @param remoteFingerprint the peer's SDP {@code a=fingerprint} value ("sha-256 AB:...")
   * @param send writes one datagram to the peer; called on the handshake's thread
   */
  public DtlsEndpoint(
      DtlsCertificate certificate,
      boolean client,
      String remoteFingerprint,
      Consumer<byte[]> send,
      Duration handshakeTimeout) {
    this.certificate = Objects.requireNonNull(certificate, "certificate");
    this.client = client;
    this.remoteFingerprint = Objects.requireNonNull(remoteFingerprint, "remoteFingerprint");
    this.send = Objects.requireNonNull(send, "send");
    this.handshakeTimeoutMillis = (int) Math.min(Integer.MAX_VALUE, handshakeTimeout.toMillis());
  }

  /** Whether the node is the DTLS client (it sends the first flight). */
  public boolean client() {
    return client;
  }

  /**
   * Runs the handshake on one thread of {@code executor}: completes with the SRTP keys, or
   * exceptionally when the peer's certificate is not the one its SDP named, the handshake fails or
   * times out, or the endpoint is closed.
   */
  public CompletableFuture<Keys> start(Executor executor) {
    this.executor = executor;
    try {
      executor.execute(this::handshake);
    } catch (RejectedExecutionException e) {
      keys.completeExceptionally(new IOException("no thread for the DTLS handshake", e));
    }
    return keys;
  }

  /** The keys, once the handshake is done. */
  public CompletableFuture<Keys> keys() {
    return keys;
  }

  /** Completes with a reason when the peer closes the association (or breaks it) after the keys. */
  public CompletableFuture<String> ended() {
    return ended;
  }

  /** Datagrams dropped because the queue was full (a peer flooding the handshake). */
  public long dropped() {
    return dropped.get();
  }

  /** Takes one DTLS datagram from the peer. Never blocks and never throws. */
  public void receive(byte[] datagram) {
    if (closed || datagram.length == 0) {
      return;
    }
    if (!incoming.offer(datagram)) {
      dropped.incrementAndGet();
      return;
    }
    if (transport != null && draining.compareAndSet(false, true)) {
      try {
        executor.execute(this::drain);
      } catch (RejectedExecutionException e) {
        draining.set(false);
      }
    }
  }

  @Override
  public void close() {
    closed = true;
    incoming.clear();
    incoming.offer(WAKE_UP);
    keys.completeExceptionally(new IOException("the DTLS endpoint was closed"));
    ended.complete("closed");
  }

  private void handshake() {
    Queued queued = new Queued();
    try {
      DTLSTransport done =
          client
              ? new DTLSClientProtocol().connect(new Client(), queued)
              : new DTLSServerProtocol().accept(new Server(), queued);
      if (closed) {
        done.close();
        return;
      }
      transport = done;
      if (!keys.isDone()) {
        keys.completeExceptionally(new IOException("the handshake ended without SRTP keys"));
      }
      if (!incoming.isEmpty() && draining.compareAndSet(false, true)) {
        drain();
      }
    } catch (IOException | RuntimeException e) {
      keys.completeExceptionally(e);
    }
  }

  /** After the handshake: lets the record layer see what came (retransmissions, alerts). */
  private void drain() {
    byte[] buf = new byte[RECEIVE_LIMIT];
    try {
      while (!closed && !incoming.isEmpty()) {
        if (transport.receive(buf, 0, buf.length, 1) < 0 && incoming.isEmpty()) {
          break;
        }
      }
    } catch (IOException | RuntimeException e) {
      ended.complete("DTLS ended: " + e.getMessage());
      closed = true;
    } finally {
      draining.set(false);
    }
  }

  private TlsCredentialedSigner signer(TlsContext context) throws IOException {
    TlsCertificate own = crypto.createCertificate(certificate.der());
    return new BcDefaultTlsCredentialedSigner(
        new TlsCryptoParameters(context),
        crypto,
        certificate.privateKey(),
        new Certificate(new TlsCertificate[] {own}),
        SignatureAndHashAlgorithm.getInstance(HashAlgorithm.sha256, SignatureAlgorithm.ecdsa));
  }

  private void checkPeer(Certificate chain) throws IOException {
    if (chain == null
        || chain.isEmpty()
        || !DtlsCertificate.matches(remoteFingerprint, chain.getCertificateAt(0).getEncoded())) {
      throw new TlsFatalAlert(
          AlertDescription.bad_certificate, "the peer's certificate is not the one its SDP named");
    }
  }

  private void export(TlsContext context, int profile) {
    int keyLength = 16;
    int saltLength = 14;
    byte[] material =
        context.exportKeyingMaterial(ExporterLabel.dtls_srtp, null, 2 * (keyLength + saltLength));
    byte[] clientKey = Arrays.copyOfRange(material, 0, keyLength);
    byte[] serverKey = Arrays.copyOfRange(material, keyLength, 2 * keyLength);
    byte[] clientSalt = Arrays.copyOfRange(material, 2 * keyLength, 2 * keyLength + saltLength);
    byte[] serverSalt = Arrays.copyOfRange(material, 2 * keyLength + saltLength, material.length);
    keys.complete(
        client
            ? new Keys(profile, clientKey, clientSalt, serverKey, serverSalt)
            : new Keys(profile, serverKey, serverSalt, clientKey, clientSalt));
  }

  private static int choose(UseSRTPData offered) throws IOException {
    if (offered != null) {
      for (int wanted : SRTP_PROFILES) {
        for (int p : offered.getProtectionProfiles()) {
          if (p == wanted) {
            return p;
          }
        }
      }
    }
    throw new TlsFatalAlert(
        AlertDescription.handshake_failure, "no SRTP protection profile in common");
  }

  /** Bouncy Castle's view of the queue and the send callback. */
  private final class Queued implements DatagramTransport {
    @Override
    public int getReceiveLimit() {
      return RECEIVE_LIMIT;
    }

    @Override
    public int getSendLimit() {
      return SEND_LIMIT;
    }

    @Override
    public int receive(byte[] buf, int off, int len, int waitMillis) throws IOException {
      if (closed) {
        throw new IOException("the DTLS endpoint was closed");
      }
      byte[] datagram;
      try {
        datagram =
            waitMillis <= 0 ? incoming.poll() : incoming.poll(waitMillis, TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new InterruptedIOException("interrupted");
      }
      if (datagram == null) {
        return -1;
      }
      if (datagram == WAKE_UP || closed) {
        throw new IOException("the DTLS endpoint was closed");
      }
      int n = Math.min(len, datagram.length);
      System.arraycopy(datagram, 0, buf, off, n);
      return n;
    }

    @Override
    public void send(byte[] buf, int off, int len) {
      if (!closed) {
        send.accept(Arrays.copyOfRange(buf, off, off + len));
      }
    }

    @Override
    public void close() {
      // the endpoint's owner closes it; the UDP port is shared
    }
  }

  private final class Server extends DefaultTlsServer {
    private int profile;

    Server() {
      super(crypto);
    }

    @Override
    protected ProtocolVersion[] getSupportedVersions() {
      return ProtocolVersion.DTLSv12.only();
    }

    @Override
    protected int[] getSupportedCipherSuites() {
      return SERVER_SUITES.clone();
    }

    @Override
    protected TlsCredentialedSigner getECDSASignerCredentials() throws IOException {
      return signer(context);
    }

    @Override
    public int getHandshakeTimeoutMillis() {
      return handshakeTimeoutMillis;
    }

    @Override
    public CertificateRequest getCertificateRequest() {
      Vector<?> algorithms = TlsUtils.getDefaultSupportedSignatureAlgorithms(context);
      return new CertificateRequest(
          new short[] {ClientCertificateType.ecdsa_sign, ClientCertificateType.rsa_sign},
          algorithms,
          null);
    }

    @Override
    public void notifyClientCertificate(Certificate chain) throws IOException {
      checkPeer(chain);
    }

    @Override
    @SuppressWarnings("rawtypes")
    public void processClientExtensions(Hashtable clientExtensions) throws IOException {
      super.processClientExtensions(clientExtensions);
      profile = choose(TlsSRTPUtils.getUseSRTPExtension(clientExtensions));
    }

    @Override
    @SuppressWarnings("rawtypes")
    public Hashtable getServerExtensions() throws IOException {
      Hashtable extensions = super.getServerExtensions();
      TlsSRTPUtils.addUseSRTPExtension(
          extensions, new UseSRTPData(new int[] {profile}, TlsUtils.EMPTY_BYTES));
      return extensions;
    }

    @Override
    public void notifyHandshakeComplete() throws IOException {
      super.notifyHandshakeComplete();
      export(context, profile);
    }
  }

  private final class Client extends DefaultTlsClient {
    private int profile;

    Client() {
      super(crypto);
    }

    @Override
    protected ProtocolVersion[] getSupportedVersions() {
      return ProtocolVersion.DTLSv12.only();
    }

    @Override
    protected int[] getSupportedCipherSuites() {
      return CLIENT_SUITES.clone();
    }

    @Override
    public int getHandshakeTimeoutMillis() {
      return handshakeTimeoutMillis;
    }

    @Override
    @SuppressWarnings({"rawtypes", "unchecked"})
    public Hashtable getClientExtensions() throws IOException {
      Hashtable extensions = super.getClientExtensions();
      if (extensions == null) {
        extensions = new Hashtable();
      }
      TlsSRTPUtils.addUseSRTPExtension(
          extensions, new UseSRTPData(SRTP_PROFILES.clone(), TlsUtils.EMPTY_BYTES));
      return extensions;
    }

    @Override
    @SuppressWarnings("rawtypes")
    public void processServerExtensions(Hashtable serverExtensions) throws IOException {
      super.processServerExtensions(serverExtensions);
      UseSRTPData chosen = TlsSRTPUtils.getUseSRTPExtension(serverExtensions);
      if (chosen == null || chosen.getProtectionProfiles().length != 1) {
        throw new TlsFatalAlert(
            AlertDescription.illegal_parameter, "the server chose no single SRTP profile");
      }
      profile = choose(chosen);
    }

    @Override
    public TlsAuthentication getAuthentication() {
      return new TlsAuthentication() {
        @Override
        public void notifyServerCertificate(TlsServerCertificate serverCertificate)
            throws IOException {
          checkPeer(serverCertificate.getCertificate());
        }

        @Override
        public TlsCredentials getClientCredentials(CertificateRequest request) throws IOException {
          return signer(context);
        }
      };
    }

    @Override
    public void notifyHandshakeComplete() throws IOException {
      super.notifyHandshakeComplete();
      export(context, profile);
    }
  }
}

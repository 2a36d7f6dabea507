package com.nrsgirls.streaming.webrtc.srtp;

import com.nrsgirls.streaming.webrtc.dtls.DtlsEndpoint;
import java.security.GeneralSecurityException;
import java.util.HashMap;
import java.util.Map;
import org.bouncycastle.tls.SRTPProtectionProfile;
import org.jitsi.srtp.SrtcpCryptoContext;
import org.jitsi.srtp.SrtpContextFactory;
import org.jitsi.srtp.SrtpCryptoContext;
import org.jitsi.srtp.SrtpErrorStatus;
import org.jitsi.srtp.SrtpPolicy;
import org.jitsi.utils.ByteArrayBuffer;
import org.jitsi.utils.logging2.Logger;
import org.jitsi.utils.logging2.LoggerImpl;

/**
 * One peer's SRTP and SRTCP (RFC 3711) under the keys its DTLS handshake exported: packets from the
 * peer are authenticated and decrypted ({@link #unprotectRtp}, {@link #unprotectRtcp}), packets to
 * it encrypted and signed ({@link #protectRtp}, {@link #protectRtcp}). jitsi-srtp does the
 * cryptography (through OpenSSL when it can load it, else Java's ciphers) and SRTCP's replay
 * checks; SRTP from the peer is not replay-checked (see the constructor), the jitter buffer drops
 * what it has seen.
 *
 * <p>Each direction keeps one context per SSRC, as the keys are per SSRC after derivation: SRTCP
 * too, which is keyed by its sender's SSRC (reusing one context for all made SRTCP fail in the
 * research probe). A peer may use at most {@link #MAX_SSRCS} SSRCs per direction; packets of more
 * are refused, so a peer cannot grow the maps. Its methods are synchronized: the port's reader
 * thread unprotects while a session's timer protects its RTCP.
 */
public final class Srtp implements AutoCloseable {
  /** SSRCs per direction and kind: a WHIP publisher uses 2 (4 with RTX), a viewer's RTCP 1–2. */
  public static final int MAX_SSRCS = 8;

  /** The SRTP authentication tag's length for a negotiated profile; SRTCP's is always 10. */
  private static final int SRTCP_TAG = 10;

  private static final int SRTCP_INDEX = 4;

  private static final Logger JITSI_LOG = new LoggerImpl(Srtp.class.getName());

  private final SrtpContextFactory inbound;
  private final SrtpContextFactory outbound;
  private final int rtpTag;
  private final Map<Integer, SrtpCryptoContext> rtpIn = new HashMap<>();
  private final Map<Integer, SrtcpCryptoContext> rtcpIn = new HashMap<>();
  private final Map<Integer, SrtpCryptoContext> rtpOut = new HashMap<>();
  private final Map<Integer, SrtcpCryptoContext> rtcpOut = new HashMap<>();
  private final Buffer buffer = new Buffer();

  public Srtp(DtlsEndpoint.Keys keys) {
    rtpTag =
        switch (keys.profile()) {
          case SRTPProtectionProfile.SRTP_AES128_CM_HMAC_SHA1_80 -> 10;
          case SRTPProtectionProfile.SRTP_AES128_CM_HMAC_SHA1_32 -> 4;
          default ->
              throw new IllegalArgumentException("unsupported SRTP profile " + keys.profile());
        };
    // A packet NACKed and sent again comes on its own SSRC, perhaps well over jitsi-srtp's fixed
    // replay window (64 packets) behind the newest: replay checks would refuse every repair of a
    // keyframe. The jitter buffer drops duplicates and packets it gave up on.
    SrtpPolicy rtpIn = policy(rtpTag);
    rtpIn.setReceiveReplayEnabled(false);
    inbound =
        new SrtpContextFactory(
            false, keys.remoteKey(), keys.remoteSalt(), rtpIn, policy(SRTCP_TAG), JITSI_LOG);
    // The node sends a packet again when a viewer NACKs it: the same bytes under the same index,
    // which jitsi-srtp would refuse as a replay of its own.
    SrtpPolicy rtpOut = policy(rtpTag);
    rtpOut.setSendReplayEnabled(false);
    SrtpPolicy rtcpOut = policy(SRTCP_TAG);
    rtcpOut.setSendReplayEnabled(false);
    outbound =
        new SrtpContextFactory(true, keys.localKey(), keys.localSalt(), rtpOut, rtcpOut, JITSI_LOG);
  }

  private static SrtpPolicy policy(int tagLength) {
    return new SrtpPolicy(
        SrtpPolicy.AESCM_ENCRYPTION, 16, SrtpPolicy.HMACSHA1_AUTHENTICATION, 20, tagLength, 14);
  }

  /** How many bytes {@link #protectRtp} adds to a packet. */
  public int rtpOverhead() {
    return rtpTag;
  }

  /** How many bytes {@link #protectRtcp} adds to a packet. */
  public static int rtcpOverhead() {
    return SRTCP_INDEX + SRTCP_TAG;
  }

  /**
   * Authenticates and decrypts an SRTP packet in place.
   *
   * @return the RTP packet's length (at {@code off}), or -1 when it is too short, fails
   *     authentication, is a replay, or comes from an SSRC past the limit
   */
  public synchronized int unprotectRtp(byte[] packet, int off, int len) {
    if (len < 12 + rtpTag) {
      return -1;
    }
    // a new SSRC's context is kept only once a packet authenticates under it: junk from the
    // peer's address cannot use up the slots
    int ssrc = ssrc(packet, off + 8);
    SrtpCryptoContext known = rtpIn.get(ssrc);
    SrtpCryptoContext context =
        known != null ? known : rtpIn.size() < MAX_SSRCS ? deriveRtp(inbound, ssrc) : null;
    if (context == null) {
      return -1;
    }
    int n = run(() -> context.reverseTransformPacket(buffer, false), packet, off, len);
    if (n >= 0 && known == null) {
      rtpIn.put(ssrc, context);
    }
    return n;
  }

  /** Authenticates and decrypts an SRTCP packet in place; its RTCP length, or -1 as above. */
  public synchronized int unprotectRtcp(byte[] packet, int off, int len) {
    if (len < 8 + SRTCP_INDEX + SRTCP_TAG) {
      return -1;
    }
    int ssrc = ssrc(packet, off + 4);
    SrtcpCryptoContext known = rtcpIn.get(ssrc);
    SrtcpCryptoContext context =
        known != null ? known : rtcpIn.size() < MAX_SSRCS ? deriveRtcp(inbound, ssrc) : null;
    if (context == null) {
      return -1;
    }
    int n = run(() -> context.reverseTransformPacket(buffer), packet, off, len);
    if (n >= 0 && known == null) {
      rtcpIn.put(ssrc, context);
    }
    return n;
  }

  private static SrtpCryptoContext deriveRtp(SrtpContextFactory factory, int ssrc) {
    try {
      return factory.deriveContext(ssrc, 0);
    } catch (GeneralSecurityException e) {
      return null;
    }
  }

  private static SrtcpCryptoContext deriveRtcp(SrtpContextFactory factory, int ssrc) {
    try {
      return factory.deriveControlContext(ssrc);
    } catch (GeneralSecurityException e) {
      return null;
    }
  }

  /**
   * Encrypts and signs an RTP packet in place; {@code packet} must have {@link #rtpOverhead()}
   * bytes of room after it.
   *
   * @return the SRTP packet's length, or -1 for a packet too short or an SSRC past the limit
   */
  public synchronized int protectRtp(byte[] packet, int off, int len) {
    if (len < 12 || packet.length - off - len < rtpTag) {
      return -1;
    }
    SrtpCryptoContext context = rtpContext(rtpOut, outbound, ssrc(packet, off + 8));
    return context == null ? -1 : run(() -> context.transformPacket(buffer), packet, off, len);
  }

  /**
   * Encrypts and signs an RTCP compound packet in place; {@code packet} must have {@link
   * #rtcpOverhead()} bytes of room after it.
   */
  public synchronized int protectRtcp(byte[] packet, int off, int len) {
    if (len < 8 || packet.length - off - len < rtcpOverhead()) {
      return -1;
    }
    SrtcpCryptoContext context = rtcpContext(rtcpOut, outbound, ssrc(packet, off + 4));
    return context == null ? -1 : run(() -> context.transformPacket(buffer), packet, off, len);
  }

  @Override
  public void close() {
    inbound.close();
    outbound.close();
  }

  private interface Transform {
    SrtpErrorStatus apply() throws GeneralSecurityException;
  }

  private int run(Transform transform, byte[] packet, int off, int len) {
    buffer.reset(packet, off, len);
    try {
      if (transform.apply() != SrtpErrorStatus.OK) {
        return -1;
      }
    } catch (GeneralSecurityException | RuntimeException e) {
      return -1;
    }
    if (buffer.getBuffer() != packet || buffer.getOffset() != off) {
      return -1; // it outgrew the room the caller gave: never the case with the overheads above
    }
    return buffer.getLength();
  }

  private static int ssrc(byte[] b, int at) {
    return (b[at] & 0xff) << 24
        | (b[at + 1] & 0xff) << 16
        | (b[at + 2] & 0xff) << 8
        | b[at + 3] & 0xff;
  }

  private static SrtpCryptoContext rtpContext(
      Map<Integer, SrtpCryptoContext> contexts, SrtpContextFactory factory, int ssrc) {
    SrtpCryptoContext context = contexts.get(ssrc);
    if (context == null && contexts.size() < MAX_SSRCS) {
      try {
        context = factory.deriveContext(ssrc, 0);
        contexts.put(ssrc, context);
      } catch (GeneralSecurityException e) {
        return null;
      }
    }
    return context;
  }

  private static SrtcpCryptoContext rtcpContext(
      Map<Integer, SrtcpCryptoContext> contexts, SrtpContextFactory factory, int ssrc) {
    SrtcpCryptoContext context = contexts.get(ssrc);
    if (context == null && contexts.size() < MAX_SSRCS) {
      try {
        context = factory.deriveControlContext(ssrc);
        contexts.put(ssrc, context);
      } catch (GeneralSecurityException e) {
        return null;
      }
    }
    return context;
  }

  /**
   * jitsi-srtp's view of the caller's array. It only appends the tag (and SRTCP's index) within the
   * room the caller left, and shrinks the length when it removes them.
   */
  private static final class Buffer implements ByteArrayBuffer {
    private byte[] bytes;
    private int offset;
    private int length;

    void reset(byte[] bytes, int offset, int length) {
      this.bytes = bytes;
      this.offset = offset;
      this.length = length;
    }

    @Override
    public byte[] getBuffer() {
      return bytes;
    }

    @Override
    public int getOffset() {
      return offset;
    }

    @Override
    public int getLength() {
      return length;
    }

    @Override
    public void setLength(int length) {
      if (length < 0 || offset + length > bytes.length) {
        throw new IllegalArgumentException("length " + length + " out of the buffer");
      }
      this.length = length;
    }

    @Override
    public void setOffset(int offset) {
      if (offset < 0 || offset + length > bytes.length) {
        throw new IllegalArgumentException("offset " + offset + " out of the buffer");
      }
      this.offset = offset;
    }

    @Override
    public boolean isInvalid() {
      return false;
    }

    @Override
    public void readRegionToBuff(int off, int len, byte[] out) {
      if (off < 0 || len < 0 || off + len > length) {
        throw new IllegalArgumentException("region " + off + "+" + len + " out of the packet");
      }
      System.arraycopy(bytes, offset + off, out, 0, len);
    }

    @Override
    public void grow(int howMuch) {
      if (offset + length + howMuch > bytes.length) {
        byte[] bigger = new byte[length + howMuch];
        System.arraycopy(bytes, offset, bigger, 0, length);
        bytes = bigger;
        offset = 0;
      }
    }

    @Override
    public void append(byte[] data, int len) {
      grow(len);
      System.arraycopy(data, 0, bytes, offset + length, len);
      length += len;
    }

    @Override
    public void shrink(int len) {
      if (len > length) {
        throw new IllegalArgumentException("cannot shrink " + length + " bytes by " + len);
      }
      length -= len;
    }
  }
}

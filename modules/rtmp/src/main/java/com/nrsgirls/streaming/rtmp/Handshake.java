package com.nrsgirls.streaming.rtmp;

import java.nio.ByteBuffer;
import java.util.Random;

/**
 * The server side of the simple (unencrypted, digest-free) RTMP handshake, Adobe RTMP spec §5.2.
 *
 * <p>The client sends C0 (version) and C1 (1536 bytes); the server answers S0, S1 and S2 at once
 * and then waits for C2. S1 carries zero in bytes 4..7 (the "zero" field of §5.2.3), which tells
 * Flash, librtmp (OBS) and ffmpeg clients that this server does not use the digest handshake, so
 * they do not validate S1. S2 echoes C1. C2 is read and not checked: clients disagree on what it
 * holds.
 *
 * <p>Incremental: {@link #consume(ByteBuffer)} accepts the bytes split anywhere.
 */
public final class Handshake {
  /** §5.2.2: the only RTMP version there is (6 would be RTMPE, which we do not speak). */
  public static final int VERSION = 3;

  /** §5.2.3: size of C1, S1, C2 and S2. */
  public static final int PACKET_SIZE = 1536;

  private enum Phase {
    C0,
    C1,
    C2,
    DONE
  }

  private final Random random;
  private final byte[] c1 = new byte[PACKET_SIZE];
  private Phase phase = Phase.C0;
  private int filled;

  public Handshake(Random random) {
    this.random = random;
  }

  /**
   * Reads handshake bytes from {@code in}, never past the end of C2.
   *
   * @return S0+S1+S2 to send, once C1 is complete; null otherwise
   * @throws RtmpProtocolException with reason {@code bad-handshake} if C0 is not version 3
   */
  public byte[] consume(ByteBuffer in) throws RtmpProtocolException {
    byte[] reply = null;
    while (in.hasRemaining() && phase != Phase.DONE) {
      switch (phase) {
        case C0 -> {
          int version = in.get() & 0xFF;
          if (version != VERSION) {
            throw new RtmpProtocolException(
                "bad-handshake", "C0 asks for RTMP version " + version + ", only 3 is spoken");
          }
          phase = Phase.C1;
        }
        case C1 -> {
          int n = Math.min(PACKET_SIZE - filled, in.remaining());
          in.get(c1, filled, n);
          filled += n;
          if (filled == PACKET_SIZE) {
            reply = serverReply(c1, random);
            phase = Phase.C2;
            filled = 0;
          }
        }
        case C2 -> {
          int n = Math.min(PACKET_SIZE - filled, in.remaining());
          in.position(in.position() + n);
          filled += n;
          if (filled == PACKET_SIZE) {
            phase = Phase.DONE;
          }
        }
        default -> throw new IllegalStateException();
      }
    }
    return reply;
  }

  public boolean isDone() {
    return phase == Phase.DONE;
  }

  /**
   * S0, S1 and S2 for a C1 (§5.2.2, §5.2.3, §5.2.4): S1 is our time 0, four zero bytes and random
   * bytes; S2 is C1 unchanged.
   */
  public static byte[] serverReply(byte[] c1, Random random) {
    if (c1.length != PACKET_SIZE) {
      throw new IllegalArgumentException("C1 must be " + PACKET_SIZE + " bytes");
    }
    byte[] reply = new byte[1 + 2 * PACKET_SIZE];
    reply[0] = VERSION;
    byte[] noise = new byte[PACKET_SIZE - 8];
    random.nextBytes(noise);
    // bytes 1..4: time 0; bytes 5..8: zero, so clients skip digest validation
    System.arraycopy(noise, 0, reply, 1 + 8, noise.length);
    System.arraycopy(c1, 0, reply, 1 + PACKET_SIZE, PACKET_SIZE);
    return reply;
  }
}

package com.nrsgirls.streaming.rtmp;

import java.nio.ByteBuffer;
import java.util.Random;

/**
 * The client side of the simple RTMP handshake, Adobe RTMP spec §5.2: send C0 and C1, read S0 and
 * S1, answer C2 (S1 echoed), read S2. C1 carries zero in bytes 4..7, so servers that know the
 * digest handshake (Adobe's, nginx-rtmp) answer with the simple one. S2 is read and not checked:
 * servers disagree on what it holds.
 *
 * <p>Incremental: {@link #consume(ByteBuffer)} accepts the bytes split anywhere and never reads
 * past the end of S2, so what follows in the buffer is the server's first chunk.
 */
public final class ClientHandshake {
  private enum Phase {
    S0,
    S1,
    S2,
    DONE
  }

  private final byte[] s1 = new byte[Handshake.PACKET_SIZE];
  private Phase phase = Phase.S0;
  private int filled;

  /** C0 and C1, to send first: version 3, time 0, four zero bytes, random bytes. */
  public static byte[] start(Random random) {
    byte[] c0c1 = new byte[1 + Handshake.PACKET_SIZE];
    c0c1[0] = Handshake.VERSION;
    byte[] noise = new byte[Handshake.PACKET_SIZE - 8];
    random.nextBytes(noise);
    System.arraycopy(noise, 0, c0c1, 1 + 8, noise.length);
    return c0c1;
  }

  /**
   * Reads handshake bytes from {@code in}.
   *
   * @return C2 to send, once S1 is complete; null otherwise
   * @throws RtmpProtocolException with reason {@code bad-handshake} if S0 is not version 3
   */
  public byte[] consume(ByteBuffer in) throws RtmpProtocolException {
    byte[] reply = null;
    while (in.hasRemaining() && phase != Phase.DONE) {
      switch (phase) {
        case S0 -> {
          int version = in.get() & 0xFF;
          if (version != Handshake.VERSION) {
            throw new RtmpProtocolException(
                "bad-handshake", "S0 answers RTMP version " + version + ", only 3 is spoken");
          }
          phase = Phase.S1;
        }
        case S1 -> {
          int n = Math.min(Handshake.PACKET_SIZE - filled, in.remaining());
          in.get(s1, filled, n);
          filled += n;
          if (filled == Handshake.PACKET_SIZE) {
            reply = s1.clone(); // C2 echoes S1 (§5.2.4)
            phase = Phase.S2;
            filled = 0;
          }
        }
        case S2 -> {
          int n = Math.min(Handshake.PACKET_SIZE - filled, in.remaining());
          in.position(in.position() + n);
          filled += n;
          if (filled == Handshake.PACKET_SIZE) {
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
}

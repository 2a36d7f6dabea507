package com.nrsgirls.streaming.webrtc.rtp;

import java.util.ArrayList;
import java.util.List;

/**
 * The RTCP a receiver and a sender need (RFC 3550, RFC 4585): reading compound packets into their
 * parts (sender reports for the RTP-to-wall-clock mapping, report blocks for a sender, the rest by
 * type), and writing sender and receiver reports, generic NACKs for lost sequence numbers and PLIs
 * asking for a keyframe.
 */
public final class Rtcp {
  public static final int SR = 200;
  public static final int RR = 201;
  public static final int SDES = 202;
  public static final int BYE = 203;

  /** Transport-layer feedback: format 1 is a generic NACK. */
  public static final int RTPFB = 205;

  /** Payload-specific feedback: format 1 is a PLI. */
  public static final int PSFB = 206;

  /** One packet of a compound: its type, its count/format field and where it lies. */
  public record Part(int type, int count, int offset, int length) {}

  /**
   * A sender report: at {@code ntpTime} (64-bit NTP, 32.32) the sender's RTP clock read {@code
   * rtpTimestamp}.
   */
  public record SenderReport(
      long ssrc, long ntpTime, long rtpTimestamp, long packets, long octets) {}

  /**
   * What a receiver reports about one of our sources: {@code fractionLost} out of 256 since its
   * last report, {@code cumulativeLost} in all, {@code jitter} in RTP clock units.
   */
  public record ReportBlock(long ssrc, int fractionLost, int cumulativeLost, long jitter) {}

  /** Seconds from the NTP epoch (1900) to the Unix epoch (1970). */
  private static final long NTP_UNIX_OFFSET = 2_208_988_800L;

  private Rtcp() {}

  /** A Unix time in milliseconds as a 64-bit NTP timestamp (32.32 fixed point). */
  public static long ntpTime(long unixMillis) {
    long seconds = Math.floorDiv(unixMillis, 1000) + NTP_UNIX_OFFSET;
    long fraction = (Math.floorMod(unixMillis, 1000L) << 32) / 1000;
    return (seconds << 32) | fraction;
  }

  /**
   * A sender report: at {@code ntpTime} our RTP clock of {@code ssrc} read {@code rtpTimestamp},
   * after {@code packets} packets of {@code octets} payload bytes; no report blocks (we receive
   * nothing on this SSRC).
   */
  public static byte[] senderReport(
      long ssrc, long ntpTime, long rtpTimestamp, long packets, long octets) {
    byte[] p = new byte[28];
    p[0] = (byte) 0x80;
    p[1] = (byte) SR;
    p[3] = 6;
    RtpPacket.writeUint32(p, 4, ssrc);
    RtpPacket.writeUint32(p, 8, ntpTime >>> 32);
    RtpPacket.writeUint32(p, 12, ntpTime & 0xffffffffL);
    RtpPacket.writeUint32(p, 16, rtpTimestamp);
    RtpPacket.writeUint32(p, 20, packets);
    RtpPacket.writeUint32(p, 24, octets);
    return p;
  }

  /** The report blocks of a receiver report (or of a sender report's tail). */
  public static List<ReportBlock> reportBlocks(byte[] b, Part p) throws RtpException {
    int first;
    if (p.type() == RR) {
      first = p.offset() + 8;
    } else if (p.type() == SR) {
      first = p.offset() + 28;
    } else {
      throw new RtpException("not a sender or receiver report");
    }
    List<ReportBlock> out = new ArrayList<>();
    for (int i = 0; i < p.count(); i++) {
      int at = first + 24 * i;
      if (at + 24 > p.offset() + p.length()) {
        throw new RtpException("a report block runs past its packet");
      }
      int lost = ((b[at + 5] & 0xff) << 16) | ((b[at + 6] & 0xff) << 8) | (b[at + 7] & 0xff);
      out.add(
          new ReportBlock(
              RtpPacket.readUint32(b, at),
              b[at + 4] & 0xff,
              (lost << 8) >> 8, // 24-bit signed
              RtpPacket.readUint32(b, at + 12)));
    }
    return out;
  }

  /** Whether {@code p} is a PLI (or a FIR, which a sender answers the same way). */
  public static boolean asksForKeyframe(Part p) {
    return p.type() == PSFB && (p.count() == 1 || p.count() == 4);
  }

  /** The packets of a compound RTCP datagram (decrypted), each length checked. */
  public static List<Part> parts(byte[] b, int off, int len) throws RtpException {
    List<Part> out = new ArrayList<>();
    int at = off;
    int end = off + len;
    while (at < end) {
      if (at + 4 > end) {
        throw new RtpException("an RTCP header is cut off");
      }
      if ((b[at] & 0xc0) != 0x80) {
        throw new RtpException("RTCP version is not 2");
      }
      int words = ((b[at + 2] & 0xff) << 8) | (b[at + 3] & 0xff);
      int size = 4 * (words + 1);
      if (at + size > end) {
        throw new RtpException("an RTCP packet runs past the datagram");
      }
      out.add(new Part(b[at + 1] & 0xff, b[at] & 0x1f, at, size));
      at += size;
      if (out.size() > 32) {
        throw new RtpException("more than 32 RTCP packets in one datagram");
      }
    }
    return out;
  }

  public static SenderReport senderReport(byte[] b, Part p) throws RtpException {
    if (p.type() != SR || p.length() < 28) {
      throw new RtpException("not a sender report");
    }
    int at = p.offset();
    long ntp = (RtpPacket.readUint32(b, at + 8) << 32) | RtpPacket.readUint32(b, at + 12);
    return new SenderReport(
        RtpPacket.readUint32(b, at + 4),
        ntp,
        RtpPacket.readUint32(b, at + 16),
        RtpPacket.readUint32(b, at + 20),
        RtpPacket.readUint32(b, at + 24));
  }

  /** A PLI from {@code senderSsrc} about {@code mediaSsrc}. */
  public static byte[] pli(long senderSsrc, long mediaSsrc) {
    byte[] p = new byte[12];
    p[0] = (byte) (0x80 | 1);
    p[1] = (byte) PSFB;
    p[3] = 2;
    RtpPacket.writeUint32(p, 4, senderSsrc);
    RtpPacket.writeUint32(p, 8, mediaSsrc);
    return p;
  }

  /**
   * Generic NACKs for {@code lost} sequence numbers (ascending): each FCI names a packet and a
   * bitmask of the 16 after it.
   */
  public static byte[] nack(long senderSsrc, long mediaSsrc, List<Integer> lost) {
    List<int[]> fci = new ArrayList<>();
    for (int seq : lost) {
      int[] last = fci.isEmpty() ? null : fci.get(fci.size() - 1);
      int delta = last == null ? -1 : ((seq - last[0]) & 0xffff) - 1;
      if (last != null && delta >= 0 && delta < 16) {
        last[1] |= 1 << delta;
      } else {
        fci.add(new int[] {seq & 0xffff, 0});
      }
    }
    byte[] p = new byte[12 + 4 * fci.size()];
    p[0] = (byte) (0x80 | 1);
    p[1] = (byte) RTPFB;
    int words = p.length / 4 - 1;
    p[2] = (byte) (words >>> 8);
    p[3] = (byte) words;
    RtpPacket.writeUint32(p, 4, senderSsrc);
    RtpPacket.writeUint32(p, 8, mediaSsrc);
    for (int i = 0; i < fci.size(); i++) {
      int at = 12 + 4 * i;
      p[at] = (byte) (fci.get(i)[0] >>> 8);
      p[at + 1] = (byte) fci.get(i)[0];
      p[at + 2] = (byte) (fci.get(i)[1] >>> 8);
      p[at + 3] = (byte) fci.get(i)[1];
    }
    return p;
  }

  /** The sequence numbers a generic NACK asks for. */
  public static List<Integer> nackedSequences(byte[] b, Part p) throws RtpException {
    if (p.type() != RTPFB || p.count() != 1 || p.length() < 16) {
      throw new RtpException("not a generic NACK");
    }
    List<Integer> out = new ArrayList<>();
    for (int at = p.offset() + 12; at + 4 <= p.offset() + p.length(); at += 4) {
      int pid = ((b[at] & 0xff) << 8) | (b[at + 1] & 0xff);
      int blp = ((b[at + 2] & 0xff) << 8) | (b[at + 3] & 0xff);
      out.add(pid);
      for (int bit = 0; bit < 16; bit++) {
        if ((blp & (1 << bit)) != 0) {
          out.add((pid + bit + 1) & 0xffff);
        }
      }
    }
    return out;
  }

  /**
   * A receiver report about one source.
   *
   * @param fractionLost lost since the last report, out of 256
   * @param cumulativeLost packets lost in all (24 bits)
   * @param highestSequence the extended highest sequence number received
   * @param jitter interarrival jitter in RTP clock units
   * @param lastSr the middle 32 bits of the last sender report's NTP time, 0 if none
   * @param delaySinceLastSr since then, in 1/65536 s
   */
  public static byte[] receiverReport(
      long senderSsrc,
      long mediaSsrc,
      int fractionLost,
      int cumulativeLost,
      long highestSequence,
      long jitter,
      long lastSr,
      long delaySinceLastSr) {
    byte[] p = new byte[32];
    p[0] = (byte) (0x80 | 1);
    p[1] = (byte) RR;
    p[3] = 7;
    RtpPacket.writeUint32(p, 4, senderSsrc);
    RtpPacket.writeUint32(p, 8, mediaSsrc);
    RtpPacket.writeUint32(
        p, 12, ((long) (fractionLost & 0xff) << 24) | (cumulativeLost & 0xffffffL));
    RtpPacket.writeUint32(p, 16, highestSequence);
    RtpPacket.writeUint32(p, 20, jitter);
    RtpPacket.writeUint32(p, 24, lastSr);
    RtpPacket.writeUint32(p, 28, delaySinceLastSr);
    return p;
  }
}

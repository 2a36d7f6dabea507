package com.nrsgirls.streaming.webrtc.rtp;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Rebuilds H.264 access units from RTP payloads (RFC 6184, packetization mode 1: single NAL units,
 * STAP-A and FU-A), fed in sequence order (after the jitter buffer). An access unit ends at the
 * marker bit or where the timestamp changes. A lost packet (a sequence gap) damages the access unit
 * it falls in: it is still given out, marked damaged, so the caller can drop it and wait for the
 * next IDR, and ask for one (PLI).
 *
 * <p>Bounded: an access unit over {@code maxAccessUnitBytes} or {@code maxNalUnits} is dropped
 * (damaged) rather than grown.
 */
public final class H264Depacketizer {
  /** NAL unit types this cares about. */
  public static final int NAL_IDR = 5;

  public static final int NAL_SPS = 7;
  public static final int NAL_PPS = 8;
  static final int STAP_A = 24;
  static final int FU_A = 28;

  /**
   * A whole access unit: its NAL units without start codes or length prefixes.
   *
   * @param damaged whether a packet of it was lost or malformed: not safe to decode
   */
  public record AccessUnit(long timestamp, List<byte[]> nalUnits, boolean damaged) {
    public boolean hasNal(int type) {
      for (byte[] n : nalUnits) {
        if ((n[0] & 0x1f) == type) {
          return true;
        }
      }
      return false;
    }

    /** An IDR picture: where a decoder (or a new viewer) can start, given SPS and PPS. */
    public boolean keyframe() {
      return hasNal(NAL_IDR);
    }

    public int size() {
      int n = 0;
      for (byte[] nal : nalUnits) {
        n += nal.length;
      }
      return n;
    }
  }

  private final int maxAccessUnitBytes;
  private final int maxNalUnits;
  private final SequenceUnwrapper sequences = new SequenceUnwrapper();

  private List<byte[]> nals = new ArrayList<>();
  private int bytes;
  private long timestamp = -1;
  private boolean damaged;
  private long lastSequence = Long.MIN_VALUE;

  /** The fragments of the FU-A NAL unit being joined, or null. */
  private byte[] fragment;

  private int fragmentLength;
  private long unsupported;

  public H264Depacketizer(int maxAccessUnitBytes, int maxNalUnits) {
    this.maxAccessUnitBytes = maxAccessUnitBytes;
    this.maxNalUnits = maxNalUnits;
  }

  /**
   * Takes the next packet; returns the access units it completed (none, one, or two when a
   * timestamp change ends one unit and the packet's marker ends its own).
   */
  public List<AccessUnit> push(RtpPacket p) {
    List<AccessUnit> out = new ArrayList<>(1);
    long seq = sequences.unwrap(p.sequence());
    if (seq <= lastSequence) {
      return out; // a duplicate or a packet already given up on
    }
    boolean gap = lastSequence != Long.MIN_VALUE && seq != lastSequence + 1;
    lastSequence = seq;
    if (timestamp >= 0
        && p.timestamp() != timestamp
        && (!nals.isEmpty() || fragment != null || damaged)) {
      // an access unit without its marker: what was lost may be its end
      damaged |= gap;
      out.add(finish());
    }
    timestamp = p.timestamp();
    if (gap) {
      damaged = true;
      fragment = null; // the middle of a fragmented NAL unit is gone
    }
    try {
      read(p.data(), p.payloadOffset(), p.payloadLength());
    } catch (RtpException e) {
      damaged = true;
      fragment = null;
    }
    if (p.marker()) {
      out.add(finish());
    }
    return out;
  }

  /** Packets of payload types this does not join (STAP-B, MTAP, FU-B): dropped, counted. */
  public long unsupported() {
    return unsupported;
  }

  private void read(byte[] b, int off, int len) throws RtpException {
    if (len < 1) {
      throw new RtpException("an empty H.264 payload");
    }
    int type = b[off] & 0x1f;
    if (type >= 1 && type <= 23) {
      add(Arrays.copyOfRange(b, off, off + len));
    } else if (type == STAP_A) {
      int at = off + 1;
      int end = off + len;
      while (at < end) {
        if (at + 2 > end) {
          throw new RtpException("a STAP-A size is cut off");
        }
        int size = ((b[at] & 0xff) << 8) | (b[at + 1] & 0xff);
        at += 2;
        if (size == 0 || at + size > end) {
          throw new RtpException("a STAP-A unit of " + size + " bytes does not fit");
        }
        add(Arrays.copyOfRange(b, at, at + size));
        at += size;
      }
    } else if (type == FU_A) {
      if (len < 2) {
        throw new RtpException("an FU-A without its header");
      }
      int header = b[off + 1] & 0xff;
      boolean start = (header & 0x80) != 0;
      boolean end = (header & 0x40) != 0;
      if (start) {
        fragment = new byte[Math.max(64, len * 4)];
        fragment[0] = (byte) ((b[off] & 0xe0) | (header & 0x1f));
        fragmentLength = 1;
      } else if (fragment == null) {
        throw new RtpException("an FU-A continues a NAL unit whose start is missing");
      }
      append(b, off + 2, len - 2);
      if (end) {
        byte[] nal = Arrays.copyOf(fragment, fragmentLength);
        fragment = null;
        add(nal);
      }
    } else {
      unsupported++;
      throw new RtpException("H.264 payload type " + type + " is not joined (mode 1 only)");
    }
  }

  private void append(byte[] b, int off, int len) throws RtpException {
    if (bytes + fragmentLength + len > maxAccessUnitBytes) {
      fragment = null;
      throw new RtpException("an access unit over " + maxAccessUnitBytes + " bytes");
    }
    if (fragmentLength + len > fragment.length) {
      fragment = Arrays.copyOf(fragment, Math.max(fragment.length * 2, fragmentLength + len));
    }
    System.arraycopy(b, off, fragment, fragmentLength, len);
    fragmentLength += len;
  }

  private void add(byte[] nal) throws RtpException {
    if (nals.size() >= maxNalUnits || bytes + nal.length > maxAccessUnitBytes) {
      throw new RtpException("an access unit over its bounds");
    }
    nals.add(nal);
    bytes += nal.length;
  }

  private AccessUnit finish() {
    // a NAL unit still in fragments when its access unit ends lost its last fragment
    boolean broken = damaged || fragment != null;
    AccessUnit au = new AccessUnit(timestamp, List.copyOf(nals), broken);
    nals = new ArrayList<>();
    bytes = 0;
    damaged = false;
    fragment = null;
    return au;
  }
}

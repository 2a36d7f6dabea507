package com.nrsgirls.streaming.webrtc.rtp;

import java.util.ArrayList;
import java.util.List;

/**
 * Splits H.264 access units into RTP payloads (RFC 6184, packetization mode 1) of at most {@code
 * maxPayload} bytes: parameter sets that fit go together in one STAP-A, a NAL unit that fits goes
 * alone, a larger one in FU-A fragments. The caller sets the marker on the last payload of the
 * access unit.
 */
public final class H264Packetizer {
  private final int maxPayload;

  public H264Packetizer(int maxPayload) {
    if (maxPayload < 16) {
      throw new IllegalArgumentException("a payload of " + maxPayload + " bytes is too small");
    }
    this.maxPayload = maxPayload;
  }

  /** The payloads of one access unit, in order. */
  public List<byte[]> packetize(List<byte[]> nalUnits) {
    List<byte[]> out = new ArrayList<>();
    List<byte[]> aggregate = new ArrayList<>();
    int aggregateSize = 1;
    for (byte[] nal : nalUnits) {
      if (nal.length == 0) {
        continue;
      }
      int type = nal[0] & 0x1f;
      boolean parameterSet = type == H264Depacketizer.NAL_SPS || type == H264Depacketizer.NAL_PPS;
      if (parameterSet && aggregateSize + 2 + nal.length <= maxPayload) {
        aggregate.add(nal);
        aggregateSize += 2 + nal.length;
        continue;
      }
      flush(aggregate, out);
      aggregateSize = 1;
      if (nal.length <= maxPayload) {
        out.add(nal);
      } else {
        fragment(nal, out);
      }
    }
    flush(aggregate, out);
    return out;
  }

  private static void flush(List<byte[]> aggregate, List<byte[]> out) {
    if (aggregate.isEmpty()) {
      return;
    }
    if (aggregate.size() == 1) {
      out.add(aggregate.get(0));
    } else {
      int size = 1;
      int nri = 0;
      for (byte[] n : aggregate) {
        size += 2 + n.length;
        nri = Math.max(nri, n[0] & 0x60);
      }
      byte[] stap = new byte[size];
      stap[0] = (byte) (nri | H264Depacketizer.STAP_A);
      int at = 1;
      for (byte[] n : aggregate) {
        stap[at] = (byte) (n.length >>> 8);
        stap[at + 1] = (byte) n.length;
        System.arraycopy(n, 0, stap, at + 2, n.length);
        at += 2 + n.length;
      }
      out.add(stap);
    }
    aggregate.clear();
  }

  private void fragment(byte[] nal, List<byte[]> out) {
    int indicator = (nal[0] & 0xe0) | H264Depacketizer.FU_A;
    int type = nal[0] & 0x1f;
    int chunk = maxPayload - 2;
    for (int at = 1; at < nal.length; at += chunk) {
      int n = Math.min(chunk, nal.length - at);
      byte[] fu = new byte[2 + n];
      fu[0] = (byte) indicator;
      fu[1] = (byte) ((at == 1 ? 0x80 : 0) | (at + n == nal.length ? 0x40 : 0) | type);
      System.arraycopy(nal, at, fu, 2, n);
      out.add(fu);
    }
  }
}

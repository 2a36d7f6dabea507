package com.nrsgirls.streaming.pipeline.ts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A small, strict MPEG-TS reader for tests, written apart from the muxer: it checks packet size,
 * sync bytes, adaptation field lengths and continuity counters, and reassembles PSI sections and
 * PES packets per PID.
 */
public final class TsReader {
  /** One PES packet as read back. Times are the 33-bit 90 kHz values; -1 when absent. */
  public record Pes(
      int pid,
      int streamId,
      int declaredLength,
      long pts,
      long dts,
      boolean randomAccess,
      long pcr,
      byte[] payload) {}

  /** One PSI section (pointer field removed, stuffing cut off by section_length). */
  public record Section(int pid, byte[] bytes) {}

  /** Everything in a transport stream, in order of appearance. */
  public record Stream(List<Section> sections, List<Pes> pes, List<Integer> packetPids) {
    public List<Pes> pes(int pid) {
      return pes.stream().filter(p -> p.pid() == pid).toList();
    }
  }

  private TsReader() {}

  /**
   * The times a demuxer (ffmpeg, hls.js) gives the ADTS frames of these audio PES packets: each
   * PES's PTS, then a frame (1024 samples) later for every frame after the first in it.
   */
  public static List<Long> aacReadTimes(List<Pes> pes, int sampleRate) {
    long frame90k = 1024L * 90_000 / sampleRate;
    List<Long> times = new ArrayList<>();
    for (Pes p : pes) {
      byte[] b = p.payload();
      int k = 0;
      for (int o = 0; o + 7 <= b.length; k++) {
        assertEquals(0xFFF, ((b[o] & 0xFF) << 4) | ((b[o + 1] & 0xF0) >> 4), "ADTS sync word");
        int length =
            ((b[o + 3] & 0x03) << 11) | ((b[o + 4] & 0xFF) << 3) | ((b[o + 5] & 0xE0) >> 5);
        times.add(p.pts() + k * frame90k);
        o += length;
      }
    }
    return times;
  }

  public static Stream read(byte[] ts) {
    return read(ts, new HashMap<>());
  }

  /** Reads {@code ts}, checking continuity against (and updating) {@code continuity}. */
  public static Stream read(byte[] ts, Map<Integer, Integer> continuity) {
    assertEquals(0, ts.length % 188, "stream length is a multiple of 188");
    List<Section> sections = new ArrayList<>();
    List<Pes> pes = new ArrayList<>();
    List<Integer> pids = new ArrayList<>();
    Map<Integer, ByteArrayOutputStream> open = new HashMap<>();
    Map<Integer, long[]> openMeta = new HashMap<>(); // randomAccess, pcr
    for (int p = 0; p < ts.length; p += 188) {
      assertEquals(0x47, ts[p] & 0xFF, "sync byte at " + p);
      boolean start = (ts[p + 1] & 0x40) != 0;
      int pid = ((ts[p + 1] & 0x1F) << 8) | (ts[p + 2] & 0xFF);
      pids.add(pid);
      int control = (ts[p + 3] >> 4) & 0x3;
      int cc = ts[p + 3] & 0x0F;
      assertTrue(control == 1 || control == 3, "packet has payload (control " + control + ")");
      Integer previous = continuity.put(pid, cc);
      if (previous != null) {
        assertEquals((previous + 1) & 0xF, cc, "continuity counter of PID " + pid + " at " + p);
      }
      int q = p + 4;
      boolean randomAccess = false;
      long pcr = -1;
      if (control == 3) {
        int afLength = ts[q] & 0xFF;
        assertTrue(afLength <= 183, "adaptation field length " + afLength);
        if (afLength > 0) {
          int flags = ts[q + 1] & 0xFF;
          randomAccess = (flags & 0x40) != 0;
          int f = q + 2;
          if ((flags & 0x10) != 0) {
            long base =
                ((ts[f] & 0xFFL) << 25)
                    | ((ts[f + 1] & 0xFFL) << 17)
                    | ((ts[f + 2] & 0xFFL) << 9)
                    | ((ts[f + 3] & 0xFFL) << 1)
                    | ((ts[f + 4] & 0x80L) >> 7);
            pcr = base;
            f += 6;
          }
          for (int i = f; i < q + 1 + afLength; i++) {
            assertEquals(0xFF, ts[i] & 0xFF, "stuffing byte");
          }
        }
        q += 1 + afLength;
      }
      int end = p + 188;
      if (pid == TsMuxer.PAT_PID || pid == TsMuxer.PMT_PID) {
        assertTrue(start, "PSI section starts in its packet");
        int pointer = ts[q] & 0xFF;
        int s = q + 1 + pointer;
        int sectionLength = ((ts[s + 1] & 0x0F) << 8) | (ts[s + 2] & 0xFF);
        byte[] section = new byte[3 + sectionLength];
        System.arraycopy(ts, s, section, 0, section.length);
        sections.add(new Section(pid, section));
        continue;
      }
      if (start) {
        finish(pid, open, openMeta, pes);
        open.put(pid, new ByteArrayOutputStream());
        openMeta.put(pid, new long[] {randomAccess ? 1 : 0, pcr});
      }
      ByteArrayOutputStream buffer = open.get(pid);
      if (buffer != null) {
        buffer.write(ts, q, end - q);
      }
    }
    for (Integer pid : new ArrayList<>(open.keySet())) {
      finish(pid, open, openMeta, pes);
    }
    return new Stream(sections, pes, pids);
  }

  private static void finish(
      int pid, Map<Integer, ByteArrayOutputStream> open, Map<Integer, long[]> meta, List<Pes> out) {
    ByteArrayOutputStream buffer = open.remove(pid);
    if (buffer == null) {
      return;
    }
    long[] m = meta.remove(pid);
    byte[] b = buffer.toByteArray();
    assertEquals(0, b[0]);
    assertEquals(0, b[1]);
    assertEquals(1, b[2], "PES start code");
    int streamId = b[3] & 0xFF;
    int declared = ((b[4] & 0xFF) << 8) | (b[5] & 0xFF);
    int flags = b[7] & 0xFF;
    int headerDataLength = b[8] & 0xFF;
    long pts = -1;
    long dts = -1;
    if ((flags & 0x80) != 0) {
      pts = timestamp(b, 9);
    }
    if ((flags & 0x40) != 0) {
      dts = timestamp(b, 14);
    }
    int payloadStart = 9 + headerDataLength;
    if (declared != 0) {
      assertEquals(declared, b.length - 6, "PES_packet_length matches the bytes that follow it");
    }
    byte[] payload = new byte[b.length - payloadStart];
    System.arraycopy(b, payloadStart, payload, 0, payload.length);
    out.add(new Pes(pid, streamId, declared, pts, dts, m[0] == 1, m[1], payload));
  }

  /** Decodes a 5-byte PTS/DTS field, checking its marker bits. */
  public static long timestamp(byte[] b, int o) {
    assertEquals(1, b[o] & 1, "marker bit");
    assertEquals(1, b[o + 2] & 1, "marker bit");
    assertEquals(1, b[o + 4] & 1, "marker bit");
    return ((b[o] & 0x0EL) << 29)
        | ((b[o + 1] & 0xFFL) << 22)
        | ((b[o + 2] & 0xFEL) << 14)
        | ((b[o + 3] & 0xFFL) << 7)
        | ((b[o + 4] & 0xFEL) >> 1);
  }
}

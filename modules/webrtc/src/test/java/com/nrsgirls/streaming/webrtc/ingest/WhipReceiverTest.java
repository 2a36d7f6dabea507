package com.nrsgirls.streaming.webrtc.ingest;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nrsgirls.streaming.core.media.AvcDecoderConfig;
import com.nrsgirls.streaming.core.media.Codec;
import com.nrsgirls.streaming.core.media.MediaPacket;
import com.nrsgirls.streaming.webrtc.rtp.H264Packetizer;
import com.nrsgirls.streaming.webrtc.rtp.Rtcp;
import com.nrsgirls.streaming.webrtc.rtp.RtpPacket;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The WHIP receive side on a synthetic publisher (H.264 at 30 fps, a keyframe every 30 frames,
 * packetized by our packetizer; Opus every 20 ms), with time passed in: nothing before an IDR with
 * its parameter sets, PLIs until one comes, NACKs for a lost packet, repair when it is resent, a
 * damaged frame and what depends on it dropped, reordering undone, and fuzzed input survived.
 */
class WhipReceiverTest {
  private static final int H264 = 102;
  private static final int OPUS = 111;
  private static final long MS = 1_000_000L;

  /** x264's Main profile SPS for 640x360 and a PPS (as in core's tests). */
  private static final byte[] SPS =
      java.util.HexFormat.of().parseHex("674d401eeca05017fcb80880000003008000001e078b16cb");

  private static final byte[] PPS = java.util.HexFormat.of().parseHex("68ebe3cb22c0");

  /** Frame {@code i}'s NAL units: SPS, PPS and an IDR every 30 frames, else one P slice. */
  private static List<byte[]> frame(int i, Random random) {
    byte[] slice = new byte[300 + random.nextInt(3000)];
    random.nextBytes(slice);
    if (i % 30 == 0) {
      slice[0] = 0x65;
      return List.of(SPS, PPS, slice);
    }
    slice[0] = 0x41;
    return List.of(slice);
  }

  /** The RTP packets of frames {@code from} until {@code to}, sequence numbers from 65000. */
  private static List<byte[]> packets(int from, int to, List<List<byte[]>> frames) {
    Random random = new Random(1);
    H264Packetizer packetizer = new H264Packetizer(1100);
    List<byte[]> out = new ArrayList<>();
    int seq = 65000;
    for (int i = 0; i < to; i++) {
      List<byte[]> nals = frame(i, random);
      if (i < from) {
        continue;
      }
      frames.add(nals);
      List<byte[]> payloads = packetizer.packetize(nals);
      for (int k = 0; k < payloads.size(); k++) {
        byte[] payload = payloads.get(k);
        byte[] packet = new byte[RtpPacket.HEADER + payload.length];
        RtpPacket.write(
            packet,
            0,
            k == payloads.size() - 1,
            H264,
            seq++ & 0xffff,
            4_000_000_000L + 3000L * i & 0xffffffffL,
            0xabcdef,
            payload,
            0,
            payload.length);
        out.add(packet);
      }
    }
    return out;
  }

  private static RtpPacket parse(byte[] b) throws Exception {
    return RtpPacket.parse(b, 0, b.length);
  }

  private static boolean hasPli(List<byte[]> rtcp) throws Exception {
    for (byte[] b : rtcp) {
      for (Rtcp.Part p : Rtcp.parts(b, 0, b.length)) {
        if (p.type() == Rtcp.PSFB && p.count() == 1) {
          return true;
        }
      }
    }
    return false;
  }

  private static List<Integer> nacked(List<byte[]> rtcp) throws Exception {
    List<Integer> out = new ArrayList<>();
    for (byte[] b : rtcp) {
      for (Rtcp.Part p : Rtcp.parts(b, 0, b.length)) {
        if (p.type() == Rtcp.RTPFB && p.count() == 1) {
          out.addAll(Rtcp.nackedSequences(b, p));
        }
      }
    }
    return out;
  }

  private static byte[] avcc(List<byte[]> nals) {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    for (byte[] nal : nals) {
      if ((nal[0] & 0x1f) == 7 || (nal[0] & 0x1f) == 8) {
        continue;
      }
      out.writeBytes(new byte[] {0, 0, (byte) (nal.length >>> 8), (byte) nal.length});
      out.writeBytes(nal);
    }
    return out.toByteArray();
  }

  @Test
  void nothingBeforeAnIdrWithItsParameterSetsAndPlisUntilItComes() throws Exception {
    List<List<byte[]>> frames = new ArrayList<>();
    List<byte[]> packets = packets(20, 95, frames); // joins ten frames before a keyframe
    WhipReceiver r = new WhipReceiver(H264, OPUS, 1, WhipReceiver.Settings.defaults(), 0);
    List<MediaPacket> out = new ArrayList<>();
    long now = 0;
    int index = 0;
    boolean pliBeforeKeyframe = false;
    for (byte[] b : packets) {
      now += MS;
      r.rtp(parse(b), now, out);
      if (out.isEmpty() && hasPli(r.tick(now, out))) {
        pliBeforeKeyframe = true;
      }
      index++;
    }
    assertTrue(pliBeforeKeyframe, "a PLI asks for the keyframe the receiver waits for");
    assertFalse(hasPli(r.tick(now + 1000 * MS, out)), "no PLI once a keyframe came");
    assertTrue(out.get(0).isConfig());
    AvcDecoderConfig config = AvcDecoderConfig.parse(out.get(0).array(), 0, out.get(0).length());
    assertArrayEquals(SPS, config.sps().get(0));
    assertArrayEquals(PPS, config.pps().get(0));
    assertEquals(640, config.width());
    assertEquals(360, config.height());
    List<MediaPacket> pictures = out.stream().filter(p -> !p.isConfig()).toList();
    assertEquals(95 - 30, pictures.size(), "frames 30 to 94");
    assertTrue(pictures.get(0).isKeyframe());
    assertTrue(pictures.get(30).isKeyframe());
    assertEquals(1, out.stream().filter(MediaPacket::isConfig).count(), "config once");
    for (int i = 0; i < pictures.size(); i++) {
      MediaPacket p = pictures.get(i);
      assertEquals(Codec.H264, p.codec());
      assertArrayEquals(avcc(frames.get(10 + i)), p.payloadCopy(), "frame " + (30 + i));
      if (i > 0) {
        long step = p.dts() - pictures.get(i - 1).dts();
        assertTrue(step == 33 || step == 34, "33.3 ms apart, was " + step);
      }
    }
    assertEquals(65, r.counts().accessUnits());
    assertEquals(10, r.counts().droppedAccessUnits());
  }

  /** A browser's encoder sends keyframes only when asked: one is asked for every 2 s without. */
  @Test
  void aKeyframeIsAskedForWhenNoneCameForTwoSeconds() throws Exception {
    List<List<byte[]>> frames = new ArrayList<>();
    List<byte[]> packets = packets(0, 30, frames); // one IDR, then P frames only
    WhipReceiver r = new WhipReceiver(H264, OPUS, 1, WhipReceiver.Settings.defaults(), 0);
    List<MediaPacket> out = new ArrayList<>();
    List<Long> pliMillis = new ArrayList<>();
    long step = 4500 * MS / packets.size();
    long now = 0;
    for (byte[] packet : packets) {
      now += step;
      r.rtp(parse(packet), now, out);
      for (long t = now - step + 20 * MS; t <= now; t += 20 * MS) {
        if (hasPli(r.tick(t, out))) {
          pliMillis.add(t / MS);
        }
      }
    }
    assertEquals(1, out.stream().filter(MediaPacket::isKeyframe).count());
    List<Long> asked = pliMillis.stream().filter(t -> t > 500).toList(); // not the start's PLI
    assertTrue(asked.size() >= 2, "asked at 2 s and again 2 s later: " + pliMillis);
    assertTrue(asked.get(0) >= 2000 && asked.get(0) <= 2400, "first: " + pliMillis);
    assertTrue(asked.get(1) - asked.get(0) >= 2000, "not more often: " + pliMillis);
  }

  @Test
  void aLostPacketIsNackedAndRepairedWhenItIsSentAgain() throws Exception {
    List<List<byte[]>> frames = new ArrayList<>();
    List<byte[]> packets = packets(0, 40, frames);
    WhipReceiver r = new WhipReceiver(H264, OPUS, 1, WhipReceiver.Settings.defaults(), 0);
    List<MediaPacket> out = new ArrayList<>();
    int lost = 60;
    long now = 0;
    List<Integer> nacked = new ArrayList<>();
    for (int i = 0; i < packets.size(); i++) {
      now += MS;
      if (i != lost) {
        r.rtp(parse(packets.get(i)), now, out);
      }
      if (i == lost + 10) {
        now += 50 * MS;
        nacked.addAll(nacked(r.tick(now, out)));
        r.rtp(parse(packets.get(lost)), now, out); // the retransmission
      }
    }
    r.tick(now + 500 * MS, out);
    assertEquals(List.of(65000 + lost), nacked);
    assertEquals(40, out.stream().filter(p -> !p.isConfig()).count(), "every frame came out");
    assertEquals(0, r.counts().droppedAccessUnits());
  }

  @Test
  void aPacketNeverResentDropsItsFrameAndTheRestOfItsGopAndAsksForAKeyframe() throws Exception {
    List<List<byte[]>> frames = new ArrayList<>();
    List<byte[]> packets = packets(0, 70, frames);
    WhipReceiver r = new WhipReceiver(H264, OPUS, 1, WhipReceiver.Settings.defaults(), 0);
    List<MediaPacket> out = new ArrayList<>();
    // a packet of frame 5
    int lostFrame = 5;
    int lost = -1;
    int seen = 0;
    for (int i = 0; i < packets.size() && lost < 0; i++) {
      if (parse(packets.get(i)).marker() && ++seen == lostFrame) {
        lost = i + 1; // the first packet of frame 5
      }
    }
    long now = 0;
    int nacks = 0;
    boolean pli = false;
    for (int i = 0; i < packets.size(); i++) {
      now += 10 * MS;
      if (i != lost) {
        r.rtp(parse(packets.get(i)), now, out);
      }
      List<byte[]> rtcp = r.tick(now, out);
      nacks += nacked(rtcp).size();
      pli |= hasPli(rtcp);
    }
    assertEquals(3, nacks, "asked for three times");
    assertTrue(pli, "a keyframe asked for after the loss");
    List<MediaPacket> pictures = out.stream().filter(p -> !p.isConfig()).toList();
    // frames 0-4, then nothing until the keyframes at 30 and 60
    assertEquals(5 + 40, pictures.size());
    assertTrue(pictures.get(5).isKeyframe());
    assertEquals(1, r.counts().lostPackets());
  }

  @Test
  void reorderedPacketsComeOutInOrder() throws Exception {
    List<List<byte[]>> frames = new ArrayList<>();
    List<byte[]> packets = new ArrayList<>(packets(0, 31, frames));
    for (int i = 1; i + 1 < packets.size(); i += 3) {
      byte[] t = packets.get(i);
      packets.set(i, packets.get(i + 1));
      packets.set(i + 1, t);
    }
    WhipReceiver r = new WhipReceiver(H264, OPUS, 1, WhipReceiver.Settings.defaults(), 0);
    List<MediaPacket> out = new ArrayList<>();
    long now = 0;
    for (byte[] b : packets) {
      now += MS;
      r.rtp(parse(b), now, out);
    }
    r.tick(now + 500 * MS, out);
    List<MediaPacket> pictures = out.stream().filter(p -> !p.isConfig()).toList();
    assertEquals(31, pictures.size());
    for (int i = 0; i < 31; i++) {
      assertArrayEquals(avcc(frames.get(i)), pictures.get(i).payloadCopy(), "frame " + i);
    }
  }

  @Test
  void opusPacketsFollowTheirClockAndALateOneIsDropped() throws Exception {
    WhipReceiver r = new WhipReceiver(H264, OPUS, 1, WhipReceiver.Settings.defaults(), 0);
    List<MediaPacket> out = new ArrayList<>();
    byte[] packet = new byte[RtpPacket.HEADER + 50];
    long base = 0xfffff000L; // wraps after a few packets
    for (int i = 0; i < 10; i++) {
      RtpPacket.write(
          packet, 0, false, OPUS, i, base + 960L * i & 0xffffffffL, 0x55, new byte[50], 0, 50);
      r.rtp(parse(packet), (100 + 20L * i) * MS, out);
    }
    RtpPacket.write(
        packet, 0, false, OPUS, 3, base + 960L * 3 & 0xffffffffL, 0x55, new byte[50], 0, 50);
    r.rtp(parse(packet), 400 * MS, out);
    assertEquals(10, out.size());
    for (int i = 0; i < 10; i++) {
      assertEquals(Codec.OPUS, out.get(i).codec());
      assertEquals(100 + 20L * i, out.get(i).dts(), "packet " + i);
    }
  }

  @Test
  void fuzzedPacketsNeitherThrowNorGrowWithoutBound() throws Exception {
    Random random = new Random(9);
    WhipReceiver r = new WhipReceiver(H264, OPUS, 1, WhipReceiver.Settings.defaults(), 0);
    List<MediaPacket> out = new ArrayList<>();
    byte[] packet = new byte[1300];
    for (int i = 0; i < 100_000; i++) {
      int len = 1 + random.nextInt(1200);
      byte[] payload = new byte[len];
      random.nextBytes(payload);
      int pt = random.nextInt(10) < 8 ? H264 : random.nextBoolean() ? OPUS : random.nextInt(128);
      int n =
          RtpPacket.write(
              packet,
              0,
              random.nextInt(4) == 0,
              pt,
              random.nextInt(20) == 0 ? random.nextInt(65536) : i & 0xffff,
              random.nextInt(),
              random.nextInt(3),
              payload,
              0,
              len);
      r.rtp(parse(Arrays.copyOf(packet, n)), i * MS, out);
      if (i % 20 == 0) {
        r.tick(i * MS, out);
      }
      if (out.size() > 1000) {
        out.clear();
      }
    }
    assertTrue(r.counts().videoPackets() > 0);
  }
}

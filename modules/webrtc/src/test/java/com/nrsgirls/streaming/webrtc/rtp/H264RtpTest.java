package com.nrsgirls.streaming.webrtc.rtp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nrsgirls.streaming.testkit.Mutator;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class H264RtpTest {
  private static final int MTU = 1200;

  @Test
  void rtpHeadersReadWithCsrcsExtensionAndPadding() throws Exception {
    byte[] p = new byte[12 + 8 + 8 + 5 + 3];
    p[0] = (byte) (0x80 | 0x20 | 0x10 | 2); // padding, extension, two CSRCs
    p[1] = (byte) (0x80 | 96);
    p[2] = (byte) 0xab;
    p[3] = (byte) 0xcd;
    RtpPacket.writeUint32(p, 4, 0xfedcba98L);
    RtpPacket.writeUint32(p, 8, 0x01020304L);
    int ext = 12 + 8;
    p[ext + 3] = 1; // one word of extension
    for (int i = 0; i < 5; i++) {
      p[ext + 8 + i] = (byte) (i + 1);
    }
    p[p.length - 1] = 3;
    RtpPacket r = RtpPacket.parse(p, 0, p.length);
    assertTrue(r.marker());
    assertEquals(96, r.payloadType());
    assertEquals(0xabcd, r.sequence());
    assertEquals(0xfedcba98L, r.timestamp());
    assertEquals(0x01020304L, r.ssrc());
    assertEquals(ext + 8, r.payloadOffset());
    assertEquals(5, r.payloadLength());
    assertTrue(RtpPacket.isRtpOrRtcp(p, 0, p.length));
    assertFalse(RtpPacket.isRtcp(p, 0, p.length));
    p[p.length - 1] = 30;
    assertThrows(RtpException.class, () -> RtpPacket.parse(p, 0, p.length));
  }

  @Test
  void sequenceNumbersUnwrapAcrossTheWrap() {
    SequenceUnwrapper u = new SequenceUnwrapper();
    assertEquals(65534, u.unwrap(65534));
    assertEquals(65535, u.unwrap(65535));
    assertEquals(65536, u.unwrap(0));
    assertEquals(65535, u.unwrap(65535)); // late, not a new cycle
    assertEquals(65537, u.unwrap(1));
  }

  @Test
  void accessUnitsSurviveThePacketizerAndDepacketizer() {
    Random random = new Random(6184);
    H264Packetizer packetizer = new H264Packetizer(MTU);
    H264Depacketizer depacketizer = new H264Depacketizer(4 << 20, 512);
    List<List<byte[]>> sent = new ArrayList<>();
    List<H264Depacketizer.AccessUnit> got = new ArrayList<>();
    int seq = 65000; // crosses the wrap
    for (int au = 0; au < 200; au++) {
      List<byte[]> nals = new ArrayList<>();
      if (au % 30 == 0) {
        nals.add(nal(7, 20 + random.nextInt(10), random));
        nals.add(nal(8, 4 + random.nextInt(4), random));
        nals.add(nal(5, 10 + random.nextInt(40_000), random));
      } else {
        for (int s = 0; s < 1 + random.nextInt(3); s++) {
          nals.add(nal(1, 1 + random.nextInt(5_000), random));
        }
      }
      sent.add(nals);
      List<byte[]> payloads = packetizer.packetize(nals);
      for (int i = 0; i < payloads.size(); i++) {
        assertTrue(payloads.get(i).length <= MTU);
        got.addAll(
            depacketizer.push(
                packet(seq++ & 0xffff, au * 3000L, i == payloads.size() - 1, payloads.get(i))));
      }
    }
    assertEquals(sent.size(), got.size());
    for (int i = 0; i < sent.size(); i++) {
      H264Depacketizer.AccessUnit au = got.get(i);
      assertFalse(au.damaged(), "unit " + i);
      assertEquals(i * 3000L, au.timestamp());
      assertEquals(i % 30 == 0, au.keyframe());
      assertEquals(sent.get(i).size(), au.nalUnits().size());
      for (int n = 0; n < sent.get(i).size(); n++) {
        assertArrayEquals(sent.get(i).get(n), au.nalUnits().get(n), "unit " + i + " nal " + n);
      }
    }
  }

  @Test
  void parameterSetsGoTogetherInOneStapA() {
    Random random = new Random(1);
    List<byte[]> payloads =
        new H264Packetizer(MTU)
            .packetize(List.of(nal(7, 25, random), nal(8, 5, random), nal(5, 500, random)));
    assertEquals(2, payloads.size());
    assertEquals(24, payloads.get(0)[0] & 0x1f);
    assertEquals(5, payloads.get(1)[0] & 0x1f);
  }

  @Test
  void aLostPacketDamagesItsAccessUnitOnly() {
    Random random = new Random(2);
    H264Packetizer packetizer = new H264Packetizer(MTU);
    H264Depacketizer depacketizer = new H264Depacketizer(4 << 20, 512);
    List<H264Depacketizer.AccessUnit> got = new ArrayList<>();
    int seq = 0;
    for (int au = 0; au < 3; au++) {
      List<byte[]> payloads = packetizer.packetize(List.of(nal(au == 0 ? 5 : 1, 5000, random)));
      for (int i = 0; i < payloads.size(); i++) {
        int s = seq++;
        if (au == 1 && i == 2) {
          continue; // lost
        }
        got.addAll(
            depacketizer.push(packet(s, au * 3000L, i == payloads.size() - 1, payloads.get(i))));
      }
    }
    assertEquals(3, got.size());
    assertFalse(got.get(0).damaged());
    assertTrue(got.get(1).damaged());
    assertTrue(
        got.get(1).nalUnits().isEmpty(), "the fragmented NAL unit is dropped, not half given");
    assertFalse(got.get(2).damaged());
  }

  @Test
  void fuzzedPayloadsNeverThrowAndStayBounded() throws Exception {
    Random random = new Random(3);
    H264Packetizer packetizer = new H264Packetizer(MTU);
    List<byte[]> valid = new ArrayList<>();
    int seq = 0;
    for (byte[] p :
        packetizer.packetize(
            List.of(nal(7, 20, random), nal(8, 5, random), nal(5, 9000, random)))) {
      byte[] pkt = new byte[12 + p.length];
      RtpPacket.write(pkt, 0, false, 96, seq++, 9000, 1, p, 0, p.length);
      valid.add(pkt);
    }
    H264Depacketizer depacketizer = new H264Depacketizer(64 * 1024, 64);
    for (int i = 0; i < 100_000; i++) {
      byte[] m = Mutator.mutate(valid.get(random.nextInt(valid.size())), random);
      try {
        if (m.length > 0 && RtpPacket.isRtpOrRtcp(m, 0, m.length)) {
          for (H264Depacketizer.AccessUnit au :
              depacketizer.push(RtpPacket.parse(m, 0, m.length))) {
            assertTrue(au.size() <= 64 * 1024);
            assertTrue(au.nalUnits().size() <= 64);
          }
        }
      } catch (RtpException expected) {
        // a clear refusal
      }
    }
  }

  private static RtpPacket packet(int seq, long ts, boolean marker, byte[] payload) {
    byte[] p = new byte[12 + payload.length];
    RtpPacket.write(p, 0, marker, 96, seq, ts, 0x1234, payload, 0, payload.length);
    try {
      return RtpPacket.parse(p, 0, p.length);
    } catch (RtpException e) {
      throw new AssertionError(e);
    }
  }

  private static byte[] nal(int type, int size, Random random) {
    byte[] n = new byte[size];
    random.nextBytes(n);
    n[0] = (byte) (0x60 | type);
    return n;
  }
}

package com.nrsgirls.streaming.webrtc.rtp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.nrsgirls.streaming.testkit.Mutator;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class RtcpTest {
  @Test
  void nacksNameEveryLostPacketInTheFewestEntries() throws Exception {
    List<Integer> lost = List.of(65530, 65531, 65535, 0, 9, 40, 41, 56);
    byte[] nack = Rtcp.nack(1, 2, lost);
    // 65530 covers 65531..65546 (wrapping: 65535, 0, 9); 40 covers 41 and 56
    assertEquals(12 + 2 * 4, nack.length);
    List<Rtcp.Part> parts = Rtcp.parts(nack, 0, nack.length);
    assertEquals(1, parts.size());
    assertEquals(lost, Rtcp.nackedSequences(nack, parts.get(0)));
  }

  @Test
  void compoundPacketsSplitAndSenderReportsRead() throws Exception {
    byte[] rr = Rtcp.receiverReport(7, 9, 25, 100, 70_000, 12, 0xabcd1234L, 65536);
    byte[] sr = new byte[28];
    sr[0] = (byte) 0x80;
    sr[1] = (byte) Rtcp.SR;
    sr[3] = 6;
    RtpPacket.writeUint32(sr, 4, 9);
    RtpPacket.writeUint32(sr, 8, 0xe0000000L);
    RtpPacket.writeUint32(sr, 12, 0x80000000L);
    RtpPacket.writeUint32(sr, 16, 123_456);
    byte[] pli = Rtcp.pli(7, 9);
    byte[] compound = new byte[sr.length + rr.length + pli.length];
    System.arraycopy(sr, 0, compound, 0, sr.length);
    System.arraycopy(rr, 0, compound, sr.length, rr.length);
    System.arraycopy(pli, 0, compound, sr.length + rr.length, pli.length);
    List<Rtcp.Part> parts = Rtcp.parts(compound, 0, compound.length);
    assertEquals(
        List.of(Rtcp.SR, Rtcp.RR, Rtcp.PSFB), parts.stream().map(Rtcp.Part::type).toList());
    Rtcp.SenderReport report = Rtcp.senderReport(compound, parts.get(0));
    assertEquals(9, report.ssrc());
    assertEquals(0xe000000080000000L, report.ntpTime());
    assertEquals(123_456, report.rtpTimestamp());
    assertEquals(1, parts.get(2).count(), "PLI is format 1");
    compound[sr.length + 3] = 50; // the RR says it is longer than the datagram
    assertThrows(RtpException.class, () -> Rtcp.parts(compound, 0, compound.length));
  }

  @Test
  void fuzzedRtcpNeverThrowsAnythingElse() {
    Random random = new Random(4585);
    byte[] valid = Rtcp.nack(1, 2, List.of(1, 2, 3, 100));
    for (int i = 0; i < 50_000; i++) {
      byte[] m = Mutator.mutate(valid, random);
      try {
        for (Rtcp.Part p : Rtcp.parts(m, 0, m.length)) {
          if (p.type() == Rtcp.RTPFB) {
            Rtcp.nackedSequences(m, p);
          } else if (p.type() == Rtcp.SR) {
            Rtcp.senderReport(m, p);
          }
        }
      } catch (RtpException expected) {
        // a clear refusal
      }
    }
  }
}

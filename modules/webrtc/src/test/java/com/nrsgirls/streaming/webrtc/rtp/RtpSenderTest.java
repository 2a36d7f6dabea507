package com.nrsgirls.streaming.webrtc.rtp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class RtpSenderTest {
  @Test
  void packetsCountUpAcrossTheWrapAndNackedOnesAreResentAsTheyWere() throws Exception {
    RtpSender sender = new RtpSender(0xdeadbeefL, 102, 65534, 8);
    byte[][] sent = new byte[12][];
    for (int i = 0; i < sent.length; i++) {
      sent[i] = sender.next(new byte[] {(byte) i, 1, 2}, i % 3 == 2, 90_000L * i, 0);
      RtpPacket p = RtpPacket.parse(sent[i], 0, sent[i].length);
      assertEquals((65534 + i) & 0xffff, p.sequence());
      assertEquals(0xdeadbeefL, p.ssrc());
      assertEquals(102, p.payloadType());
      assertEquals(i % 3 == 2, p.marker());
      assertEquals(90_000L * i, p.timestamp());
    }
    assertEquals(12, sender.packets());
    assertEquals(36, sender.octets());
    assertArrayEquals(sent[11], sender.resend((65534 + 11) & 0xffff, 0));
    assertArrayEquals(sent[4], sender.resend((65534 + 4) & 0xffff, 0));
    assertNull(sender.resend((65534 + 3) & 0xffff, 0), "older than the history of 8");
    assertNull(sender.resend(12345, 0), "never sent");
    assertEquals(2, sender.retransmitted());
    byte[] roomy = sender.next(new byte[] {9}, true, 1, 10);
    assertEquals(13, RtpSender.length(roomy, 10));
    assertEquals(23, roomy.length);
    assertNull(new RtpSender(1, 111, 0, 0).resend(0, 0), "no history (audio)");
  }

  @Test
  void senderReportsReadBackAndNtpTimeIsFromNineteenHundred() throws Exception {
    long ntp = Rtcp.ntpTime(1_700_000_000_500L);
    assertEquals(1_700_000_000L + 2_208_988_800L, ntp >>> 32);
    assertEquals(0x80000000L, ntp & 0xffffffffL, "half a second");
    byte[] sr = Rtcp.senderReport(42, ntp, 123_456, 1000, 900_000);
    List<Rtcp.Part> parts = Rtcp.parts(sr, 0, sr.length);
    assertEquals(1, parts.size());
    Rtcp.SenderReport read = Rtcp.senderReport(sr, parts.get(0));
    assertEquals(new Rtcp.SenderReport(42, ntp, 123_456, 1000, 900_000), read);
  }

  @Test
  void aReceiversReportBlocksAreRead() throws Exception {
    byte[] rr = Rtcp.receiverReport(7, 1111, 64, -3 & 0xffffff, 70_000, 12, 0, 0);
    List<Rtcp.Part> parts = Rtcp.parts(rr, 0, rr.length);
    List<Rtcp.ReportBlock> blocks = Rtcp.reportBlocks(rr, parts.get(0));
    assertEquals(List.of(new Rtcp.ReportBlock(1111, 64, -3, 12)), blocks);
    byte[] pli = Rtcp.pli(7, 1111);
    assertTrue(Rtcp.asksForKeyframe(Rtcp.parts(pli, 0, pli.length).get(0)));
    byte[] truncated = java.util.Arrays.copyOf(rr, rr.length);
    truncated[0] = (byte) 0x82; // says two blocks, has one
    try {
      Rtcp.reportBlocks(truncated, Rtcp.parts(truncated, 0, truncated.length).get(0));
      throw new AssertionError("a block past the packet is refused");
    } catch (RtpException expected) {
      // refused
    }
  }
}

package com.nrsgirls.streaming.webrtc.sdp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nrsgirls.streaming.testkit.Mutator;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.api.Test;

class WhepAnswerTest {
  private static final WhipAnswer.Local LOCAL =
      new WhipAnswer.Local("srvufrag", "srvpassword0123456789012", "AB:CD:EF", "127.0.0.1", 8189);
  private static final WhepAnswer.Sources SOURCES =
      new WhepAnswer.Sources(1111, 2222, "nrs-abcdef123456");

  /** A browser's WHEP offer: recvonly, video first, H.264 in several profiles among others. */
  static final String BROWSER =
      String.join(
          "\r\n",
          "v=0",
          "o=- 4611731400430051336 2 IN IP4 127.0.0.1",
          "s=-",
          "t=0 0",
          "a=group:BUNDLE 0 1",
          "m=video 9 UDP/TLS/RTP/SAVPF 96 102 103 108 112",
          "c=IN IP4 0.0.0.0",
          "a=ice-ufrag:Ab1c",
          "a=ice-pwd:aBcDeFgHiJkLmNoPqRsTuVwX",
          "a=fingerprint:sha-256 11:22:33:44",
          "a=setup:actpass",
          "a=mid:0",
          "a=recvonly",
          "a=rtcp-mux",
          "a=rtpmap:96 VP8/90000",
          "a=rtpmap:102 H264/90000",
          "a=fmtp:102 level-asymmetry-allowed=1;packetization-mode=0;profile-level-id=42001f",
          "a=rtpmap:103 H264/90000",
          "a=fmtp:103 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42001f",
          "a=rtpmap:108 H264/90000",
          "a=fmtp:108 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f",
          "a=rtpmap:112 H264/90000",
          "a=fmtp:112 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=64001f",
          "m=audio 9 UDP/TLS/RTP/SAVPF 111 0",
          "c=IN IP4 0.0.0.0",
          "a=ice-ufrag:Ab1c",
          "a=ice-pwd:aBcDeFgHiJkLmNoPqRsTuVwX",
          "a=fingerprint:sha-256 11:22:33:44",
          "a=setup:actpass",
          "a=mid:1",
          "a=recvonly",
          "a=rtcp-mux",
          "a=rtpmap:111 opus/48000/2",
          "a=fmtp:111 minptime=10;useinbandfec=1",
          "a=rtpmap:0 PCMU/8000",
          "");

  @Test
  void theSourcesProfileIsChosenAndBothTracksAreSentInOneStream() throws Exception {
    WhepAnswer.Agreement a = WhepAnswer.answer(Sdp.parse(BROWSER), LOCAL, SOURCES, 100);
    assertEquals(112, a.h264PayloadType(), "High, as the source");
    assertEquals(111, a.opusPayloadType());
    assertFalse(a.dtlsClient(), "the browser's actpass leaves the node the server");
    assertEquals("sha-256 11:22:33:44", a.remoteFingerprint());
    Sdp answer = Sdp.parse(a.sdp());
    assertEquals("BUNDLE 0 1", answer.attribute("group"));
    for (Sdp.Media m : answer.media()) {
      assertEquals("sendonly", m.direction());
      assertEquals("passive", m.attribute("setup"));
      assertTrue(m.attribute("msid").startsWith("nrs-abcdef123456 "), m.attribute("msid"));
    }
    assertEquals("112", answer.media().get(0).formats().get(0));
    assertTrue(answer.media().get(0).attributes("ssrc").get(0).startsWith("1111 cname:"));
    assertTrue(answer.media().get(1).attributes("ssrc").get(0).startsWith("2222 cname:"));
    assertTrue(answer.media().get(0).attributes("rtcp-fb").contains("112 nack"));
  }

  @Test
  void withoutTheSourcesProfileHighIsChosenElseConstrainedBaseline() throws Exception {
    assertEquals(112, WhepAnswer.answer(Sdp.parse(BROWSER), LOCAL, SOURCES, 0).h264PayloadType());
    assertEquals(
        112, WhepAnswer.answer(Sdp.parse(BROWSER), LOCAL, SOURCES, 77).h264PayloadType(), "Main");
    String noHigh = BROWSER.replace("profile-level-id=64001f", "profile-level-id=f4001f");
    assertEquals(108, WhepAnswer.answer(Sdp.parse(noHigh), LOCAL, SOURCES, 0).h264PayloadType());
  }

  @Test
  void anOfferThatCannotReceiveH264IsRefused() throws Exception {
    String vp8Only =
        BROWSER.replaceAll("a=rtpmap:1(02|03|08|12) H264/90000", "a=rtpmap:1$1 VP9/90000");
    assertThrows(
        SdpException.class, () -> WhepAnswer.answer(Sdp.parse(vp8Only), LOCAL, SOURCES, 100));
    String sendOnly = BROWSER.replace("a=recvonly", "a=sendonly");
    assertThrows(
        SdpException.class, () -> WhepAnswer.answer(Sdp.parse(sendOnly), LOCAL, SOURCES, 100));
  }

  @Test
  void mutatedOffersAreAnsweredOrRefusedNeverThrowOtherwise() {
    Random random = new Random(7);
    byte[] offer = BROWSER.getBytes(StandardCharsets.UTF_8);
    for (int i = 0; i < 20_000; i++) {
      String mutated = new String(Mutator.mutate(offer, random), StandardCharsets.UTF_8);
      try {
        WhepAnswer.answer(Sdp.parse(mutated), LOCAL, SOURCES, random.nextInt(120));
      } catch (SdpException expected) {
        // refused with a reason
      }
    }
  }
}

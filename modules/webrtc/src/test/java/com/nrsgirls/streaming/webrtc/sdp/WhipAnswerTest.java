package com.nrsgirls.streaming.webrtc.sdp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nrsgirls.streaming.testkit.Mutator;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.api.Test;

class WhipAnswerTest {
  private static final WhipAnswer.Local LOCAL =
      new WhipAnswer.Local("srvufrag", "srvpassword0123456789012", "AB:CD:EF", "127.0.0.1", 8189);

  /** The shape of a browser's WHIP offer: actpass, audio first, several video codecs, RTX. */
  static final String BROWSER =
      String.join(
          "\r\n",
          "v=0",
          "o=- 4611731400430051336 2 IN IP4 127.0.0.1",
          "s=-",
          "t=0 0",
          "a=group:BUNDLE 0 1",
          "a=extmap-allow-mixed",
          "a=msid-semantic: WMS",
          "m=audio 9 UDP/TLS/RTP/SAVPF 111 63 9 0 8",
          "c=IN IP4 0.0.0.0",
          "a=rtcp:9 IN IP4 0.0.0.0",
          "a=ice-ufrag:Ab1c",
          "a=ice-pwd:aBcDeFgHiJkLmNoPqRsTuVwX",
          "a=ice-options:trickle",
          "a=fingerprint:sha-256 11:22:33:44",
          "a=setup:actpass",
          "a=mid:0",
          "a=sendonly",
          "a=rtcp-mux",
          "a=rtpmap:111 opus/48000/2",
          "a=rtcp-fb:111 transport-cc",
          "a=fmtp:111 minptime=10;useinbandfec=1",
          "a=rtpmap:63 red/48000/2",
          "a=rtpmap:9 G722/8000",
          "a=rtpmap:0 PCMU/8000",
          "a=rtpmap:8 PCMA/8000",
          "m=video 9 UDP/TLS/RTP/SAVPF 96 97 102 103 45",
          "c=IN IP4 0.0.0.0",
          "a=ice-ufrag:Ab1c",
          "a=ice-pwd:aBcDeFgHiJkLmNoPqRsTuVwX",
          "a=fingerprint:sha-256 11:22:33:44",
          "a=setup:actpass",
          "a=mid:1",
          "a=sendonly",
          "a=rtcp-mux",
          "a=rtcp-rsize",
          "a=rtpmap:96 VP8/90000",
          "a=rtpmap:97 rtx/90000",
          "a=fmtp:97 apt=96",
          "a=rtpmap:102 H264/90000",
          "a=fmtp:102 level-asymmetry-allowed=1;packetization-mode=0;profile-level-id=42001f",
          "a=rtpmap:103 H264/90000",
          "a=rtcp-fb:103 nack",
          "a=rtcp-fb:103 nack pli",
          "a=fmtp:103 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42001f",
          "a=rtpmap:45 AV1/90000",
          "");

  /** The shape of FFmpeg's WHIP muxer offer: setup:passive, video first, one codec each. */
  static final String FFMPEG =
      String.join(
          "\n",
          "v=0",
          "o=FFmpeg 4489045141692799359 2 IN IP4 127.0.0.1",
          "s=FFmpegPublishSession",
          "t=0 0",
          "a=group:BUNDLE 0 1",
          "a=extmap-allow-mixed",
          "a=msid-semantic: WMS",
          "m=audio 9 UDP/TLS/RTP/SAVPF 111",
          "c=IN IP4 0.0.0.0",
          "a=ice-ufrag:a1b2c3d4",
          "a=ice-pwd:0123456789abcdef01234567",
          "a=fingerprint:sha-256 AA:BB",
          "a=setup:passive",
          "a=mid:0",
          "a=sendonly",
          "a=msid:FFmpeg audio",
          "a=rtcp-mux",
          "a=rtpmap:111 opus/48000/2",
          "a=ssrc:1234 cname:FFmpeg",
          "m=video 9 UDP/TLS/RTP/SAVPF 106",
          "c=IN IP4 0.0.0.0",
          "a=ice-ufrag:a1b2c3d4",
          "a=ice-pwd:0123456789abcdef01234567",
          "a=fingerprint:sha-256 AA:BB",
          "a=setup:passive",
          "a=mid:1",
          "a=sendonly",
          "a=rtcp-mux",
          "a=rtcp-rsize",
          "a=rtpmap:106 H264/90000",
          "a=fmtp:106 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f",
          "a=ssrc:5678 cname:FFmpeg");

  @Test
  void aBrowserOfferGetsOpusAndH264ModeOneWithTheNodeAsDtlsServer() throws Exception {
    WhipAnswer.Agreement a = WhipAnswer.answer(Sdp.parse(BROWSER), LOCAL);
    assertEquals(111, a.opusPayloadType());
    assertEquals(103, a.h264PayloadType(), "mode 1, not the mode 0 one listed first");
    assertEquals("0", a.audioMid());
    assertEquals("1", a.videoMid());
    assertEquals("Ab1c", a.remoteUfrag());
    assertEquals("sha-256 11:22:33:44", a.remoteFingerprint());
    assertFalse(a.dtlsClient());
    Sdp answer = Sdp.parse(a.sdp());
    assertTrue(answer.attribute("ice-lite") != null);
    assertEquals("BUNDLE 0 1", answer.attribute("group"));
    assertEquals(2, answer.media().size());
    for (Sdp.Media m : answer.media()) {
      assertEquals("recvonly", m.direction());
      assertEquals("passive", m.attribute("setup"));
      assertEquals("srvufrag", m.attribute("ice-ufrag"));
      assertEquals(8189, m.port());
      assertTrue(m.attribute("candidate").contains("127.0.0.1 8189 typ host"));
    }
    assertEquals("103", answer.media().get(1).formats().get(0));
    assertTrue(answer.media().get(1).attributes("rtcp-fb").contains("103 nack pli"));
  }

  @Test
  void ffmpegOffersPassiveSoTheNodeIsTheDtlsClient() throws Exception {
    WhipAnswer.Agreement a = WhipAnswer.answer(Sdp.parse(FFMPEG), LOCAL);
    assertTrue(a.dtlsClient());
    assertEquals(106, a.h264PayloadType());
    assertEquals(111, a.opusPayloadType());
    assertTrue(a.sdp().contains("a=setup:active"));
    assertFalse(a.sdp().contains("a=setup:passive"));
  }

  @Test
  void offersWithoutWhatWeTakeAreRefusedWithAReason() {
    String vp8Only = BROWSER.replace("a=rtpmap:103 H264/90000", "a=rtpmap:103 VP9/90000");
    SdpException e =
        assertThrows(SdpException.class, () -> WhipAnswer.answer(Sdp.parse(vp8Only), LOCAL));
    assertTrue(e.getMessage().contains("H.264"), e.getMessage());
    assertThrows(
        SdpException.class,
        () -> WhipAnswer.answer(Sdp.parse(FFMPEG.replace("a=ice-pwd:", "a=x-pwd:")), LOCAL));
    assertThrows(SdpException.class, () -> Sdp.parse("not sdp"));
    assertThrows(SdpException.class, () -> Sdp.parse("v=0\r\ns=-\r\n"));
    assertThrows(SdpException.class, () -> Sdp.parse("v=0\r\nm=video x UDP 96\r\n"));
    assertThrows(SdpException.class, () -> Sdp.parse("v=0\r\n" + "a=x\r\n".repeat(20_000)));
  }

  @Test
  void fuzzedOffersNeverThrowAnythingElse() {
    Random random = new Random(8866);
    byte[] valid = BROWSER.getBytes(StandardCharsets.UTF_8);
    for (int i = 0; i < 20_000; i++) {
      String offer = new String(Mutator.mutate(valid, random), StandardCharsets.UTF_8);
      try {
        WhipAnswer.answer(Sdp.parse(offer), LOCAL);
      } catch (SdpException expected) {
        // a clear refusal
      }
    }
  }
}

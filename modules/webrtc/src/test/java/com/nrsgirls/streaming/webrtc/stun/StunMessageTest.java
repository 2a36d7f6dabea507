package com.nrsgirls.streaming.webrtc.stun;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nrsgirls.streaming.testkit.Mutator;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.Random;
import org.junit.jupiter.api.Test;

class StunMessageTest {
  /** RFC 5769 §2.1, the sample request (short-term credentials). */
  private static final byte[] SAMPLE_REQUEST =
      HexFormat.of()
          .parseHex(
              "000100582112a442b7e7a701bc34d686fa87dfae"
                  + "802200105354554e20746573742063"
                  + "6c69656e74"
                  + "002400046e0001ff"
                  + "80290008932ff9b151263b36"
                  + "000600096576746a3a68367659202020"
                  + "000800149aeaa70cbfd8cb56781ef2b5b2d3f249c1b571a2"
                  + "80280004e57a3bcf");

  private static final byte[] PASSWORD = "VOkJxbRl1RmTxUk/WvJxBt".getBytes(StandardCharsets.UTF_8);

  @Test
  void theRfcSampleRequestReadsAndVerifies() throws Exception {
    assertTrue(StunMessage.isStun(SAMPLE_REQUEST, 0, SAMPLE_REQUEST.length));
    StunMessage m = StunMessage.parse(SAMPLE_REQUEST, 0, SAMPLE_REQUEST.length);
    assertEquals(StunMessage.BINDING_REQUEST, m.type());
    assertEquals("evtj:h6vY", m.username());
    assertEquals(0x6e0001ffL, m.priority());
    assertTrue(m.has(StunMessage.ICE_CONTROLLED));
    assertArrayEquals(HexFormat.of().parseHex("b7e7a701bc34d686fa87dfae"), m.transactionId());
    assertTrue(m.integrityValid(PASSWORD));
    assertTrue(m.fingerprintValid());
    assertFalse(m.integrityValid("wrong".getBytes(StandardCharsets.UTF_8)));
    assertEquals("evtj", IceLite.localUfrag(m));
  }

  @Test
  void aBuiltMessageCarriesTheSameIntegrityAndFingerprintAsTheRfcs() throws Exception {
    byte[] tid = HexFormat.of().parseHex("b7e7a701bc34d686fa87dfae");
    byte[] built =
        new StunMessage.Builder(StunMessage.BINDING_REQUEST, tid)
            .add(StunMessage.SOFTWARE, "STUN test client")
            .add(StunMessage.PRIORITY, HexFormat.of().parseHex("6e0001ff"))
            .add(StunMessage.ICE_CONTROLLED, HexFormat.of().parseHex("932ff9b151263b36"))
            .add(StunMessage.USERNAME, "evtj:h6vY")
            .build(PASSWORD, true);
    // the RFC pads USERNAME with spaces, we with zeros, and the HMAC covers padding: the checks
    // are our own, the bytes before the padding the RFC's
    StunMessage m = StunMessage.parse(built, 0, built.length);
    assertTrue(m.integrityValid(PASSWORD));
    assertTrue(m.fingerprintValid());
    assertEquals(SAMPLE_REQUEST.length, built.length);
    // up to the end of USERNAME's value (byte 72) the two are the same bytes
    for (int i = 0; i < 73; i++) {
      assertEquals(SAMPLE_REQUEST[i], built[i], "byte " + i);
    }
  }

  @Test
  void xorMappedAddressRoundTripsAndMatchesTheRfc() throws Exception {
    byte[] tid = HexFormat.of().parseHex("b7e7a701bc34d686fa87dfae");
    InetSocketAddress a = new InetSocketAddress(InetAddress.getByName("192.0.2.1"), 32853);
    byte[] v = StunMessage.encodeXorAddress(a, tid);
    // RFC 5769 §2.2: port 0xa147, address 0xe112a643
    assertArrayEquals(HexFormat.of().parseHex("0001a147e112a643"), v);
    assertEquals(a, StunMessage.decodeXorAddress(v, tid));
    InetSocketAddress v6 =
        new InetSocketAddress(InetAddress.getByName("2001:db8:1234:5678:11:2233:4455:6677"), 32853);
    assertEquals(v6, StunMessage.decodeXorAddress(StunMessage.encodeXorAddress(v6, tid), tid));
  }

  @Test
  void iceLiteAnswersOnlyAuthenticatedRequestsForItsUfrag() throws Exception {
    StunMessage request = StunMessage.parse(SAMPLE_REQUEST, 0, SAMPLE_REQUEST.length);
    InetSocketAddress from = new InetSocketAddress(InetAddress.getByName("10.0.0.7"), 50000);
    byte[] answer = IceLite.answer(request, "evtj", "VOkJxbRl1RmTxUk/WvJxBt", from);
    assertNotNull(answer);
    StunMessage a = StunMessage.parse(answer, 0, answer.length);
    assertEquals(StunMessage.BINDING_SUCCESS, a.type());
    assertArrayEquals(request.transactionId(), a.transactionId());
    assertTrue(a.integrityValid(PASSWORD));
    assertTrue(a.fingerprintValid());
    assertEquals(
        from,
        StunMessage.decodeXorAddress(
            a.value(a.attribute(StunMessage.XOR_MAPPED_ADDRESS)), a.transactionId()));
    assertNull(IceLite.answer(request, "other", "VOkJxbRl1RmTxUk/WvJxBt", from));
    assertNull(IceLite.answer(request, "evtj", "not the password", from));
    byte[] tampered = SAMPLE_REQUEST.clone();
    tampered[30] ^= 1; // in SOFTWARE: covered by both checks
    assertNull(
        IceLite.answer(
            StunMessage.parse(tampered, 0, tampered.length),
            "evtj",
            "VOkJxbRl1RmTxUk/WvJxBt",
            from));
  }

  @Test
  void malformedMessagesAreRefusedWithAReason() {
    assertThrows(StunException.class, () -> StunMessage.parse(new byte[10], 0, 10));
    byte[] badLength = SAMPLE_REQUEST.clone();
    badLength[3] = 0x5c;
    StunException e =
        assertThrows(StunException.class, () -> StunMessage.parse(badLength, 0, badLength.length));
    assertTrue(e.getMessage().contains("92 bytes"), e.getMessage());
    byte[] longAttribute = SAMPLE_REQUEST.clone();
    longAttribute[23] = (byte) 0xff; // SOFTWARE's length
    assertThrows(
        StunException.class, () -> StunMessage.parse(longAttribute, 0, longAttribute.length));
  }

  @Test
  void fuzzedMessagesNeverThrowAnythingElse() {
    Random random = new Random(5769);
    for (int i = 0; i < 50_000; i++) {
      byte[] m = Mutator.mutate(SAMPLE_REQUEST, random);
      try {
        if (StunMessage.isStun(m, 0, m.length)) {
          StunMessage s = StunMessage.parse(m, 0, m.length);
          s.integrityValid(PASSWORD);
          s.fingerprintValid();
          s.username();
          s.priority();
          IceLite.answer(s, "evtj", "VOkJxbRl1RmTxUk/WvJxBt", new InetSocketAddress(1));
        }
      } catch (StunException expected) {
        // a clear refusal
      }
    }
  }
}

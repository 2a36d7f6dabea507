package com.nrsgirls.streaming.core.media;

import static com.nrsgirls.streaming.core.media.X264ParameterSets.AAC_LC_44100_MONO;
import static com.nrsgirls.streaming.core.media.X264ParameterSets.AAC_LC_48000_STEREO;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.HexFormat;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * AudioSpecificConfig, bit for bit (ISO/IEC 14496-3 §1.6.2.1): 5 bits object type (31 escapes to 32
 * + 6 bits), 4 bits sampling frequency index (15 escapes to 24 explicit bits), 4 bits channel
 * configuration, then for SBR/PS the extension frequency index and the core object type.
 */
class AacConfigTest {
  private static final HexFormat HEX = HexFormat.of();

  @Test
  void lc48kStereo() throws Exception {
    AacConfig config = parse("1190"); // 00010 0011 0010
    assertEquals(new AacConfig(2, 2, 3, 48000, 2), config);
    assertEquals(2, config.channels());
    assertTrue(config.fitsAdts());
    assertEquals("mp4a.40.2", config.codecsString());
  }

  @Test
  void ffmpegRecordsWithTheSbrSyncExtensionAfterThem() throws Exception {
    assertEquals(
        new AacConfig(2, 2, 4, 44100, 1),
        AacConfig.parse(AAC_LC_44100_MONO, 0, AAC_LC_44100_MONO.length));
    assertEquals(
        new AacConfig(2, 2, 3, 48000, 2),
        AacConfig.parse(AAC_LC_48000_STEREO, 0, AAC_LC_48000_STEREO.length));
  }

  @Test
  void parsesAtAnOffset() throws Exception {
    byte[] audioTagBody = HEX.parseHex("af001208");
    assertEquals(44100, AacConfig.parse(audioTagBody, 2, 2).sampleRate());
  }

  @Test
  void heAacWithExplicitSbrUnwrapsToTheCoreObjectType() throws Exception {
    // 00101 (SBR) 0110 (24 kHz core) 0010 (stereo) 0011 (48 kHz SBR) 00010 (core LC)
    AacConfig config = parse("2b1188");
    assertEquals(5, config.signalledObjectType());
    assertEquals(2, config.coreObjectType());
    assertEquals(6, config.samplingFrequencyIndex());
    assertEquals(24000, config.sampleRate(), "the core rate, which ADTS carries");
    assertEquals(2, config.channels());
    assertTrue(config.fitsAdts());
    assertEquals("mp4a.40.5", config.codecsString());
  }

  @Test
  void heAacV2WithExplicitPsUnwrapsToTheCoreObjectType() throws Exception {
    // 11101 (PS) 0110 (24 kHz) 0001 (mono core) 0011 (48 kHz) 00010 (core LC)
    AacConfig config = parse("eb0988");
    assertEquals(new AacConfig(29, 2, 6, 24000, 1), config);
    assertEquals("mp4a.40.29", config.codecsString());
  }

  @Test
  void skipsAnExplicitSbrFrequencyBeforeTheCoreObjectType() throws Exception {
    // 00101 0110 0010, extension index 1111 and 24 bits of 48000, then 00010 (core LC)
    assertEquals(new AacConfig(5, 2, 6, 24000, 2), parse("2b17805dc008"));
  }

  @Test
  void escapedObjectTypeIs32PlusSixBits() throws Exception {
    // 11111 001010 (32 + 10 = 42, USAC) 0011 (48 kHz) 0010 (stereo)
    AacConfig config = parse("f94640");
    assertEquals(42, config.signalledObjectType());
    assertEquals(42, config.coreObjectType());
    assertEquals(48000, config.sampleRate());
    assertFalse(config.fitsAdts(), "ADTS has 2 bits for object types 1 to 4");
    assertEquals("mp4a.40.42", config.codecsString());
  }

  @Test
  void everyStandardSampleRate() throws Exception {
    int[] rates = {
      96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350
    };
    for (int index = 0; index < rates.length; index++) {
      int bits = (2 << 11) | (index << 7) | (2 << 3); // LC, index, stereo
      byte[] asc = {(byte) (bits >>> 8), (byte) bits};
      assertEquals(rates[index], AacConfig.parse(asc, 0, 2).sampleRate(), "index " + index);
    }
  }

  @Test
  void channelConfiguration7IsEightChannels() throws Exception {
    AacConfig config = parse("11b8"); // 00010 0011 0111
    assertEquals(7, config.channelConfiguration());
    assertEquals(8, config.channels());
  }

  @Test
  void rejectsReservedOrExplicitSampleRates() {
    assertRejected("1690", "index 13 is reserved");
    assertRejected("1710", "index 14 is reserved");
    assertRejected("1780000010", "index 15: an explicit 24-bit frequency");
  }

  @Test
  void rejectsChannelConfigurationsWithoutAFixedLayout() {
    assertRejected("1180", "0: layout in a program config element");
    assertRejected("11c0", "8: reserved");
    assertRejected("11f8", "15: reserved");
  }

  @Test
  void rejectsTooShortConfigs() {
    assertRejected("", "empty");
    assertRejected("11", "one byte");
    assertRejected("2b11", "HE-AAC without its core object type");
    assertRejected("f946", "escaped object type without its channel configuration");
    assertRejected("1780", "explicit frequency cut off");
  }

  @Test
  void randomConfigsGiveAConfigOrMediaFormatException() {
    Random random = new Random(7L);
    for (int i = 0; i < 3000; i++) {
      byte[] asc = new byte[random.nextInt(7)];
      random.nextBytes(asc);
      try {
        AacConfig config = AacConfig.parse(asc, 0, asc.length);
        assertTrue(config.sampleRate() >= 7350 && config.channels() >= 1);
      } catch (MediaFormatException e) {
        // refused: fine
      } catch (RuntimeException e) {
        fail("config " + HEX.formatHex(asc) + " threw " + e, e);
      }
    }
  }

  private static AacConfig parse(String hex) throws MediaFormatException {
    byte[] asc = HEX.parseHex(hex);
    return AacConfig.parse(asc, 0, asc.length);
  }

  private static void assertRejected(String hex, String what) {
    assertThrows(MediaFormatException.class, () -> parse(hex), what);
  }
}

package com.nrsgirls.streaming.core.media;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ReadOnlyBufferException;
import org.junit.jupiter.api.Test;

/** The packet's times, flags and payload view. */
class MediaPacketTest {
  private static final byte[] DATA = {10, 11, 12, 13, 14, 15, 16, 17};

  @Test
  void ptsIsDtsPlusCompositionOffset() {
    MediaPacket p = new MediaPacket(Codec.H264, 1_000, 66, 0, DATA, 0, DATA.length);
    assertEquals(1_000, p.dts());
    assertEquals(66, p.compositionOffset());
    assertEquals(1_066, p.pts());

    MediaPacket negative = new MediaPacket(Codec.H264, 1_000, -33, 0, DATA, 0, DATA.length);
    assertEquals(967, negative.pts());

    long pastRtmpWrap = (1L << 32) + 5;
    assertEquals(
        pastRtmpWrap + 40,
        new MediaPacket(Codec.H264, pastRtmpWrap, 40, 0, DATA, 0, 1).pts(),
        "extended timestamps stay 64-bit");
  }

  @Test
  void flagsAndTrack() {
    MediaPacket config =
        new MediaPacket(
            Codec.H264,
            0,
            0,
            MediaPacket.FLAG_CONFIG | MediaPacket.FLAG_KEYFRAME,
            DATA,
            0,
            DATA.length);
    assertTrue(config.isConfig());
    assertTrue(config.isKeyframe());
    assertTrue(config.isVideo());
    assertFalse(config.isAudio());
    assertEquals(Track.VIDEO, config.track());

    MediaPacket interFrame = new MediaPacket(Codec.H264, 0, 0, 0, DATA, 0, DATA.length);
    assertFalse(interFrame.isConfig());
    assertFalse(interFrame.isKeyframe());

    MediaPacket audio =
        new MediaPacket(Codec.AAC, 0, 0, MediaPacket.FLAG_KEYFRAME, DATA, 0, DATA.length);
    assertTrue(audio.isAudio());
    assertFalse(audio.isVideo());
    assertTrue(audio.isKeyframe());
    assertFalse(audio.isConfig());
    assertEquals(Track.AUDIO, audio.track());
  }

  @Test
  void everyCodecBelongsToItsTrack() {
    assertEquals(Track.VIDEO, Codec.HEVC.track());
    assertEquals(Track.VIDEO, Codec.AV1.track());
    assertEquals(Track.AUDIO, Codec.MP3.track());
    assertEquals(Track.AUDIO, Codec.OPUS.track());
  }

  @Test
  void payloadIsAReadOnlyViewOfItsRange() {
    MediaPacket p = new MediaPacket(Codec.AAC, 0, 0, 1, DATA, 2, 4);
    ByteBuffer payload = p.payload();
    assertEquals(0, payload.position());
    assertEquals(4, payload.remaining());
    assertEquals(12, payload.get(0));
    assertEquals(15, payload.get(3));
    assertTrue(payload.isReadOnly());
    assertThrows(ReadOnlyBufferException.class, () -> payload.put(0, (byte) 99));
    assertThrows(IndexOutOfBoundsException.class, () -> payload.get(4));
    assertEquals(12, DATA[2], "the array is untouched");
    assertArrayEquals(new byte[] {12, 13, 14, 15}, p.payloadCopy());
    assertEquals(2, p.offset());
    assertEquals(4, p.length());
  }

  @Test
  void payloadCopyIsACopy() {
    byte[] data = DATA.clone();
    MediaPacket p = new MediaPacket(Codec.AAC, 0, 0, 1, data, 1, 3);
    byte[] copy = p.payloadCopy();
    copy[0] = 99;
    assertEquals(11, data[1]);
  }

  @Test
  void emptyPayloadsAreAllowed() {
    MediaPacket p = new MediaPacket(Codec.AAC, 0, 0, 1, DATA, DATA.length, 0);
    assertEquals(0, p.payload().remaining());
    assertEquals(0, p.payloadCopy().length);
  }

  @Test
  void constructorRejectsRangesOutsideTheArray() {
    assertThrows(IndexOutOfBoundsException.class, () -> packet(-1, 2));
    assertThrows(IndexOutOfBoundsException.class, () -> packet(0, -1));
    assertThrows(IndexOutOfBoundsException.class, () -> packet(0, DATA.length + 1));
    assertThrows(IndexOutOfBoundsException.class, () -> packet(5, 4));
    assertThrows(IndexOutOfBoundsException.class, () -> packet(DATA.length + 1, 0));
    assertThrows(IndexOutOfBoundsException.class, () -> packet(1, Integer.MAX_VALUE));
    assertThrows(NullPointerException.class, () -> new MediaPacket(null, 0, 0, 0, DATA, 0, 1));
    assertThrows(NullPointerException.class, () -> new MediaPacket(Codec.AAC, 0, 0, 0, null, 0, 0));
  }

  @Test
  void shiftedMovesBothTimesAndSharesThePayload() {
    MediaPacket p = new MediaPacket(Codec.H264, 5_000, 80, MediaPacket.FLAG_KEYFRAME, DATA, 3, 2);
    MediaPacket shifted = p.shifted(-4_000);
    assertNotSame(p, shifted);
    assertEquals(1_000, shifted.dts());
    assertEquals(1_080, shifted.pts());
    assertEquals(80, shifted.compositionOffset());
    assertEquals(Codec.H264, shifted.codec());
    assertTrue(shifted.isKeyframe());
    assertSame(DATA, shifted.array(), "no copy of the payload");
    assertEquals(3, shifted.offset());
    assertEquals(2, shifted.length());
    assertEquals(5_000, p.dts(), "the original is unchanged");
  }

  @Test
  void toStringShowsTimesFlagsAndSizeNotBytes() {
    MediaPacket p =
        new MediaPacket(
            Codec.H264,
            100,
            40,
            MediaPacket.FLAG_KEYFRAME | MediaPacket.FLAG_CONFIG,
            DATA,
            0,
            DATA.length);
    assertEquals("MediaPacket[H264 dts=100 pts=140 key config bytes=8]", p.toString());
  }

  private static MediaPacket packet(int offset, int length) {
    return new MediaPacket(Codec.AAC, 0, 0, 0, DATA, offset, length);
  }
}

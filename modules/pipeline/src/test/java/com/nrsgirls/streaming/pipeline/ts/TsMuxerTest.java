package com.nrsgirls.streaming.pipeline.ts;

import static com.nrsgirls.streaming.pipeline.ts.TestMedia.avcc;
import static com.nrsgirls.streaming.pipeline.ts.TestMedia.nal;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nrsgirls.streaming.core.media.AacConfig;
import com.nrsgirls.streaming.core.media.AvcDecoderConfig;
import com.nrsgirls.streaming.core.media.Codec;
import com.nrsgirls.streaming.core.media.MediaFormatException;
import com.nrsgirls.streaming.core.media.MediaPacket;
import java.io.ByteArrayOutputStream;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class TsMuxerTest {
  private static final byte[] AUD = {0, 0, 0, 1, 9, (byte) 0xF0};
  private static final byte[] START = {0, 0, 0, 1};

  private AvcDecoderConfig avc;
  private AacConfig aac;
  private TsMuxer muxer;
  private ByteArrayOutputStream out;

  @BeforeEach
  void setUp() throws Exception {
    avc = AvcDecoderConfig.parse(TestMedia.AVC_CONFIG, 0, TestMedia.AVC_CONFIG.length);
    aac = AacConfig.parse(TestMedia.AAC_CONFIG, 0, 2);
    muxer = new TsMuxer();
    out = new ByteArrayOutputStream();
  }

  @Test
  void segmentStartsWithPatAndPmtListingTheConfiguredTracks() throws Exception {
    muxer.setVideoConfig(avc);
    muxer.setAudioConfig(aac);
    muxer.startSegment(out::write);
    assertEquals(2 * 188, muxer.endSegment());
    TsReader.Stream ts = TsReader.read(out.toByteArray());
    assertEquals(List.of(TsMuxer.PAT_PID, TsMuxer.PMT_PID), ts.packetPids());
    HexFormat hex = HexFormat.of();
    assertArrayEquals(
        hex.parseHex("00b00d0001c100000001f0002ab104b2"), ts.sections().get(0).bytes());
    assertArrayEquals(
        hex.parseHex("02b0170001c10000e100f0001be100f0000fe101f0002f44b99b"),
        ts.sections().get(1).bytes());
  }

  @Test
  void keyframeBecomesAnnexBWithAudAndParameterSetsAndCarriesPcrAndRandomAccess() throws Exception {
    muxer.setVideoConfig(avc);
    muxer.startSegment(out::write);
    byte[] sei = nal(0x06, 20);
    byte[] idr = nal(0x65, 700);
    byte[] frame = avcc(sei, idr);
    muxer.writeVideo(video(frame, true), 2000, 2067);
    muxer.endSegment();

    TsReader.Pes pes = single(TsReader.read(out.toByteArray()).pes(TsMuxer.VIDEO_PID));
    assertEquals(0xE0, pes.streamId());
    assertEquals(0, pes.declaredLength(), "unbounded video PES");
    assertEquals(2000 * 90, pes.dts());
    assertEquals(2067 * 90, pes.pts());
    assertTrue(pes.randomAccess());
    assertEquals(2000 * 90 - TsMuxer.PCR_LAG_90K, pes.pcr());
    byte[] expected =
        concat(AUD, START, TestMedia.SPS, START, TestMedia.PPS, START, sei, START, idr);
    assertArrayEquals(expected, pes.payload());
  }

  @Test
  void frameWithItsOwnParameterSetsAndAudGetsNoSecondCopy() throws Exception {
    muxer.setVideoConfig(avc);
    muxer.startSegment(out::write);
    byte[] ownSps = TestMedia.SPS.clone();
    byte[] idr = nal(0x65, 300);
    byte[] frame = avcc(new byte[] {9, 0x10}, ownSps, TestMedia.PPS, idr);
    muxer.writeVideo(video(frame, true), 0, 0);
    muxer.endSegment();

    TsReader.Pes pes = single(TsReader.read(out.toByteArray()).pes(TsMuxer.VIDEO_PID));
    assertArrayEquals(
        concat(AUD, START, ownSps, START, TestMedia.PPS, START, idr),
        pes.payload(),
        "one AUD (ours) first, the frame's own SPS/PPS, nothing inserted");
  }

  @Test
  void interFrameHasNoParameterSetsNoRandomAccessAndOnlyAPtsWhenItEqualsTheDts() throws Exception {
    muxer.setVideoConfig(avc);
    muxer.startSegment(out::write);
    byte[] slice = nal(0x41, 50);
    muxer.writeVideo(video(avcc(slice), false), 5000, 5000);
    muxer.endSegment();

    TsReader.Pes pes = single(TsReader.read(out.toByteArray()).pes(TsMuxer.VIDEO_PID));
    assertFalse(pes.randomAccess());
    assertEquals(5000 * 90, pes.pts());
    assertEquals(-1, pes.dts(), "no DTS when it equals the PTS");
    assertArrayEquals(concat(AUD, START, slice), pes.payload());
  }

  @Test
  void everyPesEndsOnAPacketBoundaryAndCountersRunPerPidAcrossSegments() throws Exception {
    muxer.setVideoConfig(avc);
    muxer.setAudioConfig(aac);
    Map<Integer, Integer> continuity = new HashMap<>();
    // P-frame PES: 14 header + 6 AUD + 4 start code + n; first packet has 176 bytes after the PCR,
    // so these sizes leave 0, 1 and 2 bytes of stuffing in the first or last packet.
    int[] sizes = {1, 150, 151, 152, 153, 334, 335, 336, 337, 5000, 70_000};
    long dts = 1000;
    for (int segment = 0; segment < 2; segment++) {
      out.reset();
      muxer.startSegment(out::write);
      for (int size : sizes) {
        byte[] slice = nal(0x41, size);
        muxer.writeVideo(video(avcc(slice), false), dts, dts);
        muxer.writeAudio(TestMedia.audioFrame(dts, size % 400 + 1), dts);
        dts += 33;
      }
      long bytes = muxer.endSegment();
      byte[] ts = out.toByteArray();
      assertEquals(ts.length, bytes);
      TsReader.Stream stream = TsReader.read(ts, continuity);
      List<TsReader.Pes> videoPes = stream.pes(TsMuxer.VIDEO_PID);
      assertEquals(sizes.length, videoPes.size());
      for (int i = 0; i < sizes.length; i++) {
        assertArrayEquals(concat(AUD, START, nal(0x41, sizes[i])), videoPes.get(i).payload());
      }
      assertEquals(List.of(TsMuxer.PAT_PID, TsMuxer.PMT_PID), stream.packetPids().subList(0, 2));
    }
  }

  @Test
  void audioFramesAreGatheredWithAdtsHeadersAndCarryThePcrWithoutVideo() throws Exception {
    muxer.setAudioConfig(aac);
    muxer.startSegment(out::write);
    long[] times = {1000, 1021, 1043, 1064, 1085, 1107};
    for (int i = 0; i < times.length; i++) {
      muxer.writeAudio(TestMedia.audioFrame(times[i], 100 + i), times[i]);
    }
    muxer.endSegment();

    TsReader.Stream ts = TsReader.read(out.toByteArray());
    byte[] pmt = ts.sections().get(1).bytes();
    assertEquals(TsMuxer.AUDIO_PID, ((pmt[8] & 0x1F) << 8) | (pmt[9] & 0xFF), "PCR_PID");
    assertEquals(1, (pmt.length - 16) / 5, "one elementary stream");
    List<TsReader.Pes> pes = ts.pes(TsMuxer.AUDIO_PID);
    assertEquals(2, pes.size(), "4 frames, then 2");
    assertEquals(0xC0, pes.get(0).streamId());
    assertEquals(1000 * 90, pes.get(0).pts());
    assertEquals(1085 * 90, pes.get(1).pts());
    assertEquals(1000 * 90 - TsMuxer.PCR_LAG_90K, pes.get(0).pcr());
    assertTrue(pes.get(0).randomAccess());
    assertEquals(pes.get(0).payload().length + 8, pes.get(0).declaredLength());
    byte[] payload = pes.get(0).payload();
    int p = 0;
    for (int i = 0; i < 4; i++) {
      byte[] header = new byte[7];
      AdtsHeader.write(header, 0, aac, 100 + i);
      assertArrayEquals(header, java.util.Arrays.copyOfRange(payload, p, p + 7));
      assertArrayEquals(
          TestMedia.audioFrame(0, 100 + i).payloadCopy(),
          java.util.Arrays.copyOfRange(payload, p + 7, p + 7 + 100 + i));
      p += 7 + 100 + i;
    }
    assertEquals(payload.length, p);
  }

  @Test
  void audioGapStartsANewPes() throws Exception {
    muxer.setAudioConfig(aac);
    muxer.startSegment(out::write);
    muxer.writeAudio(TestMedia.audioFrame(0, 10), 1000);
    muxer.writeAudio(TestMedia.audioFrame(0, 10), 1021);
    muxer.writeAudio(TestMedia.audioFrame(0, 10), 1300);
    muxer.endSegment();
    List<TsReader.Pes> pes = TsReader.read(out.toByteArray()).pes(TsMuxer.AUDIO_PID);
    assertEquals(2, pes.size());
    assertEquals(1300 * 90, pes.get(1).pts());
  }

  @Test
  void audioThatAPlayerWouldReadAtOrBeforeTheLastFrameOverlaps() throws Exception {
    muxer.setAudioConfig(aac);
    muxer.startSegment(out::write);
    MediaPacket frame = TestMedia.audioFrame(0, 10);
    assertFalse(muxer.audioOverlaps(frame, 1000), "nothing written yet");
    muxer.writeAudio(frame, 1000);
    muxer.writeAudio(frame, 1021);
    // 9 ms before a frame's length after the one before: it still joins the PES, and a player
    // reads it at 1042.67 ms, not 1033
    assertFalse(muxer.audioOverlaps(frame, 1033));
    muxer.writeAudio(frame, 1033);
    assertTrue(muxer.audioOverlaps(frame, 1035), "a new PES at 1035 is read before 1042.67");
    assertTrue(muxer.audioOverlaps(frame, 1042), "and at 1042");
    assertFalse(muxer.audioOverlaps(frame, 1064), "the next frame joins the PES");
    assertFalse(muxer.audioOverlaps(frame, 1100), "after a gap, a new PES later than the last");
    muxer.endSegment();
    assertTrue(muxer.audioOverlaps(frame, 1040), "across segments too");
    assertFalse(muxer.audioOverlaps(frame, 1043));

    out.reset();
    muxer.startSegment(out::write);
    muxer.writeAudio(frame, 1064);
    muxer.endSegment();
    List<TsReader.Pes> pes = TsReader.read(out.toByteArray()).pes(TsMuxer.AUDIO_PID);
    assertEquals(List.of(1064L * 90), TsReader.aacReadTimes(pes, 48_000));
  }

  @Test
  void timestampsAndPcrWrapAt33Bits() throws Exception {
    muxer.setVideoConfig(avc);
    muxer.startSegment(out::write);
    long millis = 95_443_718; // 8_589_934_620 ticks, 28 past 2^33
    muxer.writeVideo(video(avcc(nal(0x65, 10)), true), millis, millis + 100);
    muxer.endSegment();
    TsReader.Pes pes = single(TsReader.read(out.toByteArray()).pes(TsMuxer.VIDEO_PID));
    assertEquals(28, pes.dts());
    assertEquals(28 + 9000, pes.pts());
    assertEquals((millis * 90 - TsMuxer.PCR_LAG_90K) & ((1L << 33) - 1), pes.pcr());
  }

  @Test
  void malformedNalLengthIsAMediaFormatErrorAndWritesNothing() throws Exception {
    muxer.setVideoConfig(avc);
    muxer.startSegment(out::write);
    byte[] frame = avcc(nal(0x65, 100));
    frame[3] = (byte) 200; // longer than the frame
    assertThrows(MediaFormatException.class, () -> muxer.writeVideo(video(frame, true), 0, 0));
    byte[] truncated = {0, 0, 1};
    assertThrows(MediaFormatException.class, () -> muxer.writeVideo(video(truncated, false), 0, 0));
    assertEquals(2 * 188, muxer.endSegment(), "only PAT and PMT");
  }

  @Test
  void pmtVersionChangesOnlyWithTheTrackSet() throws Exception {
    int[] versions = new int[3];
    muxer.setVideoConfig(avc);
    muxer.setAudioConfig(aac);
    for (int i = 0; i < 3; i++) {
      if (i == 1) {
        muxer.setAudioConfig(null);
      }
      out.reset();
      muxer.startSegment(out::write);
      muxer.endSegment();
      versions[i] = (TsReader.read(out.toByteArray()).sections().get(1).bytes()[5] >> 1) & 0x1F;
    }
    assertArrayEquals(new int[] {0, 1, 1}, versions);
  }

  @Test
  void writingATrackTheSegmentDoesNotListIsRefused() throws Exception {
    muxer.setAudioConfig(aac);
    muxer.startSegment(out::write);
    muxer.setVideoConfig(avc);
    assertThrows(
        IllegalStateException.class,
        () -> muxer.writeVideo(video(avcc(nal(0x65, 10)), true), 0, 0));
  }

  @Test
  void onlyH264AndAacAreSupported() {
    assertTrue(TsMuxer.unsupportedReason(Codec.H264).isEmpty());
    assertTrue(TsMuxer.unsupportedReason(Codec.AAC).isEmpty());
    assertTrue(TsMuxer.unsupportedReason(Codec.HEVC).orElseThrow().contains("H.264 only"));
    assertTrue(TsMuxer.unsupportedReason(Codec.OPUS).orElseThrow().contains("AAC only"));
  }

  private static MediaPacket video(byte[] avcc, boolean key) {
    return new MediaPacket(
        Codec.H264, 0, 0, key ? MediaPacket.FLAG_KEYFRAME : 0, avcc, 0, avcc.length);
  }

  private static TsReader.Pes single(List<TsReader.Pes> pes) {
    assertEquals(1, pes.size());
    return pes.get(0);
  }

  private static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    for (byte[] part : parts) {
      b.write(part, 0, part.length);
    }
    return b.toByteArray();
  }
}

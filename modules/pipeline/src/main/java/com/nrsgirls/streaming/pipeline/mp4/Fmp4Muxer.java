package com.nrsgirls.streaming.pipeline.mp4;

import com.nrsgirls.streaming.core.media.AacConfig;
import com.nrsgirls.streaming.core.media.AvcDecoderConfig;
import com.nrsgirls.streaming.core.media.MediaPacket;
import com.nrsgirls.streaming.pipeline.ts.SegmentMuxer;
import com.nrsgirls.streaming.pipeline.ts.TsOutput;
import java.io.IOException;
import java.util.Arrays;
import java.util.Objects;

/**
 * Fragmented MP4 (ISO/IEC 14496-12 with the H.264 and AAC sample entries of 14496-15 and 14496-14),
 * plain Java: an init segment ({@code ftyp} + {@code moov} with empty sample tables and {@code
 * mvex}), then one fragment ({@code moof} + {@code mdat}) per segment. Frames go in as they came
 * (AVCC access units with the config's NAL length size, raw AAC frames): nothing is decoded,
 * re-encoded or copied before the output.
 *
 * <p>Video is track 1 on a 90 kHz timescale, audio track 2 on its sample rate. A fragment's {@code
 * tfdt} is its first sample's decode time; every sample has its duration (to the next sample of its
 * track; the last one of a segment gets the time to {@link #endSegment(long)}'s next decode time,
 * else its predecessor's), size and, for video, sync flag and signed composition offset ({@code
 * trun} version 1). Segments hold their frames until they end, so a segment should start at a
 * keyframe and be a GOP or a few long.
 */
public final class Fmp4Muxer implements SegmentMuxer {
  public static final int VIDEO_TRACK = 1;
  public static final int AUDIO_TRACK = 2;
  public static final int VIDEO_TIMESCALE = 90_000;
  private static final int AAC_FRAME_SAMPLES = 1024;

  /** sample_depends_on = 2 (an I picture). */
  private static final int SYNC_SAMPLE = 0x02000000;

  /** sample_depends_on = 1, sample_is_non_sync_sample. */
  private static final int NON_SYNC_SAMPLE = 0x01010000;

  private final BoxWriter box = new BoxWriter(4096);
  private final Track video = new Track();
  private final Track audio = new Track();
  private AvcDecoderConfig videoConfig;
  private byte[] avcC;
  private AacConfig audioConfig;
  private byte[] audioSpecificConfig;
  private TsOutput out;
  private int sequence;

  /** Sets the H.264 track, or removes it with null; takes effect at the next init segment. */
  public void setVideoConfig(AvcDecoderConfig config, byte[] decoderConfigurationRecord) {
    this.videoConfig = config;
    this.avcC = config == null ? null : decoderConfigurationRecord.clone();
  }

  /** Sets the AAC track, or removes it with null; takes effect at the next init segment. */
  public void setAudioConfig(AacConfig config, byte[] audioSpecificConfig) {
    this.audioConfig = config;
    this.audioSpecificConfig = config == null ? null : audioSpecificConfig.clone();
  }

  public AvcDecoderConfig videoConfig() {
    return videoConfig;
  }

  public AacConfig audioConfig() {
    return audioConfig;
  }

  /**
   * The init segment for the configured tracks.
   *
   * @param durationMillis the whole presentation's duration when known (a finished recording), put
   *     in {@code mvhd}, {@code tkhd}, {@code mdhd} and {@code mehd}; 0 when not
   */
  public byte[] initSegment(long durationMillis) {
    if (videoConfig == null && audioConfig == null) {
      throw new IllegalStateException("no track is configured");
    }
    BoxWriter b = new BoxWriter(1024);
    b.start("ftyp").fourcc("iso6").u32(0).fourcc("iso6").fourcc("isom").fourcc("mp41").end();
    b.start("moov");
    b.startFull("mvhd", 0, 0).u32(0).u32(0).u32(1000).u32(durationMillis);
    b.u32(0x00010000).u16(0x0100).zeros(10).matrix().zeros(24).u32(AUDIO_TRACK + 1).end();
    if (videoConfig != null) {
      videoTrak(b, durationMillis);
    }
    if (audioConfig != null) {
      audioTrak(b, durationMillis);
    }
    b.start("mvex");
    if (durationMillis > 0) {
      b.startFull("mehd", 1, 0).u64(durationMillis).end();
    }
    if (videoConfig != null) {
      trex(b, VIDEO_TRACK);
    }
    if (audioConfig != null) {
      trex(b, AUDIO_TRACK);
    }
    b.end(); // mvex
    b.end(); // moov
    return Arrays.copyOf(b.array(), b.position());
  }

  private static void trex(BoxWriter b, int track) {
    b.startFull("trex", 0, 0).u32(track).u32(1).u32(0).u32(0).u32(0).end();
  }

  private static void tkhd(BoxWriter b, int track, long durationMillis, int volume, int w, int h) {
    b.startFull("tkhd", 0, 0x3).u32(0).u32(0).u32(track).u32(0).u32(durationMillis);
    b.zeros(8).u16(0).u16(0).u16(volume).u16(0).matrix().u32((long) w << 16).u32((long) h << 16);
    b.end();
  }

  private static void mdhd(BoxWriter b, int timescale, long durationMillis) {
    long duration = durationMillis * timescale / 1000;
    b.startFull("mdhd", 1, 0).u64(0).u64(0).u32(timescale).u64(duration);
    b.u16(0x55C4).u16(0).end(); // language "und"
  }

  private static void hdlr(BoxWriter b, String handler, String name) {
    byte[] n = (name + "\0").getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    b.startFull("hdlr", 0, 0).u32(0).fourcc(handler).zeros(12).bytes(n, 0, n.length).end();
  }

  private static void dinfAndEmptyTables(BoxWriter b, Runnable sampleEntry) {
    b.start("dinf").startFull("dref", 0, 0).u32(1).startFull("url ", 0, 1).end().end().end();
    b.start("stbl");
    b.startFull("stsd", 0, 0).u32(1);
    sampleEntry.run();
    b.end();
    b.startFull("stts", 0, 0).u32(0).end();
    b.startFull("stsc", 0, 0).u32(0).end();
    b.startFull("stsz", 0, 0).u32(0).u32(0).end();
    b.startFull("stco", 0, 0).u32(0).end();
    b.end(); // stbl
  }

  private void videoTrak(BoxWriter b, long durationMillis) {
    int w = videoConfig.width();
    int h = videoConfig.height();
    b.start("trak");
    tkhd(b, VIDEO_TRACK, durationMillis, 0, w, h);
    b.start("mdia");
    mdhd(b, VIDEO_TIMESCALE, durationMillis);
    hdlr(b, "vide", "VideoHandler");
    b.start("minf");
    b.startFull("vmhd", 0, 1).u16(0).u16(0).u16(0).u16(0).end();
    dinfAndEmptyTables(
        b,
        () -> {
          b.start("avc1").zeros(6).u16(1).zeros(16).u16(w).u16(h);
          b.u32(0x00480000).u32(0x00480000).u32(0).u16(1).zeros(32).u16(0x0018).u16(0xFFFF);
          b.start("avcC").bytes(avcC, 0, avcC.length).end();
          b.end();
        });
    b.end().end().end(); // minf, mdia, trak
  }

  private void audioTrak(BoxWriter b, long durationMillis) {
    int rate = audioConfig.sampleRate();
    b.start("trak");
    tkhd(b, AUDIO_TRACK, durationMillis, 0x0100, 0, 0);
    b.start("mdia");
    mdhd(b, rate, durationMillis);
    hdlr(b, "soun", "SoundHandler");
    b.start("minf");
    b.startFull("smhd", 0, 0).u16(0).u16(0).end();
    dinfAndEmptyTables(
        b,
        () -> {
          b.start("mp4a").zeros(6).u16(1).zeros(8).u16(Math.min(audioConfig.channels(), 2));
          b.u16(16).u16(0).u16(0).u32(rate < 65536 ? (long) rate << 16 : 0);
          esds(b);
          b.end();
        });
    b.end().end().end(); // minf, mdia, trak
  }

  /** The ES descriptor (14496-1 §7.2.6.5) carrying the AudioSpecificConfig. */
  private void esds(BoxWriter b) {
    int asc = audioSpecificConfig.length;
    int decoderSpecific = 2 + asc;
    int decoderConfig = 2 + 13 + decoderSpecific;
    int sl = 2 + 1;
    int es = 3 + decoderConfig + sl;
    if (es > 127) {
      throw new IllegalArgumentException("AudioSpecificConfig of " + asc + " bytes is too long");
    }
    b.startFull("esds", 0, 0);
    b.u8(0x03).u8(es).u16(0).u8(0); // ES_DescrTag, ES_ID 0, no flags
    b.u8(0x04).u8(decoderConfig - 2).u8(0x40).u8(0x15).u24(0).u32(0).u32(0);
    b.u8(0x05).u8(asc).bytes(audioSpecificConfig, 0, asc);
    b.u8(0x06).u8(1).u8(0x02);
    b.end();
  }

  @Override
  public void startSegment(TsOutput output) {
    if (out != null) {
      throw new IllegalStateException("the previous segment was not ended");
    }
    if (videoConfig == null && audioConfig == null) {
      throw new IllegalStateException("no track is configured");
    }
    out = Objects.requireNonNull(output, "output");
    video.clear();
    audio.clear();
  }

  @Override
  public boolean inSegment() {
    return out != null;
  }

  /** Frames held for the current segment so far. */
  public int pendingFrames() {
    return video.count + audio.count;
  }

  @Override
  public void writeVideo(MediaPacket frame, long dtsMillis, long ptsMillis) {
    if (out == null || videoConfig == null) {
      throw new IllegalStateException("no segment with a video track is started");
    }
    checkTime(dtsMillis);
    video.add(
        frame,
        dtsMillis * 90,
        (int) ((ptsMillis - dtsMillis) * 90),
        frame.isKeyframe() ? SYNC_SAMPLE : NON_SYNC_SAMPLE);
  }

  @Override
  public void writeAudio(MediaPacket frame, long ptsMillis) {
    if (out == null || audioConfig == null) {
      throw new IllegalStateException("no segment with an audio track is started");
    }
    checkTime(ptsMillis);
    if (frame.length() == 0) {
      return;
    }
    audio.add(frame, ptsMillis * audioConfig.sampleRate() / 1000, 0, SYNC_SAMPLE);
  }

  private static void checkTime(long millis) {
    if (millis < 0) {
      throw new IllegalArgumentException("negative decode time " + millis + " ms");
    }
  }

  @Override
  public long endSegment() throws IOException {
    return endSegment(-1);
  }

  /**
   * Ends the segment: writes its fragment to the output.
   *
   * @param nextDtsMillis the decode time of the frame that follows the segment (the next segment's
   *     first keyframe), which gives the last video frame its duration; -1 if unknown
   * @return the bytes the fragment took (0 for a segment without frames, which writes nothing)
   */
  public long endSegment(long nextDtsMillis) throws IOException {
    if (out == null) {
      throw new IllegalStateException("no segment is started");
    }
    TsOutput output = out;
    out = null;
    if (video.count == 0 && audio.count == 0) {
      return 0;
    }
    video.finishDurations(nextDtsMillis < 0 ? -1 : nextDtsMillis * 90, VIDEO_TIMESCALE / 30);
    if (audioConfig != null) {
      audio.finishDurations(-1, AAC_FRAME_SAMPLES);
    }
    sequence++;
    box.reset();
    box.start("moof");
    box.startFull("mfhd", 0, 0).u32(sequence).end();
    int videoOffsetAt = video.count > 0 ? traf(VIDEO_TRACK, video, true) : -1;
    int audioOffsetAt = audio.count > 0 ? traf(AUDIO_TRACK, audio, false) : -1;
    box.end(); // moof
    int moofSize = box.position();
    long videoBytes = video.bytes();
    long audioBytes = audio.bytes();
    long mdatSize = 8 + videoBytes + audioBytes;
    if (mdatSize > 0xFFFFFFFFL) {
      throw new IOException("a fragment of " + mdatSize + " bytes is too large");
    }
    if (videoOffsetAt >= 0) {
      box.putU32(videoOffsetAt, moofSize + 8);
    }
    if (audioOffsetAt >= 0) {
      box.putU32(audioOffsetAt, moofSize + 8 + videoBytes);
    }
    box.u32(mdatSize).fourcc("mdat");
    output.write(box.array(), 0, box.position());
    video.writeTo(output);
    audio.writeTo(output);
    long written = box.position() + videoBytes + audioBytes;
    video.clear();
    audio.clear();
    return written;
  }

  /** Writes a track's fragment header; returns where its data offset is to be filled in. */
  private int traf(int trackId, Track t, boolean isVideo) {
    box.start("traf");
    box.startFull("tfhd", 0, 0x020000).u32(trackId).end(); // default-base-is-moof
    box.startFull("tfdt", 1, 0).u64(t.dts[0]).end();
    int flags = 0x000001 | 0x000100 | 0x000200 | (isVideo ? 0x000400 | 0x000800 : 0);
    box.startFull("trun", 1, flags).u32(t.count);
    int offsetAt = box.position();
    box.u32(0);
    for (int i = 0; i < t.count; i++) {
      box.u32(t.duration[i]).u32(t.packets[i].length());
      if (isVideo) {
        box.u32(t.flags[i]).u32(t.cts[i]);
      }
    }
    box.end().end(); // trun, traf
    return offsetAt;
  }

  /** The frames of one track in the current segment. */
  private static final class Track {
    MediaPacket[] packets = new MediaPacket[64];
    long[] dts = new long[64];
    int[] cts = new int[64];
    int[] flags = new int[64];
    long[] duration = new long[64];
    int count;
    long lastDuration;

    void add(MediaPacket p, long dtsTicks, int ctsTicks, int sampleFlags) {
      if (count == packets.length) {
        int n = count * 2;
        packets = Arrays.copyOf(packets, n);
        dts = Arrays.copyOf(dts, n);
        cts = Arrays.copyOf(cts, n);
        flags = Arrays.copyOf(flags, n);
        duration = Arrays.copyOf(duration, n);
      }
      packets[count] = p;
      dts[count] = dtsTicks;
      cts[count] = ctsTicks;
      flags[count] = sampleFlags;
      count++;
    }

    void finishDurations(long nextDts, long fallback) {
      for (int i = 0; i + 1 < count; i++) {
        duration[i] = Math.max(0, dts[i + 1] - dts[i]);
      }
      if (count > 0) {
        long last;
        if (nextDts > dts[count - 1]) {
          last = nextDts - dts[count - 1];
        } else if (count > 1) {
          last = duration[count - 2];
        } else {
          last = lastDuration > 0 ? lastDuration : fallback;
        }
        duration[count - 1] = last;
        lastDuration = last;
      }
    }

    long bytes() {
      long n = 0;
      for (int i = 0; i < count; i++) {
        n += packets[i].length();
      }
      return n;
    }

    void writeTo(TsOutput out) throws IOException {
      for (int i = 0; i < count; i++) {
        MediaPacket p = packets[i];
        out.write(p.array(), p.offset(), p.length());
      }
    }

    void clear() {
      Arrays.fill(packets, 0, count, null);
      count = 0;
    }
  }
}

package com.nrsgirls.streaming.pipeline.ts;

import com.nrsgirls.streaming.core.media.AacConfig;
import com.nrsgirls.streaming.core.media.AvcDecoderConfig;
import com.nrsgirls.streaming.core.media.Codec;
import com.nrsgirls.streaming.core.media.MediaFormatException;
import com.nrsgirls.streaming.core.media.MediaPacket;
import java.io.IOException;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Muxes H.264 and AAC frames into an MPEG-TS byte stream (ISO/IEC 13818-1), one program, for HLS
 * segments.
 *
 * <p>Data flow: {@link #startSegment} writes a PAT and a PMT listing the tracks configured at that
 * moment; {@link #writeVideo} turns each H.264 frame into one PES (Annex B: access unit delimiter,
 * SPS/PPS before IDRs, start codes instead of length prefixes) and {@link #writeAudio} collects a
 * few AAC frames, each behind an ADTS header, into one PES. PES packets are cut into 188-byte TS
 * packets directly in a reused chunk buffer that goes to the {@link TsOutput} whenever it is full
 * and at {@link #endSegment}. Payload bytes are copied exactly once, from the frame into the TS
 * packet. The PCR rides on the video PID, or on the audio PID when there is no video.
 *
 * <p>Not thread-safe; one instance per rendition, reused for all of its segments (continuity
 * counters carry over from segment to segment, as if the segments were one stream).
 */
public final class TsMuxer implements SegmentMuxer {
  /** Bytes in a transport stream packet (§2.4.3.2). */
  public static final int PACKET_SIZE = 188;

  /** PID of the program association table (Table 2-3). */
  public static final int PAT_PID = 0x0000;

  /** PID this muxer gives the program map table. */
  public static final int PMT_PID = 0x1000;

  /** PID this muxer gives the H.264 elementary stream. */
  public static final int VIDEO_PID = 0x0100;

  /** PID this muxer gives the AAC elementary stream. */
  public static final int AUDIO_PID = 0x0101;

  /** AAC frames gathered into one PES packet at most: fewer TS packets, under 100 ms of delay. */
  public static final int AUDIO_FRAMES_PER_PES = 4;

  /** How far the PCR runs behind the DTS of the frame it is sent with (T-STD buffering room). */
  static final long PCR_LAG_90K = 100 * 90;

  static final int PROGRAM_NUMBER = 1;
  static final int TRANSPORT_STREAM_ID = 1;
  private static final int SYNC_BYTE = 0x47;
  private static final int PAYLOAD_SIZE = PACKET_SIZE - 4;
  private static final int CHUNK_PACKETS = 64;
  private static final int AUDIO_SAMPLES_PER_FRAME = 1024;

  // Index of each PID into the continuity counters.
  private static final int PAT = 0;
  private static final int PMT = 1;
  private static final int VIDEO = 2;
  private static final int AUDIO = 3;
  private static final int[] PIDS = {PAT_PID, PMT_PID, VIDEO_PID, AUDIO_PID};

  /** Access unit delimiter, primary_pic_type 7 (any slice type), behind a start code. */
  private static final byte[] AUD = {0, 0, 0, 1, 0x09, (byte) 0xF0};

  private static final byte[] START_CODE = {0, 0, 0, 1};

  private final byte[] chunk = new byte[PACKET_SIZE * CHUNK_PACKETS];
  private final int[] continuity = new int[PIDS.length];
  private final byte[] psi = new byte[PAYLOAD_SIZE];
  private final int[] pmtTypes = new int[2];
  private final int[] pmtPids = new int[2];
  private final AvccFrame avcc = new AvccFrame();
  private final PesPayload video = new PesPayload();
  private final byte[] videoHeader = new byte[PesHeader.MAX_LENGTH];
  private final PesPayload audio = new PesPayload();
  private final byte[] audioHeader = new byte[PesHeader.MAX_LENGTH];
  private final byte[] adtsHeaders = new byte[AdtsHeader.LENGTH * AUDIO_FRAMES_PER_PES];

  private int chunkPos;
  private TsOutput out;
  private long segmentBytes;
  private AvcDecoderConfig videoConfig;
  private AacConfig audioConfig;
  private boolean segmentHasVideo;
  private boolean segmentHasAudio;
  private int pmtVersion = -1;
  private boolean pmtVideo;
  private boolean pmtAudio;
  private int audioFrames;
  private long audioPts90k;

  /**
   * The time a demuxer gives the last AAC frame written: its PES's PTS plus a frame per one before
   * it.
   */
  private long audioReadPts90k = Long.MIN_VALUE;

  /**
   * Why the muxer cannot carry {@code codec}, or empty if it can (H.264 and AAC). The muxer has no
   * stream types for the others here; a caller leaves such a track out.
   */
  public static Optional<String> unsupportedReason(Codec codec) {
    return switch (codec) {
      case H264, AAC -> Optional.empty();
      case HEVC, AV1 ->
          Optional.of(codec + " video is not supported by the MPEG-TS HLS output (H.264 only)");
      case MP3, OPUS ->
          Optional.of(codec + " audio is not supported by the MPEG-TS HLS output (AAC only)");
    };
  }

  /** Why an ADTS header cannot describe {@code config}, or empty if it can. */
  public static Optional<String> unsupportedReason(AacConfig config) {
    return config.fitsAdts()
        ? Optional.empty()
        : Optional.of(
            "AAC object type " + config.coreObjectType() + " cannot be carried in ADTS/MPEG-TS");
  }

  /**
   * Sets the H.264 track's config, or removes the track with null. Takes effect for SPS/PPS
   * insertion at once and for the PMT at the next {@link #startSegment}.
   */
  public void setVideoConfig(AvcDecoderConfig config) {
    this.videoConfig = config;
  }

  /**
   * Sets the AAC track's config, or removes the track with null; see {@link #setVideoConfig}.
   * Pending frames keep the ADTS headers they were given.
   */
  public void setAudioConfig(AacConfig config) {
    if (config != null && !config.fitsAdts()) {
      throw new IllegalArgumentException(unsupportedReason(config).orElseThrow());
    }
    this.audioConfig = config;
  }

  public AvcDecoderConfig videoConfig() {
    return videoConfig;
  }

  public AacConfig audioConfig() {
    return audioConfig;
  }

  /** Whether the current segment's PMT lists the video track. */
  public boolean segmentHasVideo() {
    return segmentHasVideo;
  }

  /** Whether the current segment's PMT lists the audio track. */
  public boolean segmentHasAudio() {
    return segmentHasAudio;
  }

  /** Whether a segment is started and not yet ended. */
  @Override
  public boolean inSegment() {
    return out != null;
  }

  /** Bytes of the current segment so far, including what still sits in the chunk buffer. */
  public long segmentBytes() {
    return segmentBytes;
  }

  /**
   * Starts a segment on {@code output}: writes a PAT and a PMT listing the configured tracks. The
   * PMT's version changes whenever the track set does.
   */
  @Override
  public void startSegment(TsOutput output) throws IOException {
    if (out != null) {
      throw new IllegalStateException("the previous segment was not ended");
    }
    if (videoConfig == null && audioConfig == null) {
      throw new IllegalStateException("no track is configured");
    }
    out = Objects.requireNonNull(output, "output");
    segmentBytes = 0;
    segmentHasVideo = videoConfig != null;
    segmentHasAudio = audioConfig != null;
    if (pmtVersion < 0 || pmtVideo != segmentHasVideo || pmtAudio != segmentHasAudio) {
      pmtVersion = (pmtVersion + 1) & 0x1F;
      pmtVideo = segmentHasVideo;
      pmtAudio = segmentHasAudio;
    }
    int length = PatSection.write(psi, 0, TRANSPORT_STREAM_ID, PROGRAM_NUMBER, PMT_PID);
    writeSection(PAT, length);
    int streams = 0;
    if (segmentHasVideo) {
      pmtTypes[streams] = PmtSection.STREAM_TYPE_H264;
      pmtPids[streams++] = VIDEO_PID;
    }
    if (segmentHasAudio) {
      pmtTypes[streams] = PmtSection.STREAM_TYPE_AAC_ADTS;
      pmtPids[streams++] = AUDIO_PID;
    }
    int pcrPid = segmentHasVideo ? VIDEO_PID : AUDIO_PID;
    length =
        PmtSection.write(psi, 0, PROGRAM_NUMBER, pmtVersion, pcrPid, pmtTypes, pmtPids, streams);
    writeSection(PMT, length);
  }

  /**
   * Writes one H.264 access unit as one PES packet.
   *
   * @param frame an AVCC access unit (not a config packet)
   * @param dtsMillis decode time on the output timeline; 90 kHz ticks wrap at 33 bits
   * @param ptsMillis presentation time on the output timeline
   */
  @Override
  public void writeVideo(MediaPacket frame, long dtsMillis, long ptsMillis)
      throws IOException, MediaFormatException {
    if (!segmentHasVideo || out == null || videoConfig == null) {
      throw new IllegalStateException("the current segment has no video track");
    }
    AvcDecoderConfig config = videoConfig;
    byte[] data = frame.array();
    avcc.parse(data, frame.offset(), frame.length(), config.nalLengthSize());
    boolean randomAccess = frame.isKeyframe() || avcc.hasIdr();
    long dts90k = dtsMillis * 90;
    long pts90k = ptsMillis * 90;
    video.clear();
    int headerLength =
        PesHeader.write(
            videoHeader, 0, PesHeader.STREAM_ID_VIDEO, -1, pts90k, dts90k, pts90k != dts90k, true);
    video.add(videoHeader, 0, headerLength);
    video.add(AUD, 0, AUD.length);
    if (randomAccess && !avcc.hasSps()) {
      addParameterSets(config.sps());
      addParameterSets(config.pps());
    }
    for (int i = 0; i < avcc.count(); i++) {
      int offset = avcc.offset(i);
      if ((data[offset] & 0x1F) == AvccFrame.NAL_AUD) {
        continue; // ours is already first
      }
      video.add(START_CODE, 0, START_CODE.length);
      video.add(data, offset, avcc.length(i));
    }
    writePes(VIDEO, video, true, dts90k, randomAccess);
    video.clear();
  }

  private void addParameterSets(List<byte[]> sets) {
    for (byte[] nal : sets) {
      video.add(START_CODE, 0, START_CODE.length);
      video.add(nal, 0, nal.length);
    }
  }

  /**
   * Adds one raw AAC frame. Frames are gathered into one PES of up to {@link
   * #AUDIO_FRAMES_PER_PES}; the PES goes out when it is full, when a frame does not follow on
   * without a gap, and at {@link #endSegment}. The frame's array is referenced until then; {@link
   * MediaPacket} payloads are never written to, so that is safe.
   *
   * @param ptsMillis presentation time on the output timeline
   */
  @Override
  public void writeAudio(MediaPacket frame, long ptsMillis)
      throws IOException, MediaFormatException {
    if (!segmentHasAudio || out == null || audioConfig == null) {
      throw new IllegalStateException("the current segment has no audio track");
    }
    int length = frame.length();
    if (length == 0) {
      return;
    }
    long pts90k = ptsMillis * 90;
    if (audioFrames > 0 && (audioFrames == AUDIO_FRAMES_PER_PES || !follows(pts90k, length))) {
      flushAudio();
    }
    if (audioFrames == 0) {
      audioPts90k = pts90k;
      audio.clear();
      audio.add(audioHeader, 0, 0); // the header, once the length is known
    }
    int adts = audioFrames * AdtsHeader.LENGTH;
    AdtsHeader.write(adtsHeaders, adts, audioConfig, length);
    audio.add(adtsHeaders, adts, AdtsHeader.LENGTH);
    audio.add(frame.array(), frame.offset(), length);
    audioFrames++;
    audioReadPts90k = audioPts90k + (audioFrames - 1) * audioFrame90k();
  }

  /**
   * Whether an AAC frame at {@code ptsMillis} would be read at or before the last one written. A
   * demuxer (ffmpeg, hls.js) stamps the frames of one PES a frame apart from its PTS, whatever
   * their own times: a frame a few milliseconds early that still joined the last PES is read later
   * than it was, and a frame just after it that starts a new PES is then read at or before it. Such
   * a frame would make the audio a player reads go back; the caller leaves it out.
   */
  public boolean audioOverlaps(MediaPacket frame, long ptsMillis) {
    if (audioConfig == null || audioReadPts90k == Long.MIN_VALUE) {
      return false;
    }
    long pts90k = ptsMillis * 90;
    if (audioFrames > 0 && audioFrames < AUDIO_FRAMES_PER_PES && follows(pts90k, frame.length())) {
      return false; // it joins the pending PES, read a frame after the last one
    }
    return pts90k <= audioReadPts90k;
  }

  private long audioFrame90k() {
    return AUDIO_SAMPLES_PER_FRAME * 90_000L / audioConfig.sampleRate();
  }

  /** Whether a frame at {@code pts90k} continues the pending ones within half a frame. */
  private boolean follows(long pts90k, int length) {
    long room = PesHeader.MAX_PACKET_LENGTH - 3 - 5 - audio.total();
    if (AdtsHeader.LENGTH + length > room) {
      return false;
    }
    long frame90k = audioFrame90k();
    long expected = audioPts90k + audioFrames * frame90k;
    return Math.abs(pts90k - expected) <= frame90k / 2;
  }

  private void flushAudio() throws IOException {
    int payload = audio.total();
    int headerLength =
        PesHeader.write(
            audioHeader, 0, PesHeader.STREAM_ID_AUDIO, payload, audioPts90k, 0, false, true);
    audio.set(0, audioHeader, 0, headerLength);
    boolean pcr = !segmentHasVideo;
    writePes(AUDIO, audio, pcr, audioPts90k, pcr);
    audio.clear();
    audioFrames = 0;
  }

  /**
   * Ends the current segment: sends pending audio and the chunk buffer to the output, which the
   * muxer then lets go of.
   *
   * @return the bytes the segment took
   */
  @Override
  public long endSegment() throws IOException {
    if (out == null) {
      throw new IllegalStateException("no segment is started");
    }
    if (audioFrames > 0) {
      flushAudio();
    }
    flushChunk();
    out = null;
    return segmentBytes;
  }

  /**
   * Drops the current segment's unsent bytes and pending audio and lets go of the output, for a
   * caller that aborts the segment.
   */
  public void abandonSegment() {
    audio.clear();
    audioFrames = 0;
    chunkPos = 0;
    out = null;
  }

  private void writeSection(int index, int length) throws IOException {
    int p = nextPacket();
    byte[] b = chunk;
    int pid = PIDS[index];
    b[p] = SYNC_BYTE;
    b[p + 1] = (byte) (0x40 | (pid >> 8)); // payload_unit_start_indicator
    b[p + 2] = (byte) pid;
    b[p + 3] = (byte) (0x10 | nextContinuity(index)); // payload only
    b[p + 4] = 0; // pointer_field: the section starts right here
    System.arraycopy(psi, 0, b, p + 5, length);
    Arrays.fill(b, p + 5 + length, p + PACKET_SIZE, (byte) 0xFF);
  }

  /**
   * Cuts a PES packet into TS packets. The first carries payload_unit_start_indicator and, when
   * asked, a PCR and the random_access_indicator in its adaptation field; the last is padded with
   * adaptation field stuffing (§2.4.3.5) so the PES ends exactly at a packet end.
   */
  private void writePes(int index, PesPayload pes, boolean withPcr, long dts90k, boolean random)
      throws IOException {
    int pid = PIDS[index];
    int remaining = pes.total();
    pes.rewind();
    boolean first = true;
    while (remaining > 0) {
      int p = nextPacket();
      byte[] b = chunk;
      boolean pcrHere = first && withPcr;
      boolean randomHere = first && random;
      int fields = pcrHere ? 8 : randomHere ? 2 : 0; // length, flags, PCR
      int room = PAYLOAD_SIZE - fields;
      int adaptation = remaining < room ? fields + room - remaining : fields;
      b[p] = SYNC_BYTE;
      b[p + 1] = (byte) ((first ? 0x40 : 0) | (pid >> 8));
      b[p + 2] = (byte) pid;
      b[p + 3] = (byte) ((adaptation > 0 ? 0x30 : 0x10) | nextContinuity(index));
      if (adaptation > 0) {
        b[p + 4] = (byte) (adaptation - 1); // adaptation_field_length
        if (adaptation > 1) {
          b[p + 5] = (byte) ((randomHere ? 0x40 : 0) | (pcrHere ? 0x10 : 0));
          int q = p + 6;
          if (pcrHere) {
            writePcr(b, q, dts90k - PCR_LAG_90K); // modulo 2^33 like the timestamps
            q += 6;
          }
          Arrays.fill(b, q, p + 4 + adaptation, (byte) 0xFF);
        }
      }
      int length = PAYLOAD_SIZE - adaptation;
      pes.copyTo(b, p + 4 + adaptation, length);
      remaining -= length;
      first = false;
    }
  }

  /** program_clock_reference_base (33 bits), 6 reserved bits, extension 0 (§2.4.3.5). */
  private static void writePcr(byte[] b, int offset, long base90k) {
    long base = base90k & PesHeader.TIMESTAMP_MASK;
    b[offset] = (byte) (base >> 25);
    b[offset + 1] = (byte) (base >> 17);
    b[offset + 2] = (byte) (base >> 9);
    b[offset + 3] = (byte) (base >> 1);
    b[offset + 4] = (byte) (((base & 1) << 7) | 0x7E);
    b[offset + 5] = 0;
  }

  private int nextContinuity(int index) {
    int cc = continuity[index];
    continuity[index] = (cc + 1) & 0x0F;
    return cc;
  }

  /** Reserves the next packet in the chunk, sending the chunk first when it is full. */
  private int nextPacket() throws IOException {
    if (chunkPos == chunk.length) {
      flushChunk();
    }
    int p = chunkPos;
    chunkPos += PACKET_SIZE;
    segmentBytes += PACKET_SIZE;
    return p;
  }

  private void flushChunk() throws IOException {
    if (chunkPos > 0) {
      out.write(chunk, 0, chunkPos);
      chunkPos = 0;
    }
  }
}

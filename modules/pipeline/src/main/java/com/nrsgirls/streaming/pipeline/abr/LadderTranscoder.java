package com.nrsgirls.streaming.pipeline.abr;

import static org.bytedeco.ffmpeg.global.avcodec.AV_CODEC_FLAG_GLOBAL_HEADER;
import static org.bytedeco.ffmpeg.global.avcodec.AV_CODEC_ID_AAC;
import static org.bytedeco.ffmpeg.global.avcodec.AV_CODEC_ID_H264;
import static org.bytedeco.ffmpeg.global.avcodec.AV_INPUT_BUFFER_PADDING_SIZE;
import static org.bytedeco.ffmpeg.global.avcodec.AV_PKT_FLAG_KEY;
import static org.bytedeco.ffmpeg.global.avcodec.av_packet_alloc;
import static org.bytedeco.ffmpeg.global.avcodec.av_packet_free;
import static org.bytedeco.ffmpeg.global.avcodec.av_packet_unref;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_alloc_context3;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_find_decoder;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_find_encoder;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_find_encoder_by_name;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_free_context;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_open2;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_receive_frame;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_receive_packet;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_send_frame;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_send_packet;
import static org.bytedeco.ffmpeg.global.avutil.AVERROR_EOF;
import static org.bytedeco.ffmpeg.global.avutil.AV_LOG_QUIET;
import static org.bytedeco.ffmpeg.global.avutil.AV_NOPTS_VALUE;
import static org.bytedeco.ffmpeg.global.avutil.AV_PICTURE_TYPE_I;
import static org.bytedeco.ffmpeg.global.avutil.AV_PICTURE_TYPE_NONE;
import static org.bytedeco.ffmpeg.global.avutil.AV_PIX_FMT_YUV420P;
import static org.bytedeco.ffmpeg.global.avutil.AV_SAMPLE_FMT_FLTP;
import static org.bytedeco.ffmpeg.global.avutil.av_audio_fifo_alloc;
import static org.bytedeco.ffmpeg.global.avutil.av_audio_fifo_free;
import static org.bytedeco.ffmpeg.global.avutil.av_audio_fifo_read;
import static org.bytedeco.ffmpeg.global.avutil.av_audio_fifo_reset;
import static org.bytedeco.ffmpeg.global.avutil.av_audio_fifo_size;
import static org.bytedeco.ffmpeg.global.avutil.av_audio_fifo_write;
import static org.bytedeco.ffmpeg.global.avutil.av_channel_layout_copy;
import static org.bytedeco.ffmpeg.global.avutil.av_dict_free;
import static org.bytedeco.ffmpeg.global.avutil.av_dict_set;
import static org.bytedeco.ffmpeg.global.avutil.av_frame_alloc;
import static org.bytedeco.ffmpeg.global.avutil.av_frame_free;
import static org.bytedeco.ffmpeg.global.avutil.av_frame_get_buffer;
import static org.bytedeco.ffmpeg.global.avutil.av_frame_make_writable;
import static org.bytedeco.ffmpeg.global.avutil.av_frame_ref;
import static org.bytedeco.ffmpeg.global.avutil.av_frame_unref;
import static org.bytedeco.ffmpeg.global.avutil.av_free;
import static org.bytedeco.ffmpeg.global.avutil.av_log_set_level;
import static org.bytedeco.ffmpeg.global.avutil.av_make_q;
import static org.bytedeco.ffmpeg.global.avutil.av_mallocz;
import static org.bytedeco.ffmpeg.global.avutil.av_strerror;
import static org.bytedeco.ffmpeg.global.swscale.SWS_BICUBIC;
import static org.bytedeco.ffmpeg.global.swscale.sws_freeContext;
import static org.bytedeco.ffmpeg.global.swscale.sws_getCachedContext;
import static org.bytedeco.ffmpeg.global.swscale.sws_scale;

import com.nrsgirls.streaming.core.media.Codec;
import com.nrsgirls.streaming.core.media.MediaFormatException;
import com.nrsgirls.streaming.core.media.MediaPacket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import org.bytedeco.ffmpeg.avcodec.AVCodec;
import org.bytedeco.ffmpeg.avcodec.AVCodecContext;
import org.bytedeco.ffmpeg.avcodec.AVPacket;
import org.bytedeco.ffmpeg.avutil.AVAudioFifo;
import org.bytedeco.ffmpeg.avutil.AVDictionary;
import org.bytedeco.ffmpeg.avutil.AVFrame;
import org.bytedeco.ffmpeg.avutil.AVRational;
import org.bytedeco.ffmpeg.swscale.SwsContext;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.javacpp.Pointer;

/**
 * An ABR ladder for one stream: decodes the source's H.264 once, scales each decoded picture once
 * per rung and encodes it with libx264; decodes the source's AAC once and encodes it once per
 * distinct audio bit rate. What comes out are {@link MediaPacket}s per rung, in the form ingest
 * produces (length-prefixed H.264 with an AVCDecoderConfigurationRecord, raw AAC with an
 * AudioSpecificConfig), so every muxer takes them as it takes the source.
 *
 * <p>Keyframes: a source frame that starts a segment (the stream's {@code SegmentClock} marked it)
 * becomes an IDR in every rung, at the same presentation time and marked with the same segment, so
 * every rung is cut where the source is. Keyframes a rung's encoder adds on its own (scene cuts)
 * start no segment.
 *
 * <p>Threads: the rungs scale and encode in parallel on the {@code encoders} executor given at
 * creation, each with one picture in flight, while the calling thread decodes the next one; what a
 * rung encoded reaches the output on the calling thread, in order, once its task is done. Plain
 * Java over bytedeco's FFmpeg with no Pekko in it, and not thread-safe: one thread calls it at a
 * time. Its calls block while the codecs work, so neither that thread nor the executor may be
 * Pekko's default dispatcher (the graph gives it a bounded one of its own). Native memory (codec
 * contexts, frames, packets, scalers, the audio FIFO) is allocated when a track is configured and
 * freed in {@link #close}; nothing native is left to the garbage collector.
 */
public final class LadderTranscoder implements AutoCloseable {

  /** Receives what the ladder produces, on the transcoder's thread. */
  public interface Output {
    void packet(RungSize rung, MediaPacket packet);
  }

  /**
   * How the rungs are encoded.
   *
   * @param preset libx264 preset, e.g. {@code veryfast}
   * @param tune libx264 tune, e.g. {@code zerolatency}; empty for none
   * @param encoderThreads threads per libx264 encoder, 0 for libx264's choice
   * @param decoderThreads threads of the H.264 decoder, 0 for FFmpeg's choice
   * @param fallbackFps the frame rate rate control assumes when the source's SPS does not say
   */
  public record EncoderSettings(
      String preset, String tune, int encoderThreads, int decoderThreads, int fallbackFps) {
    public static final EncoderSettings DEFAULT =
        new EncoderSettings("veryfast", "zerolatency", 0, 0, 30);

    public EncoderSettings {
      Objects.requireNonNull(preset, "preset");
      Objects.requireNonNull(tune, "tune");
      if (fallbackFps <= 0) {
        throw new IllegalArgumentException("fallback fps must be positive");
      }
    }
  }

  /** FFmpeg's {@code AVERROR(EAGAIN)} on Linux: the codec wants the other call first. */
  private static final int EAGAIN = -11;

  private static final AVRational MILLIS = av_make_q(1, 1000);

  static {
    // FFmpeg would print to the process's stderr, without the stream it is about; failures come
    // back as return codes, which the transcoder's owner logs with the stream's id.
    av_log_set_level(AV_LOG_QUIET);
  }

  private final List<RungSize> rungs;
  private final EncoderSettings settings;
  private final Output output;
  private final AVPacket packet = av_packet_alloc();
  private final AVPacket audioPacket = av_packet_alloc();
  private final AVFrame decoded = av_frame_alloc();
  private final AVFrame held = av_frame_alloc();
  private final Executor encoders;

  private BytePointer input;
  private long inputCapacity;

  private AVCodecContext videoDecoder;
  private byte[] videoConfig;
  private VideoRung[] videoRungs;
  private final long[] forcedPts = new long[64];
  private final long[] forcedSegments = new long[64];
  private int forcedHead;
  private int forcedCount;

  private AVCodecContext audioDecoder;
  private byte[] audioConfig;
  private AVAudioFifo fifo;
  private AVFrame audioFrame;
  private AudioEncoder[] audioEncoders;
  private long nextAudioSample = Long.MIN_VALUE;
  private int audioRate;
  private int audioChannels;

  private long framesDecoded;
  private long framesForced;
  private boolean finished;
  private boolean closed;

  private LadderTranscoder(
      List<RungSize> rungs, EncoderSettings settings, Executor encoders, Output output) {
    this.rungs = List.copyOf(rungs);
    this.encoders = encoders;
    this.settings = settings;
    this.output = output;
  }

  /**
   * A transcoder for {@code rungs} (as {@link Ladder#plan} gives them), encoding them on {@code
   * encoders} (a thread per rung lets them all work at once). Opens nothing until the first config
   * packet.
   *
   * @throws TranscodeException when this FFmpeg build lacks libx264 or the AAC codecs
   */
  public static LadderTranscoder create(
      List<RungSize> rungs, EncoderSettings settings, Executor encoders, Output output)
      throws TranscodeException {
    if (rungs.isEmpty()) {
      throw new IllegalArgumentException("a ladder needs at least one rung");
    }
    if (avcodec_find_encoder_by_name("libx264") == null) {
      throw new TranscodeException("this FFmpeg build has no libx264 (the -gpl build has)");
    }
    return new LadderTranscoder(
        rungs, Objects.requireNonNull(settings), Objects.requireNonNull(encoders), output);
  }

  /**
   * Takes the source's next packet in decode order. Config packets (re)configure their track;
   * frames are decoded, and what the rungs encode from a picture goes to the output when the next
   * picture is decoded (or at {@link #finish}): one frame later, as the encoders run without delay
   * of their own under {@code zerolatency}.
   *
   * <p>A video frame that {@linkplain MediaPacket#startsSegment starts a segment} is encoded as an
   * IDR in every rung, and the rung's packet of that picture starts the same segment.
   *
   * @throws TranscodeException when a codec fails; the transcoder should then be closed
   */
  public void accept(MediaPacket source) throws TranscodeException {
    if (finished || closed) {
      throw new IllegalStateException("transcoder is finished");
    }
    if (source.codec() == Codec.H264) {
      if (source.isConfig()) {
        configureVideo(source);
      } else if (videoDecoder != null) {
        if (source.startsSegment()) {
          rememberForced(source.pts(), source.segment());
        }
        decode(videoDecoder, source, true);
      }
    } else if (source.codec() == Codec.AAC) {
      if (source.isConfig()) {
        configureAudio(source);
      } else if (audioDecoder != null) {
        decode(audioDecoder, source, false);
      }
    }
  }

  /** Drains the decoders and encoders into the output. The transcoder takes nothing after this. */
  public void finish() throws TranscodeException {
    if (finished || closed) {
      return;
    }
    finished = true;
    if (videoDecoder != null) {
      drainDecoder(videoDecoder, true);
    }
    if (audioDecoder != null) {
      drainDecoder(audioDecoder, false);
    }
    if (videoRungs != null) {
      awaitRungs();
      for (VideoRung r : videoRungs) {
        r.pending =
            CompletableFuture.runAsync(() -> r.encode(null, 0, MediaPacket.NO_SEGMENT), encoders);
      }
      awaitRungs();
    }
    if (audioEncoders != null) {
      encodeBufferedAudio(true);
      for (AudioEncoder a : audioEncoders) {
        check(avcodec_send_frame(a.encoder, null), "flushing an AAC encoder");
        receiveAudio(a);
      }
    }
  }

  /** Video frames decoded so far. */
  public long framesDecoded() {
    return framesDecoded;
  }

  /** Source pictures every rung was asked to encode as an IDR. */
  public long keyframesForced() {
    return framesForced;
  }

  /** Frames each rung has encoded so far, by rung name. */
  public Map<String, Long> framesEncoded() {
    Map<String, Long> counts = new LinkedHashMap<>();
    for (RungSize r : rungs) {
      counts.put(r.name(), 0L);
    }
    if (videoRungs != null) {
      for (VideoRung r : videoRungs) {
        counts.put(r.size.name(), r.frames);
      }
    }
    return counts;
  }

  /** Frees every native resource. Idempotent; the transcoder is unusable afterwards. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    try {
      awaitRungs(); // a rung's task must not be using what is freed
    } catch (TranscodeException e) {
      // closing anyway
    }
    closeVideo();
    closeAudio();
    av_frame_free(held);
    av_frame_free(decoded);
    av_packet_free(packet);
    av_packet_free(audioPacket);
    if (input != null) {
      av_free(input);
      input = null;
    }
  }

  // --- video

  private void configureVideo(MediaPacket config) throws TranscodeException {
    byte[] record = config.payloadCopy();
    if (Arrays.equals(record, videoConfig)) {
      return; // encoders resend their sequence header with every keyframe
    }
    if (videoDecoder != null) {
      drainDecoder(videoDecoder, true);
      avcodec_free_context(videoDecoder);
      videoDecoder = null;
    }
    videoConfig = record;
    forcedCount = 0;
    AVCodec codec = avcodec_find_decoder(AV_CODEC_ID_H264);
    AVCodecContext decoder = avcodec_alloc_context3(codec);
    setExtradata(decoder, record);
    decoder.pkt_timebase(MILLIS);
    decoder.thread_count(settings.decoderThreads());
    int ret = avcodec_open2(decoder, codec, (AVDictionary) null);
    if (ret < 0) {
      avcodec_free_context(decoder);
      throw failure(ret, "opening the H.264 decoder");
    }
    videoDecoder = decoder;
  }

  private void rememberForced(long pts, long segment) {
    if (forcedCount == forcedPts.length) {
      forcedHead = (forcedHead + 1) % forcedPts.length; // forget the oldest, never decoded
      forcedCount--;
    }
    int slot = (forcedHead + forcedCount) % forcedPts.length;
    forcedPts[slot] = pts;
    forcedSegments[slot] = segment;
    forcedCount++;
  }

  /** The segment the decoded picture at {@code pts} starts, or {@link MediaPacket#NO_SEGMENT}. */
  private long takeForced(long pts) {
    while (forcedCount > 0) {
      long head = forcedPts[forcedHead];
      if (head > pts) {
        return MediaPacket.NO_SEGMENT;
      }
      long segment = forcedSegments[forcedHead];
      forcedHead = (forcedHead + 1) % forcedPts.length;
      forcedCount--;
      if (head == pts) {
        return segment;
      }
      // a forced picture that never came out of the decoder (a corrupt frame): skip it
    }
    return MediaPacket.NO_SEGMENT;
  }

  private void encodeVideo(AVFrame picture) throws TranscodeException {
    framesDecoded++;
    long pts = picture.best_effort_timestamp();
    if (pts == AV_NOPTS_VALUE) {
      pts = picture.pts();
    }
    long segment = takeForced(pts);
    if (segment != MediaPacket.NO_SEGMENT) {
      framesForced++;
    }
    if (videoRungs == null) {
      openVideoRungs();
    }
    // The rungs still working on the picture before this one finish first: each rung has one
    // picture in flight, and the held reference to the decoded picture is reused.
    awaitRungs();
    av_frame_unref(held);
    check(av_frame_ref(held, picture), "holding a decoded picture");
    long framePts = pts;
    for (VideoRung r : videoRungs) {
      r.pending = CompletableFuture.runAsync(() -> r.encode(held, framePts, segment), encoders);
    }
  }

  /** Waits for every rung's picture in flight, then hands what they encoded to the output. */
  private void awaitRungs() throws TranscodeException {
    if (videoRungs == null) {
      return;
    }
    TranscodeException failure = null;
    for (VideoRung r : videoRungs) {
      if (r.pending == null) {
        continue;
      }
      try {
        r.pending.join();
      } catch (CompletionException e) {
        if (failure == null) {
          failure =
              e.getCause() instanceof EncodeFailure f
                  ? f.failure
                  : new TranscodeException(r.size.name() + ": " + e.getCause());
        }
      }
      r.pending = null;
      for (MediaPacket p : r.encoded) {
        output.packet(r.size, p);
      }
      r.encoded.clear();
    }
    if (failure != null) {
      throw failure;
    }
  }

  private void openVideoRungs() throws TranscodeException {
    AVCodec x264 = avcodec_find_encoder_by_name("libx264");
    AVRational fps = videoDecoder.framerate();
    if (fps.num() <= 0 || fps.den() <= 0) {
      fps = av_make_q(settings.fallbackFps(), 1);
    }
    List<VideoRung> opened = new ArrayList<>();
    try {
      for (RungSize size : rungs) {
        VideoRung r = new VideoRung(size);
        opened.add(r);
        AVCodecContext c = avcodec_alloc_context3(x264);
        r.encoder = c;
        c.width(size.width());
        c.height(size.height());
        c.pix_fmt(AV_PIX_FMT_YUV420P);
        c.time_base(MILLIS);
        c.framerate(fps);
        c.sample_aspect_ratio(av_make_q(1, 1));
        c.bit_rate(size.videoBitrate());
        c.rc_max_rate(size.videoBitrate());
        c.rc_buffer_size(size.videoBitrate() * 2);
        c.thread_count(settings.encoderThreads());
        c.flags(c.flags() | AV_CODEC_FLAG_GLOBAL_HEADER);
        AVDictionary options = new AVDictionary(null);
        av_dict_set(options, "preset", settings.preset(), 0);
        if (!settings.tune().isEmpty()) {
          av_dict_set(options, "tune", settings.tune(), 0);
        }
        av_dict_set(options, "forced-idr", "1", 0);
        int ret = avcodec_open2(c, x264, options);
        av_dict_free(options);
        check(ret, "opening libx264 for " + size.name());
        r.frame = av_frame_alloc();
        r.frame.format(AV_PIX_FMT_YUV420P);
        r.frame.width(size.width());
        r.frame.height(size.height());
        check(av_frame_get_buffer(r.frame, 0), "allocating a " + size.name() + " frame");
        byte[] record;
        try {
          record = AnnexB.decoderConfigurationRecord(extradata(c), c.extradata_size());
        } catch (MediaFormatException e) {
          throw new TranscodeException("libx264's parameter sets: " + e.getMessage());
        }
        output.packet(
            size,
            new MediaPacket(Codec.H264, 0, 0, MediaPacket.FLAG_CONFIG, record, 0, record.length));
      }
    } catch (TranscodeException | RuntimeException e) {
      for (VideoRung r : opened) {
        r.free();
      }
      throw e;
    }
    videoRungs = opened.toArray(VideoRung[]::new);
  }

  private void closeVideo() {
    if (videoRungs != null) {
      for (VideoRung r : videoRungs) {
        r.free();
      }
      videoRungs = null;
    }
    if (videoDecoder != null) {
      avcodec_free_context(videoDecoder);
      videoDecoder = null;
    }
  }

  /**
   * One rung's scaler, picture and encoder. Its {@link #encode} runs on the encoders' executor, one
   * picture at a time; what it encodes waits in {@link #encoded} until the transcoder's thread has
   * seen the task complete (the future's completion orders the two threads' memory).
   */
  private static final class VideoRung {
    final RungSize size;
    final AVPacket packet = av_packet_alloc();
    final List<MediaPacket> encoded = new ArrayList<>();
    final Map<Long, Long> segmentsByPts = new HashMap<>();
    SwsContext scaler;
    AVFrame frame;
    AVCodecContext encoder;
    CompletableFuture<Void> pending;
    long frames;

    VideoRung(RungSize size) {
      this.size = size;
    }

    void encode(AVFrame picture, long pts, long segment) {
      try {
        if (picture != null) {
          scale(picture);
          frame.pts(pts);
          boolean keyframe = segment != MediaPacket.NO_SEGMENT;
          frame.pict_type(keyframe ? AV_PICTURE_TYPE_I : AV_PICTURE_TYPE_NONE);
          if (keyframe) {
            if (segmentsByPts.size() > 64) {
              segmentsByPts.clear(); // IDRs the encoder never gave back: not to grow without end
            }
            segmentsByPts.put(pts, segment);
          }
        }
        check(
            avcodec_send_frame(encoder, picture == null ? null : frame), "encoding " + size.name());
        receive();
      } catch (TranscodeException e) {
        throw new EncodeFailure(e);
      }
    }

    private void scale(AVFrame picture) throws TranscodeException {
      check(av_frame_make_writable(frame), "making a " + size.name() + " frame writable");
      scaler =
          sws_getCachedContext(
              scaler,
              picture.width(),
              picture.height(),
              picture.format(),
              size.width(),
              size.height(),
              AV_PIX_FMT_YUV420P,
              SWS_BICUBIC,
              null,
              null,
              (DoublePointer) null);
      if (scaler == null) {
        throw new TranscodeException(
            "no scaler from "
                + picture.width()
                + "x"
                + picture.height()
                + " format "
                + picture.format()
                + " to "
                + size.name());
      }
      sws_scale(
          scaler,
          picture.data(),
          picture.linesize(),
          0,
          picture.height(),
          frame.data(),
          frame.linesize());
    }

    private void receive() throws TranscodeException {
      while (true) {
        int ret = avcodec_receive_packet(encoder, packet);
        if (ret == EAGAIN || ret == AVERROR_EOF) {
          return;
        }
        check(ret, "encoding " + size.name());
        try {
          byte[] annexB = new byte[packet.size()];
          packet.data().get(annexB);
          byte[] au = AnnexB.toLengthPrefixed(annexB, annexB.length);
          long dts = packet.dts() == AV_NOPTS_VALUE ? packet.pts() : packet.dts();
          int flags = (packet.flags() & AV_PKT_FLAG_KEY) != 0 ? MediaPacket.FLAG_KEYFRAME : 0;
          frames++;
          MediaPacket out =
              new MediaPacket(Codec.H264, dts, (int) (packet.pts() - dts), flags, au, 0, au.length);
          Long segment = flags != 0 ? segmentsByPts.remove(packet.pts()) : null;
          encoded.add(segment == null ? out : out.startingSegment(segment));
        } finally {
          av_packet_unref(packet);
        }
      }
    }

    void free() {
      if (encoder != null) {
        avcodec_free_context(encoder);
        encoder = null;
      }
      if (frame != null) {
        av_frame_free(frame);
        frame = null;
      }
      if (scaler != null) {
        sws_freeContext(scaler);
        scaler = null;
      }
      av_packet_free(packet);
    }
  }

  /** Carries a rung's failure out of its task. */
  private static final class EncodeFailure extends RuntimeException {
    final TranscodeException failure;

    EncodeFailure(TranscodeException failure) {
      super(failure.getMessage(), null, false, false);
      this.failure = failure;
    }
  }

  // --- audio

  private void configureAudio(MediaPacket config) throws TranscodeException {
    byte[] record = config.payloadCopy();
    if (Arrays.equals(record, audioConfig)) {
      return;
    }
    closeAudio();
    audioConfig = record;
    AVCodec codec = avcodec_find_decoder(AV_CODEC_ID_AAC);
    AVCodecContext decoder = avcodec_alloc_context3(codec);
    setExtradata(decoder, record);
    decoder.pkt_timebase(MILLIS);
    int ret = avcodec_open2(decoder, codec, (AVDictionary) null);
    if (ret < 0) {
      avcodec_free_context(decoder);
      throw failure(ret, "opening the AAC decoder");
    }
    audioDecoder = decoder;
  }

  private void bufferAudio(AVFrame samples) throws TranscodeException {
    if (videoConfig != null && videoRungs == null) {
      return; // until the rungs' video starts, so that each rendition starts with its keyframe
    }
    if (samples.format() != AV_SAMPLE_FMT_FLTP) {
      throw new TranscodeException("the AAC decoder gave sample format " + samples.format());
    }
    if (audioEncoders != null
        && (samples.ch_layout().nb_channels() != audioChannels
            || samples.sample_rate() != audioRate)) {
      // AAC may change its channels in band (a mono element in a stereo stream, a PCE) without a
      // new config: the FIFO and the encoders are made for the old layout, so open them anew
      closeAudioEncoders();
    }
    if (audioEncoders == null) {
      openAudioEncoders(samples);
    }
    long pts = samples.best_effort_timestamp();
    if (pts != AV_NOPTS_VALUE) {
      long sample = pts * audioRate / 1000;
      long expected = nextAudioSample + av_audio_fifo_size(fifo);
      if (nextAudioSample == Long.MIN_VALUE || Math.abs(sample - expected) > audioRate / 10) {
        // the first frame, or the source's audio clock jumped: restart the timeline here
        av_audio_fifo_reset(fifo);
        nextAudioSample = sample;
      }
    } else if (nextAudioSample == Long.MIN_VALUE) {
      return;
    }
    int written = av_audio_fifo_write(fifo, samples.extended_data(), samples.nb_samples());
    check(written, "buffering audio");
    encodeBufferedAudio(false);
  }

  private void openAudioEncoders(AVFrame samples) throws TranscodeException {
    closeAudioEncoders(); // what a failed open may have left
    audioRate = samples.sample_rate();
    audioChannels = samples.ch_layout().nb_channels();
    List<Integer> bitrates = new ArrayList<>();
    for (RungSize r : rungs) {
      if (!bitrates.contains(r.audioBitrate())) {
        bitrates.add(r.audioBitrate());
      }
    }
    AVCodec aac = avcodec_find_encoder(AV_CODEC_ID_AAC);
    List<AudioEncoder> opened = new ArrayList<>();
    try {
      for (int bitrate : bitrates) {
        AudioEncoder a = new AudioEncoder(bitrate);
        opened.add(a);
        AVCodecContext c = avcodec_alloc_context3(aac);
        a.encoder = c;
        c.sample_fmt(AV_SAMPLE_FMT_FLTP);
        c.sample_rate(audioRate);
        check(av_channel_layout_copy(c.ch_layout(), samples.ch_layout()), "copying channels");
        c.bit_rate(bitrate);
        c.time_base(av_make_q(1, audioRate));
        c.flags(c.flags() | AV_CODEC_FLAG_GLOBAL_HEADER);
        check(avcodec_open2(c, aac, (AVDictionary) null), "opening the AAC encoder");
        byte[] config = extradata(c);
        MediaPacket packet =
            new MediaPacket(Codec.AAC, 0, 0, MediaPacket.FLAG_CONFIG, config, 0, config.length);
        for (RungSize r : rungs) {
          if (r.audioBitrate() == bitrate) {
            output.packet(r, packet);
          }
        }
      }
      int frameSize = opened.get(0).encoder.frame_size();
      fifo = av_audio_fifo_alloc(AV_SAMPLE_FMT_FLTP, samples.ch_layout().nb_channels(), 4 * 1024);
      audioFrame = av_frame_alloc();
      audioFrame.nb_samples(frameSize);
      audioFrame.format(AV_SAMPLE_FMT_FLTP);
      audioFrame.sample_rate(audioRate);
      check(av_channel_layout_copy(audioFrame.ch_layout(), samples.ch_layout()), "copying");
      check(av_frame_get_buffer(audioFrame, 0), "allocating an audio frame");
    } catch (TranscodeException | RuntimeException e) {
      for (AudioEncoder a : opened) {
        a.free();
      }
      throw e;
    }
    audioEncoders = opened.toArray(AudioEncoder[]::new);
  }

  private void encodeBufferedAudio(boolean flush) throws TranscodeException {
    int frameSize = audioFrame.nb_samples();
    while (av_audio_fifo_size(fifo) >= frameSize || (flush && av_audio_fifo_size(fifo) > 0)) {
      check(av_frame_make_writable(audioFrame), "making an audio frame writable");
      int n = av_audio_fifo_read(fifo, audioFrame.extended_data(), frameSize);
      check(n, "reading buffered audio");
      if (n < frameSize) {
        break; // the encoder takes only whole frames but the last; the rest is under 21 ms
      }
      audioFrame.pts(nextAudioSample);
      nextAudioSample += n;
      for (AudioEncoder a : audioEncoders) {
        check(avcodec_send_frame(a.encoder, audioFrame), "encoding AAC");
        receiveAudio(a);
      }
    }
  }

  private void receiveAudio(AudioEncoder a) throws TranscodeException {
    while (true) {
      int ret = avcodec_receive_packet(a.encoder, audioPacket);
      if (ret == EAGAIN || ret == AVERROR_EOF) {
        return;
      }
      check(ret, "encoding AAC");
      try {
        byte[] frame = new byte[audioPacket.size()];
        audioPacket.data().get(frame);
        long pts = audioPacket.pts() * 1000 / audioRate;
        MediaPacket out =
            new MediaPacket(Codec.AAC, pts, 0, MediaPacket.FLAG_KEYFRAME, frame, 0, frame.length);
        for (RungSize r : rungs) {
          if (r.audioBitrate() == a.bitrate) {
            output.packet(r, out);
          }
        }
      } finally {
        av_packet_unref(audioPacket);
      }
    }
  }

  private void closeAudioEncoders() {
    if (audioEncoders != null) {
      for (AudioEncoder a : audioEncoders) {
        a.free();
      }
      audioEncoders = null;
    }
    if (audioFrame != null) {
      av_frame_free(audioFrame);
      audioFrame = null;
    }
    if (fifo != null) {
      av_audio_fifo_free(fifo);
      fifo = null;
    }
    nextAudioSample = Long.MIN_VALUE;
  }

  private void closeAudio() {
    closeAudioEncoders();
    if (audioDecoder != null) {
      avcodec_free_context(audioDecoder);
      audioDecoder = null;
    }
    nextAudioSample = Long.MIN_VALUE;
  }

  /** One AAC encoder, shared by the rungs of its bit rate. */
  private static final class AudioEncoder {
    final int bitrate;
    AVCodecContext encoder;

    AudioEncoder(int bitrate) {
      this.bitrate = bitrate;
    }

    void free() {
      if (encoder != null) {
        avcodec_free_context(encoder);
        encoder = null;
      }
    }
  }

  // --- decoding, shared

  private void decode(AVCodecContext decoder, MediaPacket source, boolean video)
      throws TranscodeException {
    int length = source.length();
    ensureInput(length);
    input.position(0).put(source.array(), source.offset(), length);
    packet.data(input);
    packet.size(length);
    packet.pts(source.pts());
    packet.dts(source.dts());
    packet.flags(source.isKeyframe() ? AV_PKT_FLAG_KEY : 0);
    int ret = avcodec_send_packet(decoder, packet);
    if (ret == EAGAIN) {
      receiveDecoded(decoder, video);
      ret = avcodec_send_packet(decoder, packet);
    }
    packet.data(null);
    packet.size(0);
    if (ret < 0 && ret != EAGAIN) {
      // a corrupt frame: the decoder conceals it or skips to the next keyframe by itself
      return;
    }
    receiveDecoded(decoder, video);
  }

  private void drainDecoder(AVCodecContext decoder, boolean video) throws TranscodeException {
    avcodec_send_packet(decoder, null);
    receiveDecoded(decoder, video);
  }

  private void receiveDecoded(AVCodecContext decoder, boolean video) throws TranscodeException {
    while (true) {
      int ret = avcodec_receive_frame(decoder, decoded);
      if (ret == EAGAIN || ret == AVERROR_EOF) {
        return;
      }
      if (ret < 0) {
        return; // a frame the decoder could not make; the next keyframe resynchronises it
      }
      try {
        if (video) {
          encodeVideo(decoded);
        } else {
          bufferAudio(decoded);
        }
      } finally {
        av_frame_unref(decoded);
      }
    }
  }

  private void ensureInput(int length) {
    long needed = (long) length + AV_INPUT_BUFFER_PADDING_SIZE;
    if (input != null && inputCapacity >= needed) {
      return;
    }
    if (input != null) {
      av_free(input);
    }
    inputCapacity = Math.max(needed, inputCapacity * 2);
    Pointer memory = av_mallocz(inputCapacity);
    if (memory == null || memory.isNull()) {
      throw new OutOfMemoryError("av_mallocz(" + inputCapacity + ")");
    }
    input = new BytePointer(memory).capacity(inputCapacity);
  }

  private static void setExtradata(AVCodecContext context, byte[] data) {
    Pointer memory = av_mallocz(data.length + AV_INPUT_BUFFER_PADDING_SIZE);
    BytePointer extradata = new BytePointer(memory).capacity(data.length);
    extradata.put(data);
    context.extradata(extradata);
    context.extradata_size(data.length);
  }

  private static byte[] extradata(AVCodecContext context) {
    int size = context.extradata_size();
    byte[] data = new byte[Math.max(0, size)];
    if (size > 0) {
      context.extradata().get(data);
    }
    return data;
  }

  private static void check(int ret, String what) throws TranscodeException {
    if (ret < 0) {
      throw failure(ret, what);
    }
  }

  private static TranscodeException failure(int ret, String what) {
    byte[] text = new byte[256];
    av_strerror(ret, text, text.length);
    int end = 0;
    while (end < text.length && text[end] != 0) {
      end++;
    }
    return new TranscodeException(
        what + ": " + new String(text, 0, end, StandardCharsets.UTF_8) + " (" + ret + ")");
  }
}

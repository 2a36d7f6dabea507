package com.nrsgirls.streaming.webrtc.audio;

import static org.bytedeco.ffmpeg.global.avcodec.AV_CODEC_FLAG_GLOBAL_HEADER;
import static org.bytedeco.ffmpeg.global.avcodec.AV_CODEC_ID_AAC;
import static org.bytedeco.ffmpeg.global.avcodec.AV_CODEC_ID_OPUS;
import static org.bytedeco.ffmpeg.global.avcodec.AV_INPUT_BUFFER_PADDING_SIZE;
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
import static org.bytedeco.ffmpeg.global.avutil.AVERROR_EAGAIN;
import static org.bytedeco.ffmpeg.global.avutil.AVERROR_EOF;
import static org.bytedeco.ffmpeg.global.avutil.AV_LOG_QUIET;
import static org.bytedeco.ffmpeg.global.avutil.AV_NOPTS_VALUE;
import static org.bytedeco.ffmpeg.global.avutil.AV_SAMPLE_FMT_FLT;
import static org.bytedeco.ffmpeg.global.avutil.AV_SAMPLE_FMT_FLTP;
import static org.bytedeco.ffmpeg.global.avutil.av_audio_fifo_alloc;
import static org.bytedeco.ffmpeg.global.avutil.av_audio_fifo_drain;
import static org.bytedeco.ffmpeg.global.avutil.av_audio_fifo_free;
import static org.bytedeco.ffmpeg.global.avutil.av_audio_fifo_read;
import static org.bytedeco.ffmpeg.global.avutil.av_audio_fifo_reset;
import static org.bytedeco.ffmpeg.global.avutil.av_audio_fifo_size;
import static org.bytedeco.ffmpeg.global.avutil.av_audio_fifo_write;
import static org.bytedeco.ffmpeg.global.avutil.av_channel_layout_default;
import static org.bytedeco.ffmpeg.global.avutil.av_frame_alloc;
import static org.bytedeco.ffmpeg.global.avutil.av_frame_free;
import static org.bytedeco.ffmpeg.global.avutil.av_frame_get_buffer;
import static org.bytedeco.ffmpeg.global.avutil.av_frame_make_writable;
import static org.bytedeco.ffmpeg.global.avutil.av_frame_unref;
import static org.bytedeco.ffmpeg.global.avutil.av_free;
import static org.bytedeco.ffmpeg.global.avutil.av_log_set_level;
import static org.bytedeco.ffmpeg.global.avutil.av_make_q;
import static org.bytedeco.ffmpeg.global.avutil.av_mallocz;
import static org.bytedeco.ffmpeg.global.swresample.swr_alloc;
import static org.bytedeco.ffmpeg.global.swresample.swr_close;
import static org.bytedeco.ffmpeg.global.swresample.swr_convert_frame;
import static org.bytedeco.ffmpeg.global.swresample.swr_free;

import java.io.IOException;
import java.util.List;
import org.bytedeco.ffmpeg.avcodec.AVCodec;
import org.bytedeco.ffmpeg.avcodec.AVCodecContext;
import org.bytedeco.ffmpeg.avcodec.AVPacket;
import org.bytedeco.ffmpeg.avutil.AVAudioFifo;
import org.bytedeco.ffmpeg.avutil.AVDictionary;
import org.bytedeco.ffmpeg.avutil.AVFrame;
import org.bytedeco.ffmpeg.swresample.SwrContext;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.Pointer;

/**
 * One stream's audio in the other codec WebRTC and the rest of the node disagree on, once per
 * stream: Opus (what WebRTC carries) to AAC (what HLS, restream and recording take) for a WHIP
 * publisher, AAC to Opus for WHEP viewers of an RTMP publisher. FFmpeg decodes, swresample brings
 * the samples to 48 kHz stereo in the encoder's format, a FIFO regroups them into the encoder's
 * frame size (AAC 1024, Opus 960 samples), and FFmpeg's AAC encoder or libopus encodes.
 *
 * <p>Time: each output frame's time follows the input's timeline (in milliseconds), restarted where
 * it jumps by more than 100 ms (packets lost, the publisher paused, a new session), and is given in
 * 48 kHz samples, exact for Opus's RTP clock. The encoder's priming is taken off, so the first
 * frame is stamped as the input it came from. Time never goes back: input that jumps back to a time
 * already encoded is dropped up to where the output is (a repeated timestamp breaks HLS and RTP
 * alike).
 *
 * <p>Native memory: everything is freed by {@link #close()}. Not thread-safe.
 */
public final class AudioTranscoder implements AutoCloseable {
  /** The output sample rate, for either codec; WebRTC's Opus clock. */
  public static final int RATE = 48_000;

  private static final int CHANNELS = 2;

  /** One encoded frame; {@code sample} is its time in 48 kHz samples. */
  public record Encoded(byte[] data, long sample) {
    public long millis() {
      return Math.floorDiv(sample * 1000, RATE);
    }
  }

  static {
    // FFmpeg would print to the process's stderr, without the stream it is about; failures come
    // back as return codes, which the transcoder's owner logs with the stream's id.
    av_log_set_level(AV_LOG_QUIET);
  }

  private final String name;
  private AVCodecContext decoder;
  private AVCodecContext encoder;
  private AVAudioFifo fifo;
  private SwrContext resampler;
  private final AVFrame decoded = av_frame_alloc();
  private final AVFrame converted = av_frame_alloc();
  private final AVFrame frame = av_frame_alloc();
  private final AVPacket packet = av_packet_alloc();
  private final AVPacket encoded = av_packet_alloc();
  private byte[] config = new byte[0];
  private int encoderFormat;
  private BytePointer input;
  private long inputCapacity;
  private long nextSample = Long.MIN_VALUE;
  private long skip;
  private boolean closed;

  private AudioTranscoder(String name) {
    this.name = name;
  }

  /**
   * Opus (48 kHz, stereo, as WebRTC signals it) to AAC-LC at {@code bitrate}.
   *
   * @throws IOException when this FFmpeg lacks a codec or one does not open
   */
  public static AudioTranscoder opusToAac(int bitrate) throws IOException {
    AudioTranscoder t = new AudioTranscoder("Opus to AAC");
    try {
      t.openDecoder(avcodec_find_decoder(AV_CODEC_ID_OPUS), null);
      t.openEncoder(avcodec_find_encoder(AV_CODEC_ID_AAC), AV_SAMPLE_FMT_FLTP, bitrate);
      return t;
    } catch (IOException | RuntimeException e) {
      t.close();
      throw e;
    }
  }

  /**
   * AAC (any rate and channel count its AudioSpecificConfig says) to Opus, 48 kHz stereo at {@code
   * bitrate}, in 20 ms frames (libopus).
   *
   * @throws IOException when this FFmpeg lacks a codec, or the config or a codec does not open
   */
  public static AudioTranscoder aacToOpus(byte[] audioSpecificConfig, int bitrate)
      throws IOException {
    AudioTranscoder t = new AudioTranscoder("AAC to Opus");
    try {
      t.openDecoder(avcodec_find_decoder(AV_CODEC_ID_AAC), audioSpecificConfig);
      t.openEncoder(avcodec_find_encoder_by_name("libopus"), AV_SAMPLE_FMT_FLT, bitrate);
      return t;
    } catch (IOException | RuntimeException e) {
      t.close();
      throw e;
    }
  }

  private void openDecoder(AVCodec codec, byte[] extradata) throws IOException {
    if (codec == null) {
      throw new IOException(name + ": this FFmpeg has no such decoder");
    }
    AVCodecContext d = avcodec_alloc_context3(codec);
    decoder = d;
    if (extradata == null) {
      d.sample_rate(RATE); // Opus: WebRTC's is always 48 kHz, stereo at most
      av_channel_layout_default(d.ch_layout(), CHANNELS);
    } else {
      Pointer memory = av_mallocz(extradata.length + AV_INPUT_BUFFER_PADDING_SIZE);
      if (memory == null || memory.isNull()) {
        throw new OutOfMemoryError("av_mallocz(" + extradata.length + ")");
      }
      BytePointer bytes = new BytePointer(memory).capacity(extradata.length);
      bytes.put(extradata);
      d.extradata(bytes); // freed with the context
      d.extradata_size(extradata.length);
    }
    d.pkt_timebase(av_make_q(1, 1000));
    int ret = avcodec_open2(d, codec, (AVDictionary) null);
    if (ret < 0) {
      throw new IOException(name + ": opening the decoder failed (" + ret + ")");
    }
  }

  private void openEncoder(AVCodec codec, int format, int bitrate) throws IOException {
    if (codec == null) {
      throw new IOException(name + ": this FFmpeg has no such encoder");
    }
    AVCodecContext e = avcodec_alloc_context3(codec);
    encoder = e;
    e.sample_fmt(format);
    e.sample_rate(RATE);
    av_channel_layout_default(e.ch_layout(), CHANNELS);
    e.bit_rate(bitrate);
    e.time_base(av_make_q(1, RATE));
    e.flags(e.flags() | AV_CODEC_FLAG_GLOBAL_HEADER);
    int ret = avcodec_open2(e, codec, (AVDictionary) null);
    if (ret < 0) {
      throw new IOException(name + ": opening the encoder failed (" + ret + ")");
    }
    encoderFormat = format;
    if (codec.id() == AV_CODEC_ID_AAC && e.extradata_size() > 0) {
      config = new byte[e.extradata_size()];
      e.extradata().get(config);
    }
    fifo = av_audio_fifo_alloc(format, CHANNELS, 8 * 1024);
    frame.nb_samples(e.frame_size());
    frame.format(format);
    frame.sample_rate(RATE);
    av_channel_layout_default(frame.ch_layout(), CHANNELS);
    if (fifo == null || av_frame_get_buffer(frame, 0) < 0) {
      throw new IOException(name + ": allocating audio buffers failed");
    }
    resampler = swr_alloc();
    if (resampler == null) {
      throw new IOException(name + ": allocating the resampler failed");
    }
  }

  /** The encoder's AudioSpecificConfig (AAC); empty for Opus, which needs none. */
  public byte[] config() {
    return config.clone();
  }

  /**
   * Decodes one input packet stamped {@code millis} and adds the frames it completes to {@code
   * out}. A packet the decoder refuses is skipped: the next one decodes on its own.
   *
   * @throws IOException when resampling or encoding fails (the transcoder is not to be used again)
   */
  public void accept(byte[] data, int off, int len, long millis, List<Encoded> out)
      throws IOException {
    if (closed) {
      return;
    }
    ensureInput(len);
    input.position(0).put(data, off, len);
    packet.data(input);
    packet.size(len);
    packet.pts(millis);
    packet.dts(millis);
    int ret = avcodec_send_packet(decoder, packet);
    packet.data(null);
    packet.size(0);
    if (ret < 0) {
      return;
    }
    while (avcodec_receive_frame(decoder, decoded) >= 0) {
      try {
        buffer(decoded, out);
      } finally {
        av_frame_unref(decoded);
      }
    }
  }

  private void buffer(AVFrame samples, List<Encoded> out) throws IOException {
    long pts = samples.best_effort_timestamp();
    if (pts == AV_NOPTS_VALUE) {
      return;
    }
    av_frame_unref(converted);
    converted.format(encoderFormat);
    converted.sample_rate(RATE);
    av_channel_layout_default(converted.ch_layout(), CHANNELS);
    int ret = swr_convert_frame(resampler, converted, samples);
    if (ret < 0) {
      // the input's format changed (a new AAC config): configure for it and try once more
      swr_close(resampler);
      av_frame_unref(converted);
      converted.format(encoderFormat);
      converted.sample_rate(RATE);
      av_channel_layout_default(converted.ch_layout(), CHANNELS);
      if (swr_convert_frame(resampler, converted, samples) < 0) {
        throw new IOException(name + ": resampling failed (" + ret + ")");
      }
    }
    try {
      long sample = Math.floorDiv(pts * RATE, 1000);
      long expected = nextSample + av_audio_fifo_size(fifo);
      if (nextSample == Long.MIN_VALUE || Math.abs(sample - expected) > RATE / 10) {
        long emitted = nextSample; // every sample before this is encoded already
        av_audio_fifo_reset(fifo);
        if (emitted != Long.MIN_VALUE && sample < emitted) {
          // the input went back in time: what it repeats is dropped, never stamped again
          skip = emitted - sample;
          nextSample = emitted;
        } else {
          skip = 0;
          nextSample = sample;
        }
      }
      if (converted.nb_samples() > 0
          && av_audio_fifo_write(fifo, converted.extended_data(), converted.nb_samples()) < 0) {
        throw new IOException(name + ": buffering decoded audio failed");
      }
      if (skip > 0) {
        int dropped = (int) Math.min(skip, av_audio_fifo_size(fifo));
        av_audio_fifo_drain(fifo, dropped);
        skip -= dropped;
      }
    } finally {
      av_frame_unref(converted);
    }
    int frameSize = frame.nb_samples();
    while (av_audio_fifo_size(fifo) >= frameSize) {
      if (av_frame_make_writable(frame) < 0
          || av_audio_fifo_read(fifo, frame.extended_data(), frameSize) < frameSize) {
        throw new IOException(name + ": reading buffered audio failed");
      }
      frame.pts(nextSample);
      nextSample += frameSize;
      if (avcodec_send_frame(encoder, frame) < 0) {
        throw new IOException(name + ": encoding failed");
      }
      receive(out);
    }
  }

  private void receive(List<Encoded> out) throws IOException {
    while (true) {
      int ret = avcodec_receive_packet(encoder, encoded);
      if (ret == AVERROR_EOF || ret == AVERROR_EAGAIN()) {
        return;
      }
      if (ret < 0) {
        throw new IOException(name + ": encoding failed (" + ret + ")");
      }
      try {
        byte[] bytes = new byte[encoded.size()];
        encoded.data().get(bytes);
        // the encoder stamps its output its priming early: from the input's time on instead
        out.add(new Encoded(bytes, encoded.pts() + encoder.initial_padding()));
      } finally {
        av_packet_unref(encoded);
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
    inputCapacity = Math.max(needed, Math.max(4096, inputCapacity * 2));
    Pointer memory = av_mallocz(inputCapacity);
    if (memory == null || memory.isNull()) {
      throw new OutOfMemoryError("av_mallocz(" + inputCapacity + ")");
    }
    input = new BytePointer(memory).capacity(inputCapacity);
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    if (decoder != null) {
      avcodec_free_context(decoder);
    }
    if (encoder != null) {
      avcodec_free_context(encoder);
    }
    if (fifo != null) {
      av_audio_fifo_free(fifo);
    }
    if (resampler != null) {
      swr_free(resampler);
    }
    if (input != null) {
      av_free(input);
      input = null;
    }
    av_frame_free(decoded);
    av_frame_free(converted);
    av_frame_free(frame);
    av_packet_free(packet);
    av_packet_free(encoded);
  }
}

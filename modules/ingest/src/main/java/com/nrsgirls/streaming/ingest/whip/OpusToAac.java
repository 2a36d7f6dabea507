package com.nrsgirls.streaming.ingest.whip;

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
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_free_context;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_open2;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_receive_frame;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_receive_packet;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_send_frame;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_send_packet;
import static org.bytedeco.ffmpeg.global.avutil.AVERROR_EAGAIN;
import static org.bytedeco.ffmpeg.global.avutil.AVERROR_EOF;
import static org.bytedeco.ffmpeg.global.avutil.AV_NOPTS_VALUE;
import static org.bytedeco.ffmpeg.global.avutil.AV_SAMPLE_FMT_FLTP;
import static org.bytedeco.ffmpeg.global.avutil.av_audio_fifo_alloc;
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
import static org.bytedeco.ffmpeg.global.avutil.av_make_q;
import static org.bytedeco.ffmpeg.global.avutil.av_mallocz;

import com.nrsgirls.streaming.core.media.Codec;
import com.nrsgirls.streaming.core.media.MediaPacket;
import java.io.IOException;
import java.util.List;
import org.bytedeco.ffmpeg.avcodec.AVCodec;
import org.bytedeco.ffmpeg.avcodec.AVCodecContext;
import org.bytedeco.ffmpeg.avcodec.AVPacket;
import org.bytedeco.ffmpeg.avutil.AVAudioFifo;
import org.bytedeco.ffmpeg.avutil.AVDictionary;
import org.bytedeco.ffmpeg.avutil.AVFrame;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.Pointer;

/**
 * A WHIP publisher's Opus audio as AAC, once per stream, for HLS, restream and recording (which all
 * take AAC): FFmpeg's Opus decoder (48 kHz, stereo as WebRTC signals it), a sample FIFO regrouping
 * its 20 ms frames into AAC's 1024 samples, FFmpeg's AAC encoder. The AudioSpecificConfig comes
 * first; each AAC frame's time follows the Opus timeline, restarted where it jumps (a gap of more
 * than 100 ms: packets lost or the publisher paused).
 *
 * <p>Native memory: everything is freed by {@link #close()}; not thread-safe (its session's lock).
 */
final class OpusToAac implements AutoCloseable {
  private static final int RATE = 48_000;
  private static final int CHANNELS = 2;

  private final AVCodecContext decoder;
  private final AVCodecContext encoder;
  private final AVAudioFifo fifo;
  private final AVFrame decoded = av_frame_alloc();
  private final AVFrame frame = av_frame_alloc();
  private final AVPacket packet = av_packet_alloc();
  private final AVPacket encoded = av_packet_alloc();
  private final byte[] config;
  private BytePointer input;
  private long inputCapacity;
  private long nextSample = Long.MIN_VALUE;
  private boolean configSent;
  private boolean closed;

  /**
   * @throws IOException when this FFmpeg build lacks the Opus decoder or the AAC encoder
   */
  OpusToAac(int bitrate) throws IOException {
    AVCodec opus = avcodec_find_decoder(AV_CODEC_ID_OPUS);
    AVCodec aac = avcodec_find_encoder(AV_CODEC_ID_AAC);
    if (opus == null || aac == null) {
      free();
      throw new IOException("this FFmpeg has no Opus decoder or no AAC encoder");
    }
    AVCodecContext d = avcodec_alloc_context3(opus);
    d.sample_rate(RATE);
    av_channel_layout_default(d.ch_layout(), CHANNELS);
    d.pkt_timebase(av_make_q(1, 1000));
    int ret = avcodec_open2(d, opus, (AVDictionary) null);
    if (ret < 0) {
      avcodec_free_context(d);
      free();
      throw new IOException("opening the Opus decoder: " + ret);
    }
    decoder = d;
    AVCodecContext e = avcodec_alloc_context3(aac);
    e.sample_fmt(AV_SAMPLE_FMT_FLTP);
    e.sample_rate(RATE);
    av_channel_layout_default(e.ch_layout(), CHANNELS);
    e.bit_rate(bitrate);
    e.time_base(av_make_q(1, RATE));
    e.flags(e.flags() | AV_CODEC_FLAG_GLOBAL_HEADER);
    ret = avcodec_open2(e, aac, (AVDictionary) null);
    if (ret < 0) {
      avcodec_free_context(e);
      encoder = null;
      fifo = null;
      config = null;
      close();
      throw new IOException("opening the AAC encoder: " + ret);
    }
    encoder = e;
    config = new byte[e.extradata_size()];
    e.extradata().get(config);
    fifo = av_audio_fifo_alloc(AV_SAMPLE_FMT_FLTP, CHANNELS, 8 * 1024);
    frame.nb_samples(e.frame_size());
    frame.format(AV_SAMPLE_FMT_FLTP);
    frame.sample_rate(RATE);
    av_channel_layout_default(frame.ch_layout(), CHANNELS);
    if (av_frame_get_buffer(frame, 0) < 0) {
      close();
      throw new IOException("allocating an audio frame");
    }
  }

  private void free() {
    // the constructor's early failures: nothing but the frames and packets are allocated
    av_frame_free(decoded);
    av_frame_free(frame);
    av_packet_free(packet);
    av_packet_free(encoded);
  }

  /** The AudioSpecificConfig as a config packet at {@code dts}; {@link #accept} sends none then. */
  MediaPacket configPacket(long dts) {
    configSent = true;
    return new MediaPacket(Codec.AAC, dts, 0, MediaPacket.FLAG_CONFIG, config, 0, config.length);
  }

  /**
   * Decodes one Opus packet and adds the AAC it completes to {@code out} (the config before the
   * first frame). A packet the decoder refuses is skipped: the next one decodes on its own.
   */
  void accept(MediaPacket opus, List<MediaPacket> out) throws IOException {
    if (closed) {
      return;
    }
    if (!configSent) {
      configSent = true;
      out.add(
          new MediaPacket(
              Codec.AAC, opus.dts(), 0, MediaPacket.FLAG_CONFIG, config, 0, config.length));
    }
    int length = opus.length();
    ensureInput(length);
    input.position(0).put(opus.array(), opus.offset(), length);
    packet.data(input);
    packet.size(length);
    packet.pts(opus.dts());
    packet.dts(opus.dts());
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

  private void buffer(AVFrame samples, List<MediaPacket> out) throws IOException {
    if (samples.format() != AV_SAMPLE_FMT_FLTP
        || samples.ch_layout().nb_channels() != CHANNELS
        || samples.sample_rate() != RATE) {
      return; // the decoder was opened for 48 kHz stereo float: it gives nothing else
    }
    long pts = samples.best_effort_timestamp();
    if (pts == AV_NOPTS_VALUE) {
      return;
    }
    long sample = pts * RATE / 1000;
    long expected = nextSample + av_audio_fifo_size(fifo);
    if (nextSample == Long.MIN_VALUE || Math.abs(sample - expected) > RATE / 10) {
      av_audio_fifo_reset(fifo);
      nextSample = sample;
    }
    if (av_audio_fifo_write(fifo, samples.extended_data(), samples.nb_samples()) < 0) {
      throw new IOException("buffering decoded Opus");
    }
    int frameSize = frame.nb_samples();
    while (av_audio_fifo_size(fifo) >= frameSize) {
      if (av_frame_make_writable(frame) < 0
          || av_audio_fifo_read(fifo, frame.extended_data(), frameSize) < frameSize) {
        throw new IOException("reading buffered audio");
      }
      frame.pts(nextSample);
      nextSample += frameSize;
      if (avcodec_send_frame(encoder, frame) < 0) {
        throw new IOException("encoding AAC");
      }
      receive(out);
    }
  }

  private void receive(List<MediaPacket> out) throws IOException {
    while (true) {
      int ret = avcodec_receive_packet(encoder, encoded);
      if (ret == AVERROR_EOF || ret == AVERROR_EAGAIN()) {
        return;
      }
      if (ret < 0) {
        throw new IOException("encoding AAC: " + ret);
      }
      try {
        byte[] aac = new byte[encoded.size()];
        encoded.data().get(aac);
        // the encoder stamps its first frame its priming (1024 samples) early: from the config's
        // time on instead, as the Opus it came from
        long millis = (encoded.pts() + encoder.initial_padding()) * 1000 / RATE;
        out.add(
            new MediaPacket(Codec.AAC, millis, 0, MediaPacket.FLAG_KEYFRAME, aac, 0, aac.length));
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
    if (input != null) {
      av_free(input);
      input = null;
    }
    free();
  }
}

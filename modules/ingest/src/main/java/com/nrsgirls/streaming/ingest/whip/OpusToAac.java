package com.nrsgirls.streaming.ingest.whip;

import com.nrsgirls.streaming.core.media.Codec;
import com.nrsgirls.streaming.core.media.MediaPacket;
import com.nrsgirls.streaming.webrtc.audio.AudioTranscoder;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * A WHIP publisher's Opus audio as AAC {@link MediaPacket}s, once per stream, for HLS, restream and
 * recording (which all take AAC): an {@link AudioTranscoder}, its AudioSpecificConfig first.
 *
 * <p>Native memory: everything is freed by {@link #close()}; not thread-safe (its session's lock).
 */
final class OpusToAac implements AutoCloseable {
  private final AudioTranscoder transcoder;
  private final byte[] config;
  private final List<AudioTranscoder.Encoded> encoded = new ArrayList<>();
  private boolean configSent;

  /**
   * @throws IOException when this FFmpeg build lacks the Opus decoder or the AAC encoder
   */
  OpusToAac(int bitrate) throws IOException {
    transcoder = AudioTranscoder.opusToAac(bitrate);
    config = transcoder.config();
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
    if (!configSent) {
      out.add(configPacket(opus.dts()));
    }
    encoded.clear();
    transcoder.accept(opus.array(), opus.offset(), opus.length(), opus.dts(), encoded);
    for (AudioTranscoder.Encoded e : encoded) {
      byte[] aac = e.data();
      out.add(
          new MediaPacket(Codec.AAC, e.millis(), 0, MediaPacket.FLAG_KEYFRAME, aac, 0, aac.length));
    }
    encoded.clear();
  }

  @Override
  public void close() {
    transcoder.close();
  }
}

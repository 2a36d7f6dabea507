package com.nrsgirls.streaming.pipeline.abr;

import com.nrsgirls.streaming.core.stream.LadderRung;
import com.typesafe.config.Config;
import java.util.ArrayList;
import java.util.List;

/**
 * The node's ABR defaults, read once from {@code nrs.streaming.pipeline.abr}: whether streams get a
 * ladder unless they say otherwise, the ladder, and how libx264 encodes it.
 *
 * @param enabled whether a stream gets the ladder when its own settings do not say
 * @param ladder the rungs, as {@link Ladder#plan} takes them
 * @param queuePackets packets the ladder may fall behind before it drops to the next keyframe
 */
public record AbrSettings(
    boolean enabled,
    List<LadderRung> ladder,
    LadderTranscoder.EncoderSettings encoder,
    int queuePackets) {

  public AbrSettings {
    ladder = List.copyOf(ladder);
  }

  /** Dispatcher (config path) that decodes and feeds the transcoders. */
  public static final String DECODE_DISPATCHER = "nrs.streaming.pipeline.abr.decode-dispatcher";

  /** Dispatcher (config path) that scales and encodes the rungs. */
  public static final String ENCODE_DISPATCHER = "nrs.streaming.pipeline.abr.encode-dispatcher";

  public static AbrSettings create(Config config) {
    Config c = config.getConfig("nrs.streaming.pipeline.abr");
    List<LadderRung> ladder = new ArrayList<>();
    for (Config r : c.getConfigList("ladder")) {
      ladder.add(
          new LadderRung(
              r.getString("name"),
              r.getInt("height"),
              r.getInt("video-kbps"),
              r.getInt("audio-kbps")));
    }
    return new AbrSettings(
        c.getBoolean("enabled"),
        ladder,
        new LadderTranscoder.EncoderSettings(
            c.getString("preset"),
            c.getString("tune"),
            c.getInt("encoder-threads"),
            c.getInt("decoder-threads"),
            c.getInt("fallback-fps")),
        c.getInt("queue-packets"));
  }
}

package com.nrsgirls.streaming.core.media;

/**
 * Codecs a {@link MediaPacket} may carry. RTMP ingest produces H.264 and AAC today; the others are
 * named so Enhanced RTMP (HEVC, AV1) and WebRTC (Opus) ingest can plug in without a model change.
 */
public enum Codec {
  H264(Track.VIDEO),
  HEVC(Track.VIDEO),
  AV1(Track.VIDEO),
  AAC(Track.AUDIO),
  MP3(Track.AUDIO),
  OPUS(Track.AUDIO);

  private final Track track;

  Codec(Track track) {
    this.track = track;
  }

  public Track track() {
    return track;
  }
}

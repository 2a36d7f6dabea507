package com.nrsgirls.streaming.pipeline.webrtc;

import com.nrsgirls.streaming.core.media.AvcDecoderConfig;
import com.nrsgirls.streaming.core.media.Codec;
import com.nrsgirls.streaming.core.media.MediaFormatException;
import com.nrsgirls.streaming.core.media.MediaPacket;
import com.nrsgirls.streaming.pipeline.graph.Branch;
import com.nrsgirls.streaming.pipeline.ts.AvccFrame;
import com.nrsgirls.streaming.webrtc.audio.AudioTranscoder;
import com.nrsgirls.streaming.webrtc.rtp.H264Packetizer;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.pekko.Done;
import org.apache.pekko.stream.javadsl.Sink;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A stream's WebRTC output on this node, kept across its publish sessions while it has viewers (and
 * a while after): the {@code webrtc} branch of each session's graph feeds it. Video is packetized
 * once for all viewers (RFC 6184, parameter sets before each keyframe), audio transcoded once from
 * AAC to Opus; every viewer then gets its own RTP headers and SRTP. It keeps the frames since the
 * last keyframe, for a new viewer to start from without waiting for the encoder's next one (an RTMP
 * encoder cannot be asked for one).
 *
 * <p>Time: a new session's timeline (which starts again near 0) is moved to go on where the last
 * one ended, after as long as really passed, so viewers see one stream across a publisher's
 * reconnect or a takeover.
 *
 * <p>Threads: a session's branch calls {@link #accept} from its own asynchronous island; viewers
 * join and leave from any thread (the list is copy-on-write). The lock orders a branch's packets
 * against another's (a session ending while the next starts) and against {@link #close}.
 */
final class WhepFeed {
  private static final Logger log = LoggerFactory.getLogger(WhepFeed.class);

  /** Why a viewer of a stream with B-frames is ended. */
  static final String B_FRAMES =
      "the stream's video has B-frames, which browsers cannot decode over WebRTC";

  private final String streamId;
  private final WhepSettings settings;
  private final H264Packetizer packetizer;
  private final List<WhepViewer> viewers = new CopyOnWriteArrayList<>();
  private final AvccFrame nals = new AvccFrame();
  private final List<VideoFrame> gop = new ArrayList<>();
  private final List<AudioTranscoder.Encoded> encoded = new ArrayList<>();
  private boolean gopTooLong;
  private AvcDecoderConfig avc;
  private byte[] aacConfig;
  private AudioTranscoder opus;
  private boolean audioFailed;
  private long lastMediaMs = Long.MIN_VALUE;
  private long lastMediaNanos;
  private long sinks;
  private long delivering;
  private String attachedSession;
  private long badFrames;
  private boolean closed;
  private long lastPts = Long.MIN_VALUE;
  private volatile boolean bFrames;
  private volatile int profileIdc;
  private volatile long lastPacketNanos = System.nanoTime();
  private volatile long emptySinceNanos = System.nanoTime();

  WhepFeed(String streamId, WhepSettings settings) {
    this.streamId = streamId;
    this.settings = settings;
    this.packetizer = new H264Packetizer(settings.maxPayload());
  }

  String streamId() {
    return streamId;
  }

  /** Whether the current session's video has B-frames (so cannot be played). */
  boolean hasBFrames() {
    return bFrames;
  }

  /** The source's H.264 profile_idc, 0 until its first config. */
  int profileIdc() {
    return profileIdc;
  }

  /**
   * The {@code webrtc} branch for the session {@code sessionId}; null if the feed has one in that
   * session already (a viewer's first attach and a session's start can both ask).
   */
  synchronized Branch branch(String sessionId) {
    if (closed || sessionId.equals(attachedSession)) {
      return null;
    }
    attachedSession = sessionId;
    Generation g = new Generation(++sinks);
    return new Branch(WhepHub.OUTPUT, () -> sink(g));
  }

  /**
   * The branch's sink in one session: a generation. Its packets are moved onto the feed's timeline
   * from its first one on (to go on where the last session left, after as long as really passed),
   * and an older generation's packets are dropped once a newer one delivers (a session ending while
   * the next has begun). A branch restarted after a failure keeps its session's generation.
   */
  private Sink<MediaPacket, CompletionStage<Done>> sink(Generation g) {
    return Sink.<MediaPacket>foreach(p -> accept(p, g)).async();
  }

  private static final class Generation {
    final long number;
    boolean started;
    long offsetMs;

    Generation(long number) {
      this.number = number;
    }
  }

  void add(WhepViewer viewer) {
    viewers.add(viewer);
  }

  void remove(WhepViewer viewer) {
    if (viewers.remove(viewer) && viewers.isEmpty()) {
      emptySinceNanos = System.nanoTime();
    }
  }

  List<WhepViewer> viewers() {
    return List.copyOf(viewers);
  }

  /**
   * Since when the feed has had no viewers ({@link System#nanoTime()}); meaningless while it has.
   */
  long emptySinceNanos() {
    return emptySinceNanos;
  }

  long lastPacketNanos() {
    return lastPacketNanos;
  }

  private synchronized void accept(MediaPacket p, Generation g) {
    if (closed || g.number < delivering) {
      return;
    }
    long now = System.nanoTime();
    lastPacketNanos = now;
    if (p.isConfig()) {
      config(p);
      return;
    }
    if (!g.started) {
      g.started = true;
      delivering = g.number;
      audioFailed = false; // a new session may bring audio that works
      bFrames = false; // and its encoder other settings
      lastPts = Long.MIN_VALUE;
      if (lastMediaMs != Long.MIN_VALUE) {
        long elapsedMs = Math.max(1, (now - lastMediaNanos) / 1_000_000);
        g.offsetMs = lastMediaMs + elapsedMs - p.dts();
      }
    }
    long t = p.dts() + g.offsetMs;
    if (t >= lastMediaMs) {
      lastMediaMs = t;
      lastMediaNanos = now;
    }
    if (p.codec() == Codec.H264) {
      video(p, g.offsetMs);
    } else if (p.codec() == Codec.AAC) {
      audio(p, g.offsetMs);
    }
  }

  private void config(MediaPacket p) {
    if (p.codec() == Codec.H264) {
      try {
        avc = AvcDecoderConfig.parse(p.array(), p.offset(), p.length());
        profileIdc = avc.profile();
      } catch (MediaFormatException e) {
        avc = null;
        log.warn("stream={} webrtc: unreadable H.264 config: {}", streamId, e.getMessage());
      }
    } else if (p.codec() == Codec.AAC) {
      byte[] config = p.payloadCopy();
      if (!Arrays.equals(config, aacConfig)) {
        aacConfig = config;
        closeAudio();
        audioFailed = false;
      }
    }
  }

  private void video(MediaPacket p, long offsetMs) {
    if (avc == null || bFrames) {
      return;
    }
    if (p.pts() < lastPts) {
      // presented before a frame decoded earlier: B-frames, which a browser's WebRTC decoder
      // refuses (it shows the keyframes only, asking for more all the time)
      bFrames = true;
      gop.clear();
      log.warn(
          "stream={} webrtc: the video has B-frames, which browsers cannot play over WebRTC;"
              + " its viewers are ended and new ones refused until a publisher sends none",
          streamId);
      endViewers(B_FRAMES);
      return;
    }
    lastPts = p.pts();
    List<byte[]> units = new ArrayList<>();
    try {
      nals.parse(p.array(), p.offset(), p.length(), avc.nalLengthSize());
    } catch (MediaFormatException e) {
      if (badFrames++ == 0) {
        log.warn(
            "stream={} webrtc: an unreadable H.264 frame dropped: {}", streamId, e.getMessage());
      }
      return;
    }
    boolean keyframe = nals.hasIdr(); // a viewer can start there, not at every I-frame
    if (keyframe && !nals.hasSps()) {
      units.addAll(avc.sps());
      units.addAll(avc.pps());
    }
    for (int i = 0; i < nals.count(); i++) {
      int at = nals.offset(i);
      if ((p.array()[at] & 0x1f) == AvccFrame.NAL_AUD) {
        continue; // WebRTC receivers need no access unit delimiters
      }
      units.add(Arrays.copyOfRange(p.array(), at, at + nals.length(i)));
    }
    VideoFrame frame = new VideoFrame(packetizer.packetize(units), p.pts() + offsetMs, keyframe);
    if (keyframe) {
      gop.clear();
      gopTooLong = false;
    }
    if (!gopTooLong) {
      if (gop.size() < settings.gopCacheFrames()) {
        gop.add(frame);
      } else {
        gopTooLong = true; // viewers joining in this GOP wait for the next keyframe
        gop.clear();
      }
    }
    for (WhepViewer v : viewers) {
      v.video(frame, gop);
    }
  }

  private void audio(MediaPacket p, long offsetMs) {
    if (viewers.isEmpty() || aacConfig == null || audioFailed) {
      return;
    }
    try {
      if (opus == null) {
        opus = AudioTranscoder.aacToOpus(aacConfig, settings.opusBitrate());
      }
      encoded.clear();
      opus.accept(p.array(), p.offset(), p.length(), p.dts() + offsetMs, encoded);
    } catch (IOException | RuntimeException | LinkageError e) {
      audioFailed = true;
      closeAudio();
      log.warn(
          "stream={} webrtc: its audio cannot become Opus, viewers get video only: {}",
          streamId,
          e.getMessage());
      return;
    }
    for (AudioTranscoder.Encoded e : encoded) {
      for (WhepViewer v : viewers) {
        v.audio(e.data(), e.sample());
      }
    }
    encoded.clear();
  }

  private void closeAudio() {
    if (opus != null) {
      opus.close();
      opus = null;
    }
  }

  /** Ends every viewer, with {@code reason}. */
  void endViewers(String reason) {
    for (WhepViewer v : viewers()) {
      v.end(reason);
    }
  }

  /** Frees the transcoder; packets arriving later are ignored. */
  synchronized void close() {
    closed = true;
    closeAudio();
    gop.clear();
  }
}

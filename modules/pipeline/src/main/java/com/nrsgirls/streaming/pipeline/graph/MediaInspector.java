package com.nrsgirls.streaming.pipeline.graph;

import com.nrsgirls.streaming.core.media.AacConfig;
import com.nrsgirls.streaming.core.media.AvcDecoderConfig;
import com.nrsgirls.streaming.core.media.Codec;
import com.nrsgirls.streaming.core.media.MediaFormatException;
import com.nrsgirls.streaming.core.media.MediaPacket;
import com.nrsgirls.streaming.core.stream.AudioInfo;
import com.nrsgirls.streaming.core.stream.HealthStats;
import com.nrsgirls.streaming.core.stream.OutputStatus;
import com.nrsgirls.streaming.core.stream.VideoInfo;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.apache.pekko.stream.Attributes;
import org.apache.pekko.stream.FlowShape;
import org.apache.pekko.stream.Inlet;
import org.apache.pekko.stream.Outlet;
import org.apache.pekko.stream.stage.AbstractInHandler;
import org.apache.pekko.stream.stage.AbstractOutHandler;
import org.apache.pekko.stream.stage.GraphStage;
import org.apache.pekko.stream.stage.GraphStageLogic;
import org.apache.pekko.stream.stage.TimerGraphStageLogic;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sits between ingest and the fan-out and watches the packets go by without touching them: it reads
 * each codec configuration record once (for the entity's media info and for branches that join
 * late), and counts bytes, frames and keyframe spacing into a {@link HealthStats} snapshot reported
 * at a coarse interval. Per packet it only adds to a few counters.
 */
final class MediaInspector extends GraphStage<FlowShape<MediaPacket, MediaPacket>> {
  private static final Logger log = LoggerFactory.getLogger(MediaInspector.class);
  private static final long MIN_ANNOUNCE_INTERVAL_NANOS = 5_000_000_000L;

  /** Bitrate and fps are averaged over this many of the latest reports. */
  static final int WINDOW_REPORTS = 5;

  /** What the inspector reports; called from the stream, so implementations must be thread-safe. */
  interface Listener {
    void mediaDetected(VideoInfo video, AudioInfo audio);

    void health(HealthStats stats);
  }

  /** The session's latest segment-to-playlist latency in milliseconds, -1 before any. */
  interface SegmentLatency {
    long millis();
  }

  private final Inlet<MediaPacket> in = Inlet.create("MediaInspector.in");
  private final Outlet<MediaPacket> out = Outlet.create("MediaInspector.out");
  private final FlowShape<MediaPacket, MediaPacket> shape = FlowShape.of(in, out);
  private final String logContext;
  private final Duration interval;
  private final long keyframeIntervalWarningMillis;
  private final Clock clock;
  private final Listener listener;
  private final Supplier<Map<String, AtomicLong>> branchDrops;
  private final Supplier<List<OutputStatus>> outputs;
  private final SegmentLatency segmentLatency;
  private final Consumer<Throwable> onUpstreamEnd;

  /**
   * @param branchDrops drop counters of the branches, read when a snapshot is taken
   * @param onUpstreamEnd told how ingest ended: null when it completed, else its failure
   */
  MediaInspector(
      String logContext,
      Duration interval,
      Duration keyframeIntervalWarning,
      Clock clock,
      Listener listener,
      Supplier<Map<String, AtomicLong>> branchDrops,
      Supplier<List<OutputStatus>> outputs,
      SegmentLatency segmentLatency,
      Consumer<Throwable> onUpstreamEnd) {
    this.logContext = logContext;
    this.interval = interval;
    this.keyframeIntervalWarningMillis = keyframeIntervalWarning.toMillis();
    this.clock = clock;
    this.listener = listener;
    this.branchDrops = branchDrops;
    this.outputs = outputs;
    this.segmentLatency = segmentLatency;
    this.onUpstreamEnd = onUpstreamEnd;
  }

  @Override
  public FlowShape<MediaPacket, MediaPacket> shape() {
    return shape;
  }

  @Override
  public GraphStageLogic createLogic(Attributes inheritedAttributes) {
    return new TimerGraphStageLogic(shape) {
      private VideoInfo video;
      private AudioInfo audio;
      private long bytesTotal;
      private long videoFrames;
      private long audioFrames;
      private long lastKeyframeDts = Long.MIN_VALUE;
      private long keyframeInterval;
      private long lastVideoDts = Long.MIN_VALUE;
      private long lastAudioDts = Long.MIN_VALUE;
      private long firstDts = Long.MIN_VALUE;
      private long firstNanos;
      private long intervalVideoBytes;
      private long intervalAudioBytes;
      private long intervalVideoFrames;
      private long intervalStartNanos;
      // the last WINDOW_REPORTS intervals, oldest overwritten first
      private final long[] windowVideoBytes = new long[WINDOW_REPORTS];
      private final long[] windowAudioBytes = new long[WINDOW_REPORTS];
      private final long[] windowVideoFrames = new long[WINDOW_REPORTS];
      private final long[] windowNanos = new long[WINDOW_REPORTS];
      private int reports;
      private long framesAtLastReport;
      private long lastProgressNanos;
      private boolean announcePending;
      private long lastAnnounceNanos = Long.MIN_VALUE;

      {
        setHandler(
            in,
            new AbstractInHandler() {
              @Override
              public void onPush() {
                MediaPacket p = grab(in);
                inspect(p);
                push(out, p);
              }

              @Override
              public void onUpstreamFinish() {
                onUpstreamEnd.accept(null);
                announceIfDue(true);
                report();
                completeStage();
              }

              @Override
              public void onUpstreamFailure(Throwable ex) {
                onUpstreamEnd.accept(ex);
                announceIfDue(true);
                report();
                failStage(ex);
              }
            });
        setHandler(
            out,
            new AbstractOutHandler() {
              @Override
              public void onPull() {
                pull(in);
              }
            });
      }

      @Override
      public void preStart() {
        intervalStartNanos = System.nanoTime();
        lastProgressNanos = intervalStartNanos;
        scheduleWithFixedDelay("health", interval, interval);
      }

      @Override
      public void onTimer(Object key) {
        announceIfDue(false);
        report();
      }

      private void inspect(MediaPacket p) {
        if (p.isConfig()) {
          onConfig(p);
          return;
        }
        bytesTotal += p.length();
        if (firstDts == Long.MIN_VALUE) {
          firstDts = p.dts();
          firstNanos = System.nanoTime();
        }
        if (p.isVideo()) {
          videoFrames++;
          intervalVideoFrames++;
          intervalVideoBytes += p.length();
          lastVideoDts = p.dts();
          if (p.isKeyframe()) {
            if (lastKeyframeDts != Long.MIN_VALUE) {
              keyframeInterval = p.dts() - lastKeyframeDts;
            }
            lastKeyframeDts = p.dts();
          }
        } else {
          audioFrames++;
          intervalAudioBytes += p.length();
          lastAudioDts = p.dts();
        }
      }

      private void onConfig(MediaPacket p) {
        try {
          if (p.codec() == Codec.H264) {
            AvcDecoderConfig c = AvcDecoderConfig.parse(p.array(), p.offset(), p.length());
            VideoInfo next = new VideoInfo("h264", c.codecsString(), c.width(), c.height());
            if (!next.equals(video)) {
              video = next;
              announcePending = true;
            }
          } else if (p.codec() == Codec.AAC) {
            AacConfig c = AacConfig.parse(p.array(), p.offset(), p.length());
            AudioInfo next = new AudioInfo("aac", c.codecsString(), c.sampleRate(), c.channels());
            if (!next.equals(audio)) {
              audio = next;
              announcePending = true;
            }
          }
        } catch (MediaFormatException e) {
          log.warn(
              "{} unreadable {} configuration record: {}", logContext, p.codec(), e.getMessage());
        }
      }

      /** Sends a pending media change if the minimum interval has passed, or if forced. */
      private void announceIfDue(boolean force) {
        long now = System.nanoTime();
        if (announcePending
            && (force
                || lastAnnounceNanos == Long.MIN_VALUE
                || now - lastAnnounceNanos >= MIN_ANNOUNCE_INTERVAL_NANOS)) {
          announcePending = false;
          lastAnnounceNanos = now;
          listener.mediaDetected(video, audio);
        }
      }

      private void report() {
        long now = System.nanoTime();
        int slot = reports++ % WINDOW_REPORTS;
        windowVideoBytes[slot] = intervalVideoBytes;
        windowAudioBytes[slot] = intervalAudioBytes;
        windowVideoFrames[slot] = intervalVideoFrames;
        windowNanos[slot] = now - intervalStartNanos;
        long videoBytes = 0;
        long audioBytes = 0;
        long frames = 0;
        long nanos = 0;
        for (int i = 0; i < Math.min(reports, WINDOW_REPORTS); i++) {
          videoBytes += windowVideoBytes[i];
          audioBytes += windowAudioBytes[i];
          frames += windowVideoFrames[i];
          nanos += windowNanos[i];
        }
        double seconds = Math.max(1e-3, nanos / 1e9);
        long framesNow = videoFrames + audioFrames;
        if (framesNow != framesAtLastReport) {
          framesAtLastReport = framesNow;
          lastProgressNanos = now;
        }
        long lastDts = Math.max(lastVideoDts, lastAudioDts);
        Map<String, Long> drops = new LinkedHashMap<>();
        Map<String, AtomicLong> counters = branchDrops.get();
        if (counters != null) {
          counters.forEach((name, count) -> drops.put(name, count.get()));
        }
        listener.health(
            new HealthStats(
                kbps(videoBytes + audioBytes, seconds),
                kbps(videoBytes, seconds),
                kbps(audioBytes, seconds),
                Math.round(frames / seconds * 100) / 100.0,
                keyframeInterval,
                lastVideoDts != Long.MIN_VALUE && lastAudioDts != Long.MIN_VALUE
                    ? lastVideoDts - lastAudioDts
                    : 0,
                (now - lastProgressNanos) / 1_000_000,
                firstDts == Long.MIN_VALUE
                    ? 0
                    : (now - firstNanos) / 1_000_000 - (lastDts - firstDts),
                segmentLatency.millis(),
                bytesTotal,
                videoFrames,
                audioFrames,
                drops,
                HealthStats.keyframeIntervalWarning(keyframeInterval, keyframeIntervalWarningMillis)
                    .map(List::of)
                    .orElse(List.of()),
                outputs.get(),
                clock.instant()));
        intervalVideoBytes = 0;
        intervalAudioBytes = 0;
        intervalVideoFrames = 0;
        intervalStartNanos = now;
      }

      private long kbps(long bytes, double seconds) {
        return Math.round(bytes * 8 / 1000.0 / seconds);
      }
    };
  }
}

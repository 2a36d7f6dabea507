package com.nrsgirls.streaming.pipeline.graph;

import com.nrsgirls.streaming.core.media.Codec;
import com.nrsgirls.streaming.core.media.MediaFormatException;
import com.nrsgirls.streaming.core.media.MediaPacket;
import com.nrsgirls.streaming.pipeline.hls.HlsPackager;
import com.nrsgirls.streaming.pipeline.hls.HlsSegmenter;
import com.nrsgirls.streaming.pipeline.hls.HlsSettings;
import com.nrsgirls.streaming.pipeline.hls.LowLatencyPlaylists;
import com.nrsgirls.streaming.pipeline.hls.LowLatencyRendition;
import com.nrsgirls.streaming.pipeline.hls.LowLatencySettings;
import com.nrsgirls.streaming.pipeline.hls.MasterPlaylist;
import com.nrsgirls.streaming.pipeline.hls.PublishedSegment;
import com.nrsgirls.streaming.pipeline.hls.QueuedSegmentStore;
import com.nrsgirls.streaming.pipeline.hls.RenditionInfo;
import com.nrsgirls.streaming.pipeline.hls.SegmentStore;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import org.apache.pekko.Done;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.Attributes;
import org.apache.pekko.stream.Inlet;
import org.apache.pekko.stream.SinkShape;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.stage.AbstractGraphStageWithMaterializedValue;
import org.apache.pekko.stream.stage.AbstractInHandler;
import org.apache.pekko.stream.stage.AsyncCallback;
import org.apache.pekko.stream.stage.GraphStageLogic;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HLS copy branch: the source rendition, muxed to MPEG-TS without decoding. It runs fused in
 * the session's graph (no thread hop per packet): the {@link HlsSegmenter} muxes on the stream's
 * thread, and every file operation goes through a {@link QueuedSegmentStore} that performs it, in
 * order, on the blocking-IO executor. Opening the segmenter (it reads the existing playlist) also
 * happens there. It keeps the stream's master playlist in step with what the rendition measures.
 *
 * <p>When the session ends, however it ends, the last segment is published, the playlist left live,
 * and the branch completes once every queued write is done: the entity decides later whether the
 * stream is over ({@code EXT-X-ENDLIST}) or a reconnecting publisher continues it. A malformed
 * frame is skipped and counted, and a failed store write costs one segment; neither ends the
 * branch.
 */
public final class HlsBranch
    extends AbstractGraphStageWithMaterializedValue<SinkShape<MediaPacket>, CompletionStage<Done>> {
  private static final Logger log = LoggerFactory.getLogger(HlsBranch.class);

  /** Master playlist BANDWIDTH is raised once a rendition's peak exceeds it by this factor. */
  private static final double BANDWIDTH_HEADROOM = 1.1;

  /** Bytes of writes a stuck disk may have queued per rendition before segments are dropped. */
  private static final long MAX_QUEUED_BYTES = 8L * 1024 * 1024;

  /** Hears about published segments, e.g. for metrics; called on the branch's thread. */
  public interface SegmentListener {
    SegmentListener NONE = (streamId, segment) -> {};

    void segmentPublished(String streamId, PublishedSegment segment);

    /**
     * What the branch repaired or left out since its last report (sent with each published segment
     * and when the branch ends, only when something changed): frames dropped (before a config or
     * keyframe, of an ignored codec, empty), frames whose timestamp stepped back and were moved,
     * segments split inside a GOP that was too long, malformed frames skipped, and segments lost to
     * a failed write.
     */
    default void repairs(String streamId, Repairs delta) {}
  }

  /** Counts of what an HLS branch repaired or lost; see {@link SegmentListener#repairs}. */
  public record Repairs(
      long droppedFrames,
      long timestampsMoved,
      long splitSegments,
      long malformedFrames,
      long failedWrites) {
    static final Repairs NONE = new Repairs(0, 0, 0, 0, 0);

    Repairs minus(Repairs o) {
      return new Repairs(
          droppedFrames - o.droppedFrames,
          timestampsMoved - o.timestampsMoved,
          splitSegments - o.splitSegments,
          malformedFrames - o.malformedFrames,
          failedWrites - o.failedWrites);
    }
  }

  private final Inlet<MediaPacket> in = Inlet.create("HlsBranch.in");
  private final SinkShape<MediaPacket> shape = SinkShape.of(in);
  private final SegmentStore store;
  private final Executor blocking;
  private final String streamId;
  private final String sessionId;
  private final String rendition;
  private final HlsSettings settings;
  private final Clock clock;
  private final SegmentListener segmentListener;
  private final HlsPackager packager;
  private final LowLatencySettings lowLatency;
  private final LowLatencyPlaylists lowLatencyPlaylists;

  private HlsBranch(
      SegmentStore store,
      Executor blocking,
      String streamId,
      String sessionId,
      String rendition,
      HlsSettings settings,
      Clock clock,
      SegmentListener segmentListener,
      HlsPackager packager,
      LowLatencySettings lowLatency,
      LowLatencyPlaylists lowLatencyPlaylists) {
    this.store = store;
    this.lowLatency = lowLatency;
    this.lowLatencyPlaylists = lowLatencyPlaylists;
    this.packager = packager;
    this.blocking = blocking;
    this.streamId = streamId;
    this.sessionId = sessionId;
    this.rendition = rendition;
    this.settings = settings;
    this.clock = clock;
    this.segmentListener = segmentListener;
  }

  /**
   * The branch of one session's source rendition, named {@code hls-source}.
   *
   * @param blocking where file operations run (Pekko's blocking-IO dispatcher)
   */
  public static Branch source(
      SegmentStore store,
      Executor blocking,
      String streamId,
      String sessionId,
      HlsSettings settings,
      Clock clock,
      SegmentListener segmentListener) {
    return new Branch(
        "hls-source",
        () ->
            Sink.fromGraph(
                new HlsBranch(
                    store,
                    blocking,
                    streamId,
                    sessionId,
                    "source",
                    settings,
                    clock,
                    segmentListener,
                    null,
                    LowLatencySettings.OFF,
                    null)));
  }

  /**
   * The HLS output of one rendition of a session, cutting where the session's {@link HlsPackager}'s
   * clock marked the packets and listed in its master playlist. Its materialized value completes
   * when the rendition has written everything it was given.
   *
   * <p>With {@code lowLatency} enabled it also writes the rendition's low-latency (CMAF) output
   * into {@code lowLatencyPlaylists}.
   *
   * @param blocking where file operations run (Pekko's blocking-IO dispatcher)
   */
  public static Sink<MediaPacket, CompletionStage<Done>> rendition(
      String rendition,
      HlsPackager packager,
      SegmentStore store,
      Executor blocking,
      String streamId,
      String sessionId,
      HlsSettings settings,
      Clock clock,
      SegmentListener segmentListener,
      LowLatencySettings lowLatency,
      LowLatencyPlaylists lowLatencyPlaylists) {
    return Sink.fromGraph(
        new HlsBranch(
            store,
            blocking,
            streamId,
            sessionId,
            rendition,
            settings,
            clock,
            segmentListener,
            Objects.requireNonNull(packager, "packager"),
            lowLatency,
            lowLatencyPlaylists));
  }

  @Override
  public SinkShape<MediaPacket> shape() {
    return shape;
  }

  @Override
  public Pair<GraphStageLogic, CompletionStage<Done>> createLogicAndMaterializedValuePair(
      Attributes inheritedAttributes) {
    CompletableFuture<Done> done = new CompletableFuture<>();
    Logic logic = new Logic(done);
    return Pair.create(logic, done);
  }

  private final class Logic extends GraphStageLogic {
    private final String context =
        "stream=" + streamId + " session=" + sessionId + " rendition=" + rendition;
    private final CompletableFuture<Done> done;
    private QueuedSegmentStore queued;
    private HlsSegmenter segmenter;
    private Repairs reported = Repairs.NONE;
    private RenditionInfo declared;
    private boolean segmentDone;
    private boolean ingestEnded;
    private long malformed;
    private long writeFailures;

    Logic(CompletableFuture<Done> done) {
      super(shape);
      this.done = done;
      setHandler(
          in,
          new AbstractInHandler() {
            @Override
            public void onPush() {
              accept(grab(in));
              pull(in);
            }

            @Override
            public void onUpstreamFinish() {
              endOfInput();
            }

            @Override
            public void onUpstreamFailure(Throwable ex) {
              // Ingest failed, not this branch: what was muxed so far is good.
              endOfInput();
            }
          });
    }

    @Override
    public void preStart() {
      setKeepGoing(true);
      AsyncCallback<IOException> writeFailed = createAsyncCallback(this::writeFailed);
      queued = new QueuedSegmentStore(store, blocking, MAX_QUEUED_BYTES, writeFailed::invoke);
      AsyncCallback<HlsSegmenter> opened = createAsyncCallback(this::opened);
      AsyncCallback<Throwable> openFailed = createAsyncCallback(this::openFailed);
      HlsSegmenter.Listener listener =
          new HlsSegmenter.Listener() {
            @Override
            public void segmentPublished(PublishedSegment segment) {
              segmentDone = true;
              if (packager != null) {
                packager.segmentListed(segment);
              }
              segmentListener.segmentPublished(streamId, segment);
            }

            @Override
            public void trackIgnored(Codec codec, String reason) {
              log.warn("{} {} track left out of HLS: {}", context, codec, reason);
            }

            @Override
            public void playlistReset(String reason) {
              log.warn("{} playlist could not be continued: {}", context, reason);
            }
          };
      CompletionStage<Long> base =
          packager == null ? CompletableFuture.completedFuture(-1L) : packager.sequenceBase();
      base.thenApplyAsync(
              sequenceBase -> {
                try {
                  return HlsSegmenter.open(
                      queued,
                      streamId,
                      rendition,
                      settings,
                      clock,
                      listener,
                      packager == null ? null : packager.clock(),
                      sequenceBase,
                      packager);
                } catch (IOException e) {
                  throw new UncheckedIOException(e);
                }
              },
              blocking)
          .whenComplete(
              (segmenter, err) -> {
                if (err != null) {
                  openFailed.invoke(err);
                } else {
                  opened.invoke(segmenter);
                }
              });
    }

    private void opened(HlsSegmenter s) {
      segmenter = s;
      if (lowLatency.enabled() && lowLatencyPlaylists != null) {
        QueuedSegmentStore q = queued;
        s.tap(
            new LowLatencyRendition(
                q,
                streamId,
                rendition,
                settings,
                lowLatency,
                lowLatencyPlaylists,
                clock,
                published -> q.drained().thenRun(published)));
      }
      if (ingestEnded) {
        finishSegmenter();
      } else {
        pull(in);
      }
    }

    private void openFailed(Throwable err) {
      done.completeExceptionally(err);
      failStage(err);
    }

    private void accept(MediaPacket packet) {
      try {
        segmenter.accept(packet);
      } catch (MediaFormatException e) {
        if (malformed++ % 100 == 0) {
          log.warn(
              "{} malformed {} skipped ({} so far): {}",
              context,
              packet.codec(),
              malformed,
              e.getMessage());
        }
      } catch (IOException e) {
        writeFailed(e);
      }
      if (segmentDone) {
        segmentDone = false;
        updateMaster();
        reportRepairs();
      }
    }

    /** Tells the listener what changed in the repair counts since the last report. */
    private void reportRepairs() {
      if (segmenter == null) {
        return;
      }
      Repairs now =
          new Repairs(
              segmenter.droppedPackets(),
              segmenter.timestampsMoved(),
              segmenter.splitSegments(),
              malformed,
              writeFailures);
      if (!now.equals(reported)) {
        segmentListener.repairs(streamId, now.minus(reported));
        reported = now;
      }
    }

    private void writeFailed(IOException e) {
      if (writeFailures++ % 10 == 0) {
        log.error(
            "{} segment write failed, segment dropped ({} so far): {}",
            context,
            writeFailures,
            e.toString());
      }
    }

    /** Rewrites the master playlist when what it declares no longer fits the rendition. */
    private void updateMaster() {
      RenditionInfo measured = segmenter.renditionInfo().orElse(null);
      if (measured == null) {
        return;
      }
      boolean stale =
          declared == null
              || measured.width() != declared.width()
              || measured.height() != declared.height()
              || !measured.codecs().equals(declared.codecs())
              || measured.bandwidth() > declared.bandwidth();
      if (!stale) {
        return;
      }
      RenditionInfo next =
          new RenditionInfo(
              measured.rendition(),
              Math.round(measured.bandwidth() * BANDWIDTH_HEADROOM),
              measured.averageBandwidth(),
              measured.width(),
              measured.height(),
              measured.codecs(),
              measured.frameRate());
      if (packager == null) {
        queued.writeMasterPlaylist(streamId, MasterPlaylist.render(List.of(next)));
      } else {
        packager.measured(next, queued.drained());
      }
      declared = next;
    }

    private void endOfInput() {
      ingestEnded = true;
      if (segmenter != null) {
        finishSegmenter();
      }
    }

    /** Publishes the last segment, then completes once the store has written everything. */
    private void finishSegmenter() {
      try {
        segmenter.finishLive();
        updateMaster();
        reportRepairs();
      } catch (IOException | RuntimeException e) {
        log.error("{} last segment could not be written: {}", context, e.toString());
        segmenter.abort();
      }
      AsyncCallback<Throwable> drained =
          createAsyncCallback(
              err -> {
                done.complete(Done.getInstance());
                completeStage();
              });
      queued.drained().whenComplete((ok, err) -> drained.invoke(err));
    }

    @Override
    public void postStop() {
      if (!done.isDone()) {
        if (segmenter != null) {
          segmenter.abort();
        }
        done.completeExceptionally(new IllegalStateException(context + " branch stopped"));
      }
    }
  }
}

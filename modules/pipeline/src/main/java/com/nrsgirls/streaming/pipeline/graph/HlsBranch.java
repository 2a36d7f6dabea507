package com.nrsgirls.streaming.pipeline.graph;

import com.nrsgirls.streaming.core.media.Codec;
import com.nrsgirls.streaming.core.media.MediaFormatException;
import com.nrsgirls.streaming.core.media.MediaPacket;
import com.nrsgirls.streaming.pipeline.hls.HlsSegmenter;
import com.nrsgirls.streaming.pipeline.hls.HlsSettings;
import com.nrsgirls.streaming.pipeline.hls.MasterPlaylist;
import com.nrsgirls.streaming.pipeline.hls.PublishedSegment;
import com.nrsgirls.streaming.pipeline.hls.RenditionInfo;
import com.nrsgirls.streaming.pipeline.hls.SegmentStore;
import java.io.IOException;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.ActorAttributes;
import org.apache.pekko.stream.Attributes;
import org.apache.pekko.stream.Inlet;
import org.apache.pekko.stream.SinkShape;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.stage.AbstractGraphStageWithMaterializedValue;
import org.apache.pekko.stream.stage.AbstractInHandler;
import org.apache.pekko.stream.stage.GraphStageLogic;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HLS copy branch: the source rendition, muxed to MPEG-TS without decoding. Wraps an {@link
 * HlsSegmenter} in a sink that runs on Pekko's blocking-IO dispatcher, since every segment and
 * playlist is a file write. It also keeps the stream's master playlist in step with what the
 * rendition measures.
 *
 * <p>When the session ends, however it ends, the last segment is published and the playlist left
 * live: the entity decides later whether the stream is over ({@code EXT-X-ENDLIST}) or a
 * reconnecting publisher continues it. A malformed frame is skipped and counted, and a failed store
 * write costs one segment; neither ends the branch.
 */
public final class HlsBranch
    extends AbstractGraphStageWithMaterializedValue<SinkShape<MediaPacket>, CompletionStage<Done>> {
  private static final Logger log = LoggerFactory.getLogger(HlsBranch.class);

  /** Master playlist BANDWIDTH is raised once a rendition's peak exceeds it by this factor. */
  private static final double BANDWIDTH_HEADROOM = 1.1;

  /** Hears about published segments, e.g. for metrics; called on the branch's thread. */
  public interface SegmentListener {
    SegmentListener NONE = (streamId, segment) -> {};

    void segmentPublished(String streamId, PublishedSegment segment);
  }

  private final Inlet<MediaPacket> in = Inlet.create("HlsBranch.in");
  private final SinkShape<MediaPacket> shape = SinkShape.of(in);
  private final SegmentStore store;
  private final String streamId;
  private final String sessionId;
  private final String rendition;
  private final HlsSettings settings;
  private final Clock clock;
  private final SegmentListener segmentListener;

  private HlsBranch(
      SegmentStore store,
      String streamId,
      String sessionId,
      String rendition,
      HlsSettings settings,
      Clock clock,
      SegmentListener segmentListener) {
    this.store = store;
    this.streamId = streamId;
    this.sessionId = sessionId;
    this.rendition = rendition;
    this.settings = settings;
    this.clock = clock;
    this.segmentListener = segmentListener;
  }

  /** The branch of one session's source rendition, named {@code hls-source}. */
  public static Branch source(
      SegmentStore store,
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
                        store, streamId, sessionId, "source", settings, clock, segmentListener))
                .withAttributes(
                    ActorAttributes.dispatcher(ActorAttributes.IODispatcher().dispatcher())));
  }

  @Override
  public SinkShape<MediaPacket> shape() {
    return shape;
  }

  @Override
  public Pair<GraphStageLogic, CompletionStage<Done>> createLogicAndMaterializedValuePair(
      Attributes inheritedAttributes) {
    CompletableFuture<Done> done = new CompletableFuture<>();
    String context = "stream=" + streamId + " session=" + sessionId + " rendition=" + rendition;
    GraphStageLogic logic =
        new GraphStageLogic(shape) {
          private HlsSegmenter segmenter;
          private RenditionInfo declared;
          private boolean segmentDone;
          private long malformed;
          private long writeFailures;

          {
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
                    finish();
                    completeStage();
                  }

                  @Override
                  public void onUpstreamFailure(Throwable ex) {
                    // Ingest failed, not this branch: what was muxed so far is good.
                    finish();
                    completeStage();
                  }
                });
          }

          @Override
          public void preStart() {
            try {
              segmenter =
                  HlsSegmenter.open(
                      store,
                      streamId,
                      rendition,
                      settings,
                      clock,
                      new HlsSegmenter.Listener() {
                        @Override
                        public void segmentPublished(PublishedSegment segment) {
                          segmentDone = true;
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
                      });
            } catch (IOException | RuntimeException e) {
              done.completeExceptionally(e);
              failStage(e);
              return;
            }
            pull(in);
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
              if (writeFailures++ % 10 == 0) {
                log.error(
                    "{} segment write failed, segment dropped ({} so far): {}",
                    context,
                    writeFailures,
                    e.toString());
              }
            }
            if (segmentDone) {
              segmentDone = false;
              updateMaster();
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
                    || measured.bandwidth() > declared.bandwidth() * BANDWIDTH_HEADROOM;
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
            try {
              store.writeMasterPlaylist(streamId, MasterPlaylist.render(List.of(next)));
              declared = next;
            } catch (IOException e) {
              log.error("{} master playlist write failed: {}", context, e.toString());
            }
          }

          private void finish() {
            try {
              segmenter.finishLive();
              updateMaster();
            } catch (IOException | RuntimeException e) {
              log.error("{} last segment could not be written: {}", context, e.toString());
              segmenter.abort();
            }
            done.complete(Done.getInstance());
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
        };
    return Pair.create(logic, done);
  }
}

package com.nrsgirls.streaming.pipeline.restream;

import com.nrsgirls.streaming.core.media.MediaFormatException;
import com.nrsgirls.streaming.core.media.MediaPacket;
import com.nrsgirls.streaming.rtmp.RtmpProtocolException;
import com.nrsgirls.streaming.rtmp.RtmpPublishSession;
import com.nrsgirls.streaming.rtmp.RtmpUrl;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.Done;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.Attributes;
import org.apache.pekko.stream.FanInShape2;
import org.apache.pekko.stream.Inlet;
import org.apache.pekko.stream.Outlet;
import org.apache.pekko.stream.stage.AbstractGraphStageWithMaterializedValue;
import org.apache.pekko.stream.stage.AbstractInHandler;
import org.apache.pekko.stream.stage.AbstractOutHandler;
import org.apache.pekko.stream.stage.GraphStageLogic;
import org.apache.pekko.stream.stage.TimerGraphStageLogic;
import org.apache.pekko.util.ByteString;

/**
 * One push to a restream target, as a stage between the stream's packets and a TCP (or TLS)
 * connection: {@code media} in, the server's bytes in, our bytes out. It drives a {@link
 * RtmpPublishSession}: handshake and publish first, taking no media until the server has accepted
 * the publish, so a target that is slow to answer holds packets in the branch's queue (which drops
 * to the next keyframe), never in ingest. The push starts at a video keyframe, preceded by the
 * latest codec configurations and {@code onMetaData}, with timestamps from 0; it takes the next
 * packet only when the connection has taken every byte of the one before (backpressure from the
 * socket).
 *
 * <p>Fails (so the fan-out reconnects it with backoff) when the connection fails or closes, the
 * server refuses us or breaks the protocol, or the publish is not accepted in time. Completes after
 * {@code FCUnpublish} and {@code deleteStream} when the media ends. Its materialized value
 * completes with the stage.
 */
final class RtmpPushStage
    extends AbstractGraphStageWithMaterializedValue<
        FanInShape2<MediaPacket, ByteString, ByteString>, CompletionStage<Done>> {

  /** How long the server may take to close its side after ours. */
  private static final Duration CLOSE_GRACE = Duration.ofSeconds(5);

  private final RtmpUrl url;
  private final String streamKey;
  private final RestreamSettings settings;
  private final AtomicLong bytesSent;
  private final FanInShape2<MediaPacket, ByteString, ByteString> shape =
      new FanInShape2<>("RtmpPush");

  /**
   * @param bytesSent counts every byte handed to the connection
   */
  RtmpPushStage(RtmpUrl url, String streamKey, RestreamSettings settings, AtomicLong bytesSent) {
    this.url = url;
    this.streamKey = streamKey;
    this.settings = settings;
    this.bytesSent = bytesSent;
  }

  @Override
  public FanInShape2<MediaPacket, ByteString, ByteString> shape() {
    return shape;
  }

  @Override
  public Pair<GraphStageLogic, CompletionStage<Done>> createLogicAndMaterializedValuePair(
      Attributes attributes) {
    CompletableFuture<Done> done = new CompletableFuture<>();
    return Pair.create(new Logic(done), done);
  }

  private final class Logic extends TimerGraphStageLogic {
    private final Inlet<MediaPacket> media = shape.in0();
    private final Inlet<ByteString> fromServer = shape.in1();
    private final Outlet<ByteString> toServer = shape.out();
    private final CompletableFuture<Done> done;
    private final RtmpPublishSession session;
    private MediaPacket videoConfig;
    private MediaPacket audioConfig;
    private boolean started; // publishing, metadata sent
    private boolean sawKeyframe;
    private long base;
    private boolean mediaEnded;

    Logic(CompletableFuture<Done> done) {
      super(shape);
      this.done = done;
      this.session =
          new RtmpPublishSession(
              url,
              streamKey,
              settings.chunkSize(),
              settings.maxMessageLength(),
              new SecureRandom());
      setHandler(
          media,
          new AbstractInHandler() {
            @Override
            public void onPush() {
              onMedia(grab(media));
            }

            @Override
            public void onUpstreamFinish() {
              mediaEnded = true;
              session.close();
              flush();
            }
          });
      setHandler(
          fromServer,
          new AbstractInHandler() {
            @Override
            public void onPush() {
              ByteString bytes = grab(fromServer);
              try {
                session.process(bytes.asByteBuffer());
              } catch (RtmpProtocolException e) {
                fail(new RestreamException(e.getMessage()));
                return;
              }
              if (!started && session.isPublishing()) {
                started = true;
                cancelTimer("publish");
              }
              flush();
              if (!isClosed(fromServer)) {
                pull(fromServer);
              }
            }

            @Override
            public void onUpstreamFinish() {
              if (!mediaEnded) {
                fail(new RestreamException("the server closed the connection"));
              } else {
                completeStage();
              }
            }

            @Override
            public void onUpstreamFailure(Throwable ex) {
              fail(new RestreamException(connectionFailure(ex), ex));
            }
          });
      setHandler(
          toServer,
          new AbstractOutHandler() {
            @Override
            public void onPull() {
              flush();
            }

            @Override
            public void onDownstreamFinish(Throwable cause) {
              fail(new RestreamException("the connection closed: " + connectionFailure(cause)));
            }
          });
    }

    @Override
    public void preStart() {
      pull(fromServer);
      Duration deadline = settings.connectTimeout().plus(settings.publishTimeout());
      scheduleOnce("publish", deadline);
    }

    @Override
    public void onTimer(Object key) {
      if ("close".equals(key)) {
        completeStage();
      } else if (!started) {
        fail(
            new RestreamException(
                "the server did not accept the publish within "
                    + settings.connectTimeout().plus(settings.publishTimeout()).toSeconds()
                    + " s (in "
                    + session.state()
                    + ")"));
      }
    }

    @Override
    public void postStop() {
      done.complete(Done.getInstance()); // no-op when it already failed
    }

    private void fail(Throwable e) {
      done.completeExceptionally(e);
      failStage(e);
    }

    private void onMedia(MediaPacket p) {
      try {
        if (p.isConfig()) {
          if (p.isVideo()) {
            videoConfig = p;
          } else {
            audioConfig = p;
          }
          if (sawKeyframe) {
            session.sendMedia(p, timestamp(p));
          }
        } else if (sawKeyframe) {
          session.sendMedia(p, timestamp(p));
        } else if (p.isVideo() && p.isKeyframe() && videoConfig != null) {
          sawKeyframe = true;
          base = p.dts();
          session.sendMetadata(metadata());
          session.sendMedia(videoConfig, 0);
          if (audioConfig != null) {
            session.sendMedia(audioConfig, 0);
          }
          session.sendMedia(p, 0);
        }
        // anything before the first keyframe would not decode: skipped
      } catch (MediaFormatException e) {
        fail(new RestreamException(e.getMessage()));
        return;
      }
      flush();
    }

    private long timestamp(MediaPacket p) {
      return Math.max(0, p.dts() - base);
    }

    private Map<String, Object> metadata() {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("encoder", "NRS Streaming");
      m.put("videocodecid", 7.0);
      if (audioConfig != null) {
        m.put("audiocodecid", 10.0);
      }
      return m;
    }

    /** Hands what the session queued to the connection; takes more media once all is out. */
    private void flush() {
      if (isAvailable(toServer) && session.hasOutput()) {
        ByteString out = ByteString.emptyByteString();
        byte[] b;
        // one push per demand: the messages queued so far, as a rope of their arrays (no copy)
        while ((b = session.takeOutput()) != null) {
          out = out.concat(ByteString.fromArrayUnsafe(b));
        }
        bytesSent.addAndGet(out.size());
        push(toServer, out);
      }
      if (session.hasOutput()) {
        return;
      }
      if (mediaEnded) {
        if (!isClosed(toServer)) {
          // half-close: the server reads the end after our last byte and closes its side, which
          // ends the stage; one that does not gets a few seconds
          complete(toServer);
          scheduleOnce("close", CLOSE_GRACE);
        }
        return;
      }
      if (started && !hasBeenPulled(media) && !isClosed(media)) {
        pull(media);
      }
    }
  }

  /** What a connection failure says, without the stack and wrapper noise. */
  static String connectionFailure(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
    }
    String m = t.getMessage();
    return m != null ? m : t.getClass().getSimpleName();
  }
}

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
import java.util.concurrent.atomic.AtomicReference;
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
 * latest codec configurations and {@code onMetaData}, with timestamps from 0. Messages are written
 * in batches every 40 ms; once about a second of media waits for the socket the stage takes no more
 * (backpressure from the socket into the branch's queue).
 *
 * <p>The connection outlives publish sessions ({@link TargetPush}): each packet says which session
 * it came from, and a new session's packets are stitched on at its first keyframe, a frame after
 * the last timestamp sent, after its own codec configurations; the server sees one broadcast with
 * rising timestamps across a publisher's reconnect or a takeover.
 *
 * <p>Fails (so the fan-out reconnects it with backoff) when the connection fails or closes, the
 * server refuses us or breaks the protocol, or the publish is not accepted in time. Completes after
 * {@code FCUnpublish} and {@code deleteStream} when the media ends. Its materialized value
 * completes with the stage.
 */
final class RtmpPushStage
    extends AbstractGraphStageWithMaterializedValue<
        FanInShape2<SessionPacket, ByteString, ByteString>, CompletionStage<Done>> {

  /** A video frame's length when none was seen yet (30 fps), in milliseconds. */
  private static final long DEFAULT_FRAME_MILLIS = 33;

  /** How often gathered messages are written while publishing (what they wait at most). */
  private static final Duration WRITE_INTERVAL = Duration.ofMillis(40);

  /** Queued bytes that are written at once, without waiting for the interval. */
  private static final long WRITE_BYTES = 64 * 1024;

  /** Queued bytes beyond which no more media is taken until the socket took some. */
  private static final long MAX_PENDING_BYTES = 1024 * 1024;

  /** How long the server may take to close its side after ours. */
  private static final Duration CLOSE_GRACE = Duration.ofSeconds(5);

  private final RtmpUrl url;
  private final String streamKey;
  private final RestreamSettings settings;
  private final AtomicLong bytesSent;
  private final CompletableFuture<Done> publishing;
  private final AtomicReference<Throwable> failure;
  private final FanInShape2<SessionPacket, ByteString, ByteString> shape =
      new FanInShape2<>("RtmpPush");

  /**
   * @param bytesSent counts every byte handed to the connection
   * @param publishing completed once the server accepted the publish; failed if the push ends
   *     before
   * @param failure set to why the push failed, before it fails
   */
  RtmpPushStage(
      RtmpUrl url,
      String streamKey,
      RestreamSettings settings,
      AtomicLong bytesSent,
      CompletableFuture<Done> publishing,
      AtomicReference<Throwable> failure) {
    this.url = url;
    this.streamKey = streamKey;
    this.settings = settings;
    this.bytesSent = bytesSent;
    this.publishing = publishing;
    this.failure = failure;
  }

  @Override
  public FanInShape2<SessionPacket, ByteString, ByteString> shape() {
    return shape;
  }

  @Override
  public Pair<GraphStageLogic, CompletionStage<Done>> createLogicAndMaterializedValuePair(
      Attributes attributes) {
    CompletableFuture<Done> done = new CompletableFuture<>();
    return Pair.create(new Logic(done), done);
  }

  private final class Logic extends TimerGraphStageLogic {
    private final Inlet<SessionPacket> media = shape.in0();
    private final Inlet<ByteString> fromServer = shape.in1();
    private final Outlet<ByteString> toServer = shape.out();
    private final CompletableFuture<Done> done;
    private final RtmpPublishSession rtmp;
    private MediaPacket videoConfig;
    private MediaPacket audioConfig;
    private boolean started; // publishing
    private String session; // whose packets are being sent
    private boolean sawKeyframe; // of the current session
    private boolean sentAny;
    private long offset; // added to the current session's DTS
    private long sessionStart; // the timestamp of the current session's first keyframe
    private long lastTimestamp;
    private long lastVideoTimestamp = -1;
    private long lastPresentation; // the latest presentation time of a picture sent
    private long frameMillis = DEFAULT_FRAME_MILLIS; // the last video frame's length
    private boolean mediaEnded;

    Logic(CompletableFuture<Done> done) {
      super(shape);
      this.done = done;
      this.rtmp =
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
              rtmp.close();
              flush(false);
            }
          });
      setHandler(
          fromServer,
          new AbstractInHandler() {
            @Override
            public void onPush() {
              ByteString bytes = grab(fromServer);
              try {
                rtmp.process(bytes.asByteBuffer());
              } catch (RtmpProtocolException e) {
                fail(new RestreamException(e.getMessage()));
                return;
              }
              if (!started && rtmp.isPublishing()) {
                started = true;
                cancelTimer("publish");
                scheduleWithFixedDelay("write", WRITE_INTERVAL, WRITE_INTERVAL);
                publishing.complete(Done.getInstance());
              }
              flush(false);
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
              flush(false);
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
      if ("write".equals(key)) {
        flush(true);
      } else if ("close".equals(key)) {
        completeStage();
      } else if (!started) {
        fail(
            new RestreamException(
                "the server did not accept the publish within "
                    + settings.connectTimeout().plus(settings.publishTimeout()).toSeconds()
                    + " s (in "
                    + rtmp.state()
                    + ")"));
      }
    }

    @Override
    public void postStop() {
      done.complete(Done.getInstance()); // no-op when it already failed
      publishing.completeExceptionally(new RestreamException("the push ended before publishing"));
    }

    private void fail(Throwable e) {
      failure.compareAndSet(null, e);
      publishing.completeExceptionally(e);
      done.completeExceptionally(e);
      failStage(e);
    }

    private void onMedia(SessionPacket sp) {
      MediaPacket p = sp.packet();
      if (!sp.sessionId().equals(session)) {
        // a new publish session: its timeline starts over; stitch it on at its first keyframe
        session = sp.sessionId();
        sawKeyframe = false;
        videoConfig = null;
        audioConfig = null;
      }
      try {
        if (p.isConfig()) {
          if (p.isVideo()) {
            videoConfig = p;
          } else {
            audioConfig = p;
          }
          if (sawKeyframe) {
            send(p);
          }
        } else if (sawKeyframe) {
          send(p);
        } else if (p.isVideo() && p.isKeyframe() && videoConfig != null) {
          sawKeyframe = true;
          // the first session starts at 0, a later one a frame (and a millisecond, so no
          // rounding to the frame rate puts two frames on one instant) after what was sent last
          // and its first picture shows a frame after the last one shown (B-frames put a
          // picture's presentation after its decoding)
          long start =
              sentAny
                  ? Math.max(
                      lastTimestamp + frameMillis + 1,
                      lastPresentation + frameMillis + 1 - p.compositionOffset())
                  : 0;
          offset = start - p.dts();
          sessionStart = start;
          if (!sentAny) {
            rtmp.sendMetadata(metadata());
          }
          send(videoConfig);
          if (audioConfig != null) {
            send(audioConfig);
          }
          send(p);
        }
        // anything before the session's first keyframe would not decode: skipped
      } catch (MediaFormatException e) {
        fail(new RestreamException(e.getMessage()));
        return;
      }
      flush(false);
    }

    private void send(MediaPacket p) throws MediaFormatException {
      // audio a little before the session's first keyframe goes out with it: never back in time
      long ts = Math.max(sessionStart, p.dts() + offset);
      if (p.isConfig()) {
        ts = Math.max(ts, lastTimestamp);
      }
      rtmp.sendMedia(p, ts);
      if (p.isVideo() && !p.isConfig()) {
        if (lastVideoTimestamp >= 0 && ts > lastVideoTimestamp) {
          frameMillis = Math.min(ts - lastVideoTimestamp, 1000);
        }
        lastVideoTimestamp = ts;
        lastPresentation = Math.max(lastPresentation, ts + p.compositionOffset());
      }
      lastTimestamp = Math.max(lastTimestamp, ts);
      sentAny = true;
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

    /**
     * Hands what the session queued to the connection and takes more media. While publishing,
     * messages are gathered and written together every {@link #WRITE_INTERVAL} (or once {@link
     * #WRITE_BYTES} are queued): a write to the socket costs more than the bytes it carries.
     *
     * @param now write whatever is queued, however little
     */
    private void flush(boolean now) {
      boolean batching = started && !mediaEnded && !now;
      if (isAvailable(toServer)
          && rtmp.hasOutput()
          && (!batching || rtmp.pendingBytes() >= WRITE_BYTES)) {
        ByteString out = ByteString.emptyByteString();
        byte[] b;
        // the messages queued so far, as a rope of their arrays (no copy)
        while ((b = rtmp.takeOutput()) != null) {
          out = out.concat(ByteString.fromArrayUnsafe(b));
        }
        bytesSent.addAndGet(out.size());
        push(toServer, out);
      }
      if (mediaEnded) {
        if (!rtmp.hasOutput() && !isClosed(toServer)) {
          // half-close: the server reads the end after our last byte and closes its side, which
          // ends the stage; one that does not gets a few seconds
          complete(toServer);
          scheduleOnce("close", CLOSE_GRACE);
        }
        return;
      }
      // backpressure: no more media while a second or so of it waits for the socket
      if (started
          && rtmp.pendingBytes() < MAX_PENDING_BYTES
          && !hasBeenPulled(media)
          && !isClosed(media)) {
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

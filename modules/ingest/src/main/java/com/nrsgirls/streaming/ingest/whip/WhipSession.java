package com.nrsgirls.streaming.ingest.whip;

import com.nrsgirls.streaming.core.media.Codec;
import com.nrsgirls.streaming.core.media.MediaPacket;
import com.nrsgirls.streaming.webrtc.dtls.DtlsCertificate;
import com.nrsgirls.streaming.webrtc.ingest.WhipReceiver;
import com.nrsgirls.streaming.webrtc.rtp.RtpPacket;
import com.nrsgirls.streaming.webrtc.sdp.WhipAnswer;
import com.nrsgirls.streaming.webrtc.transport.IceCredentials;
import com.nrsgirls.streaming.webrtc.transport.PeerTransport;
import com.nrsgirls.streaming.webrtc.transport.UdpPort;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.function.Consumer;
import org.apache.pekko.stream.BoundedSourceQueue;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.QueueOfferResult;
import org.apache.pekko.stream.SinkRef;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.Source;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One WHIP publisher: its {@link PeerTransport} (ICE-lite, DTLS, SRTP), its {@link WhipReceiver}
 * (jitter buffer, access units, PLI and NACK), and the bounded queue its media waits in for the
 * stream's graph (the {@code SinkRef} the stream answered the publish with).
 *
 * <p>It ends, once, for one of: the publisher's DELETE (a normal end), the stream closing its input
 * (stopped or taken over), DTLS failing or not done within the handshake timeout, nothing heard for
 * the media timeout, or the queue overflowing. The last three fail the stream's input, as a lost
 * RTMP connection does, so the stream keeps its reconnect grace.
 *
 * <p>Opus audio becomes AAC here ({@link OpusToAac}), once per stream, as the graph (HLS, restream,
 * recording) takes AAC. Should FFmpeg lack the codecs, or the encoder fail, the stream goes on
 * without audio and the log says so.
 */
final class WhipSession implements PeerTransport.Listener {
  private static final Logger log = LoggerFactory.getLogger(WhipSession.class);
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final int AAC_BITRATE = 128_000;

  /**
   * Opus packets held for the next tick at most: a second of 20 ms packets. More (a publisher
   * sending faster than real time) are dropped, so one session's audio work per tick is bounded.
   */
  private static final int MAX_OPUS_WAITING = 50;

  private final String resourceId;
  private final String streamId;
  private final String sessionId;
  private final String remoteAddress;
  private final WhipSettings settings;
  private final Materializer materializer;
  private final Consumer<WhipSession> forget;
  private final PeerTransport transport;
  private final WhipReceiver receiver;
  private final long createdNanos = System.nanoTime();
  private final List<MediaPacket> out = new ArrayList<>();
  private BoundedSourceQueue<MediaPacket> queue;
  private boolean ended;
  private final boolean hasVideo;
  private final boolean hasAudio;
  private boolean videoStarted;
  private OpusToAac audio;
  private final List<MediaPacket> opusWaiting = new ArrayList<>();
  private long opusDropped;
  private boolean audioFailed;
  private final List<MediaPacket> aac = new ArrayList<>();

  WhipSession(
      String resourceId,
      String streamId,
      String sessionId,
      String remoteAddress,
      WhipAnswer.Agreement agreement,
      IceCredentials ice,
      DtlsCertificate certificate,
      UdpPort port,
      Executor handshakes,
      WhipSettings settings,
      Materializer materializer,
      Consumer<WhipSession> forget) {
    this.resourceId = resourceId;
    this.streamId = streamId;
    this.sessionId = sessionId;
    this.remoteAddress = remoteAddress;
    this.settings = settings;
    this.materializer = materializer;
    this.forget = forget;
    this.hasVideo = agreement.h264PayloadType() >= 0;
    this.hasAudio = agreement.opusPayloadType() >= 0;
    this.receiver =
        new WhipReceiver(
            agreement.h264PayloadType(),
            agreement.opusPayloadType(),
            RANDOM.nextInt() & 0xffffffffL,
            settings.receiver(),
            createdNanos);
    this.transport =
        new PeerTransport(
            port,
            ice,
            certificate,
            agreement.dtlsClient(),
            agreement.remoteFingerprint(),
            settings.handshakeTimeout(),
            handshakes,
            this);
  }

  String resourceId() {
    return resourceId;
  }

  /**
   * Streams the session's media into the stream's sink from now on; false when the session has
   * ended already (then the sink is failed, not left waiting).
   */
  boolean attach(SinkRef<MediaPacket> sink) {
    // materialized outside the lock: the port's reader may be waiting on it with a packet
    var materialized =
        Source.<MediaPacket>queue(settings.queue())
            .watchTermination(Keep.both())
            .to(sink.getSink())
            .run(materializer);
    synchronized (this) {
      queue = materialized.first();
      if (ended) {
        queue.fail(new IOException("the WHIP session ended before the publish started"));
        return false;
      }
    }
    materialized
        .second()
        .whenComplete(
            (done, error) -> end("the stream closed its input (stopped or taken over)", false));
    log.info(
        "WHIP publish from {} stream {} session {} accepted; waiting for ICE and DTLS",
        remoteAddress,
        streamId,
        sessionId);
    return true;
  }

  @Override
  public void connected(InetSocketAddress remote) {
    log.info(
        "WHIP publish from {} stream {} session {} connected: media from {}",
        remoteAddress,
        streamId,
        sessionId,
        remote);
  }

  @Override
  public synchronized void rtp(RtpPacket packet) {
    if (ended) {
      return;
    }
    receiver.rtp(packet, System.nanoTime(), out);
    deliver();
  }

  @Override
  public void rtcp(byte[] packet, int length) {
    // sender reports and the publisher's own feedback: not needed to receive yet
  }

  @Override
  public void failed(String reason) {
    end(reason, true);
  }

  /** The scheduler's tick: releases held packets, sends RTCP, checks the timeouts. */
  void tick(long now) {
    List<byte[]> rtcp;
    synchronized (this) {
      if (ended) {
        return;
      }
      if (!transport.connected()) {
        if (now - createdNanos > settings.handshakeTimeout().toNanos()) {
          endLocked("ICE and DTLS not done within " + settings.handshakeTimeout(), true);
        }
        return;
      }
      if (now - transport.lastHeardNanos() > settings.mediaTimeout().toNanos()) {
        endLocked("nothing heard for " + settings.mediaTimeout(), true);
        return;
      }
      rtcp = receiver.tick(now, out);
      deliver();
      if (!ended) {
        transcodeWaiting();
      }
    }
    for (byte[] b : rtcp) {
      transport.sendRtcp(b, b.length);
    }
  }

  private void deliver() {
    if (out.isEmpty()) {
      return;
    }
    if (queue == null) {
      out.clear(); // before the stream's answer: nothing to show yet
      return;
    }
    for (MediaPacket p : out) {
      if (hasVideo && !videoStarted) {
        if (p.codec() == Codec.OPUS) {
          continue; // until the first keyframe: a stream's HLS starts with both tracks
        }
        if (p.isConfig() && hasAudio) {
          // the audio config before the video's, as an encoder's sequence headers come: the
          // segmenter then knows the stream has both tracks from its first segment on
          MediaPacket audioConfig = audioConfig(p.dts());
          if (audioConfig != null && !offer(audioConfig)) {
            return;
          }
        } else if (p.isKeyframe()) {
          videoStarted = true;
        }
      }
      if (p.codec() == Codec.OPUS) {
        // transcoded on the tick, not here: the port's reader thread serves every session
        if (opusWaiting.size() < MAX_OPUS_WAITING) {
          opusWaiting.add(p);
        } else {
          opusDropped++;
        }
        continue;
      }
      if (!offer(p)) {
        return;
      }
    }
    out.clear();
  }

  /** The AAC config packet, opening the transcoder; null when the audio cannot be AAC. */
  private MediaPacket audioConfig(long dts) {
    if (!openAudio()) {
      return null;
    }
    return audio.configPacket(dts);
  }

  private boolean openAudio() {
    if (audio == null && !audioFailed) {
      try {
        audio = new OpusToAac(AAC_BITRATE);
      } catch (IOException | RuntimeException | LinkageError e) {
        audioFailed(e); // LinkageError: FFmpeg's natives do not load on this machine
      }
    }
    return audio != null;
  }

  /** The Opus that came since the last tick, as AAC into the queue. */
  private void transcodeWaiting() {
    for (MediaPacket p : opusWaiting) {
      transcode(p);
      for (MediaPacket a : aac) {
        if (!offer(a)) {
          opusWaiting.clear();
          return;
        }
      }
      aac.clear();
    }
    opusWaiting.clear();
  }

  private void transcode(MediaPacket opus) {
    aac.clear();
    if (!openAudio()) {
      return;
    }
    try {
      audio.accept(opus, aac);
    } catch (IOException | RuntimeException | LinkageError e) {
      audioFailed(e);
    }
  }

  private void audioFailed(Throwable e) {
    audioFailed = true;
    aac.clear();
    if (audio != null) {
      audio.close();
      audio = null;
    }
    log.warn(
        "WHIP publish from {} stream {} session {}: its audio cannot become AAC, the stream goes"
            + " on without it: {}",
        remoteAddress,
        streamId,
        sessionId,
        e.getMessage());
  }

  /** Offers one packet to the stream; false when that ended the session. */
  private boolean offer(MediaPacket p) {
    QueueOfferResult result = queue.offer(p);
    if (result == QueueOfferResult.dropped()) {
      out.clear();
      aac.clear();
      endLocked("the stream's graph fell behind by " + settings.queue() + " packets", true);
      return false;
    }
    if (!(result instanceof QueueOfferResult.Enqueued$)) {
      out.clear();
      aac.clear();
      endLocked("the stream closed its input", false);
      return false;
    }
    return true;
  }

  /** Ends the session once; {@code failed} fails the stream's input (its grace applies). */
  void end(String reason, boolean failed) {
    synchronized (this) {
      endLocked(reason, failed);
    }
  }

  private void endLocked(String reason, boolean failed) {
    if (ended) {
      return;
    }
    ended = true;
    try {
      transport.close();
      if (queue != null) {
        try {
          if (failed) {
            queue.fail(new IOException("WHIP publisher lost: " + reason));
          } else {
            queue.complete();
          }
        } catch (IllegalStateException closedAlready) {
          // the stream closed its input first (stopped or taken over): nothing to end there
        }
      }
      if (audio != null) {
        audio.close();
        audio = null;
      }
    } finally {
      forget.accept(this); // whatever failed above, the session leaves the node's count
    }
    WhipReceiver.Counts c = receiver.counts();
    log.info(
        "WHIP publish from {} stream {} session {} ended: {} ({} video and {} audio packets, {}"
            + " lost, {} frames, {} dropped, {} PLIs, {} NACKs, {} Opus packets over the rate)",
        remoteAddress,
        streamId,
        sessionId,
        reason,
        c.videoPackets(),
        c.audioPackets(),
        c.lostPackets(),
        c.accessUnits(),
        c.droppedAccessUnits(),
        c.plis(),
        c.nacks(),
        opusDropped);
  }
}

package com.nrsgirls.streaming.pipeline.webrtc;

import com.nrsgirls.streaming.webrtc.dtls.DtlsCertificate;
import com.nrsgirls.streaming.webrtc.rtp.Rtcp;
import com.nrsgirls.streaming.webrtc.rtp.RtpException;
import com.nrsgirls.streaming.webrtc.rtp.RtpPacket;
import com.nrsgirls.streaming.webrtc.rtp.RtpSender;
import com.nrsgirls.streaming.webrtc.sdp.WhepAnswer;
import com.nrsgirls.streaming.webrtc.transport.IceCredentials;
import com.nrsgirls.streaming.webrtc.transport.PeerTransport;
import com.nrsgirls.streaming.webrtc.transport.UdpPort;
import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One WHEP viewer: its {@link PeerTransport} (ICE-lite, DTLS, SRTP) and an {@link RtpSender} per
 * track. Video starts at a keyframe: the feed's cached GOP when there is one, its frames stamped a
 * millisecond apart just before the live edge, so the browser decodes them at once and then plays
 * live (stamped as they are, the cache would put the viewer a GOP behind for good); a cache of more
 * than {@link #MAX_CATCH_UP_PACKETS} packets is not sent, the viewer waits for the next keyframe.
 * NACKs are answered from the video sender's history; sender reports map both tracks onto one wall
 * clock, which is what the browser syncs audio and video by.
 *
 * <p>Threads: the feed sends from its stream's thread, the port's reader hands in RTCP, the DTLS
 * pool says connected, the hub's ticker ticks; all under this viewer's lock, none of it blocking
 * but the datagram sends.
 */
final class WhepViewer implements PeerTransport.Listener {
  private static final Logger log = LoggerFactory.getLogger(WhepViewer.class);
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final int SPARE = PeerTransport.RTP_SPARE;

  /** Video packets remembered for NACKs (references to shared payloads): 8 s at 2.5 Mbit/s. */
  private static final int HISTORY = 4096;

  /**
   * The most packets a new viewer is sent at once from the cached GOP: more (a long GOP at a high
   * bit rate) would overrun what the browser buffers and what NACKs can repair, so such a viewer
   * waits for the next keyframe instead.
   */
  static final int MAX_CATCH_UP_PACKETS = HISTORY / 2;

  /**
   * Packets resent per report interval at most: NACKs are cheap to send (one RTCP datagram can name
   * thousands of packets), resends are not.
   */
  private static final int RESENDS_PER_TICK = 500;

  private final String resourceId;
  private final String streamId;
  private final String remoteAddress;
  private final WhepSettings settings;
  private final Consumer<WhepViewer> ended;
  private final PeerTransport transport;
  private final RtpSender video;
  private final RtpSender audio;
  private final long videoBase = RANDOM.nextInt() & 0xffffffffL;
  private final long audioBase = RANDOM.nextInt() & 0xffffffffL;
  private final long createdNanos = System.nanoTime();
  private volatile boolean connected;
  private boolean started;
  private boolean ending;
  private long anchorMs;
  private long anchorWallMs;
  private long nacked;
  private long nacksRefused;
  private int resendBudget = RESENDS_PER_TICK;
  private long keyframeRequests;
  private long framesSkipped;
  private int lastFractionLost;

  WhepViewer(
      String resourceId,
      String streamId,
      String remoteAddress,
      WhepAnswer.Agreement agreement,
      WhepAnswer.Sources sources,
      IceCredentials ice,
      DtlsCertificate certificate,
      UdpPort port,
      Executor handshakes,
      WhepSettings settings,
      Consumer<WhepViewer> ended) {
    this.resourceId = resourceId;
    this.streamId = streamId;
    this.remoteAddress = remoteAddress;
    this.settings = settings;
    this.ended = ended;
    this.video =
        new RtpSender(sources.videoSsrc(), agreement.h264PayloadType(), RANDOM.nextInt(), HISTORY);
    this.audio =
        agreement.opusPayloadType() >= 0
            ? new RtpSender(sources.audioSsrc(), agreement.opusPayloadType(), RANDOM.nextInt(), 0)
            : null;
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

  String streamId() {
    return streamId;
  }

  /** Whether DTLS is done (media flows). */
  boolean connected() {
    return connected;
  }

  /**
   * A new access unit. A viewer that has not started starts here: from {@code gop} (the frames
   * since the last keyframe, this one last) when it begins with a keyframe, else from this frame if
   * it is one; otherwise it waits.
   */
  synchronized void video(VideoFrame frame, List<VideoFrame> gop) {
    if (!connected || ending) {
      return;
    }
    if (!started) {
      if (!gop.isEmpty()
          && gop.get(0).keyframe()
          && gop.get(gop.size() - 1) == frame
          && packets(gop) <= MAX_CATCH_UP_PACKETS) {
        start(gop);
      } else if (frame.keyframe()) {
        start(List.of(frame));
      } else {
        framesSkipped++;
      }
      return;
    }
    send(frame, videoBase + 90 * (frame.pts() - anchorMs));
  }

  private static int packets(List<VideoFrame> frames) {
    int n = 0;
    for (VideoFrame f : frames) {
      n += f.payloads().size();
    }
    return n;
  }

  private void start(List<VideoFrame> frames) {
    started = true;
    VideoFrame live = frames.get(frames.size() - 1);
    anchorMs = live.pts();
    anchorWallMs = System.currentTimeMillis();
    int n = frames.size();
    for (int i = 0; i < n; i++) {
      send(frames.get(i), videoBase - 90L * (n - 1 - i));
    }
    log.info(
        "WHEP viewer {} stream {} started at a keyframe ({} frames from the cache)",
        remoteAddress,
        streamId,
        n - 1);
  }

  private void send(VideoFrame frame, long timestamp) {
    long ts = timestamp & 0xffffffffL;
    List<byte[]> payloads = frame.payloads();
    for (int i = 0; i < payloads.size(); i++) {
      byte[] packet = video.next(payloads.get(i), i == payloads.size() - 1, ts, SPARE);
      transport.sendRtpInPlace(packet, RtpSender.length(packet, SPARE));
    }
  }

  /** One Opus frame at {@code sample} (48 kHz) on the feed's timeline; sent once video started. */
  synchronized void audio(byte[] opus, long sample) {
    if (audio == null || !started || ending) {
      return;
    }
    long ts = (audioBase + sample - anchorMs * 48) & 0xffffffffL;
    byte[] packet = audio.next(opus, false, ts, SPARE);
    transport.sendRtpInPlace(packet, RtpSender.length(packet, SPARE));
  }

  @Override
  public void connected(InetSocketAddress remote) {
    connected = true;
    log.info("WHEP viewer {} stream {} connected from {}", remoteAddress, streamId, remote);
  }

  @Override
  public void rtp(RtpPacket packet) {
    // a viewer sends no media; its RTCP is all we read
  }

  @Override
  public synchronized void rtcp(byte[] packet, int length) {
    if (ending) {
      return;
    }
    List<Rtcp.Part> parts;
    try {
      parts = Rtcp.parts(packet, 0, length);
      for (Rtcp.Part p : parts) {
        if (p.type() == Rtcp.RTPFB && p.count() == 1) {
          for (int seq : Rtcp.nackedSequences(packet, p)) {
            nacked++;
            if (resendBudget <= 0) {
              nacksRefused++;
              continue;
            }
            resendBudget--;
            byte[] again = video.resend(seq, SPARE);
            if (again != null) {
              transport.sendRtpInPlace(again, RtpSender.length(again, SPARE));
            }
          }
        } else if (Rtcp.asksForKeyframe(p)) {
          // an RTMP encoder cannot be asked for one: the next keyframe comes when it comes
          keyframeRequests++;
        } else if (p.type() == Rtcp.RR) {
          for (Rtcp.ReportBlock block : Rtcp.reportBlocks(packet, p)) {
            if (block.ssrc() == video.ssrc()) {
              lastFractionLost = block.fractionLost();
            }
          }
        }
      }
    } catch (RtpException e) {
      // malformed RTCP from this viewer: dropped; it affects no one else
    }
  }

  @Override
  public void failed(String reason) {
    end(reason);
  }

  /** Timeouts and sender reports; from the hub's ticker. */
  synchronized void tick(long nowNanos) {
    if (ending) {
      return;
    }
    resendBudget = RESENDS_PER_TICK;
    if (!connected) {
      if (nowNanos - createdNanos > settings.handshakeTimeout().toNanos()) {
        endLocked("no DTLS within " + settings.handshakeTimeout().toSeconds() + " s");
      }
      return;
    }
    if (nowNanos - transport.lastHeardNanos() > settings.timeout().toNanos()) {
      endLocked("nothing heard for " + settings.timeout().toSeconds() + " s");
      return;
    }
    if (!started) {
      return;
    }
    // Both tracks' RTP clocks run from the start's anchor at the media's pace, which is the wall
    // clock's: "now" on each is where its next packet will be, and the reports stay monotonic.
    long now = System.currentTimeMillis();
    long ntp = Rtcp.ntpTime(now);
    long elapsed = now - anchorWallMs;
    byte[] videoReport =
        Rtcp.senderReport(
            video.ssrc(),
            ntp,
            (videoBase + 90 * elapsed) & 0xffffffffL,
            video.packets(),
            video.octets());
    byte[] compound = videoReport;
    if (audio != null && audio.packets() > 0) {
      byte[] audioReport =
          Rtcp.senderReport(
              audio.ssrc(),
              ntp,
              (audioBase + 48 * elapsed) & 0xffffffffL,
              audio.packets(),
              audio.octets());
      compound = new byte[videoReport.length + audioReport.length];
      System.arraycopy(videoReport, 0, compound, 0, videoReport.length);
      System.arraycopy(audioReport, 0, compound, videoReport.length, audioReport.length);
    }
    transport.sendRtcp(compound, compound.length);
  }

  /** Ends the viewer once: its transport closes and the feed forgets it. */
  void end(String reason) {
    synchronized (this) {
      endLocked(reason);
    }
  }

  private void endLocked(String reason) {
    if (ending) {
      return;
    }
    ending = true;
    try {
      transport.close();
    } finally {
      ended.accept(this);
    }
    log.info(
        "WHEP viewer {} stream {} ended: {} ({} video and {} audio packets, {} NACKed, {}"
            + " resent, {} NACKs over the budget, {} keyframe requests, {} frames skipped before a keyframe, last loss"
            + " {}/256)",
        remoteAddress,
        streamId,
        reason,
        video.packets(),
        audio == null ? 0 : audio.packets(),
        nacked,
        video.retransmitted(),
        nacksRefused,
        keyframeRequests,
        framesSkipped,
        lastFractionLost);
  }
}

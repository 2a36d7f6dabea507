package com.nrsgirls.streaming.webrtc.ingest;

import com.nrsgirls.streaming.core.media.AvcDecoderConfig;
import com.nrsgirls.streaming.core.media.Codec;
import com.nrsgirls.streaming.core.media.MediaFormatException;
import com.nrsgirls.streaming.core.media.MediaPacket;
import com.nrsgirls.streaming.webrtc.rtp.H264Depacketizer;
import com.nrsgirls.streaming.webrtc.rtp.JitterBuffer;
import com.nrsgirls.streaming.webrtc.rtp.Rtcp;
import com.nrsgirls.streaming.webrtc.rtp.RtpException;
import com.nrsgirls.streaming.webrtc.rtp.RtpPacket;
import java.io.ByteArrayOutputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A WHIP publisher's media, from decrypted RTP to the {@link MediaPacket}s a stream's graph takes:
 * H.264 put back in order by a {@link JitterBuffer}, joined into access units, nothing passed on
 * before an IDR with its SPS and PPS (asked for with PLIs, at the start, after every loss the NACKs
 * did not repair, and when none came for {@code keyframeInterval}: browsers send keyframes only
 * when asked), written as AVCC frames after an AVCDecoderConfigurationRecord whenever the parameter
 * sets change; Opus packets passed on as they come (the graph turns them into AAC).
 *
 * <p>The timeline is milliseconds since the receiver was made: each track's RTP clock (90 kHz
 * video, 48 kHz Opus) counted from its first packet, placed at that packet's arrival. Close enough
 * for A/V sync on one network path; sender reports would refine it.
 *
 * <p>No I/O and no thread: the session calls {@link #rtp} for each packet and {@link #tick} every
 * few tens of milliseconds with its clock, and sends the RTCP {@code tick} returns. One SSRC per
 * track: packets of another (simulcast layers, RTX) are dropped and counted.
 */
public final class WhipReceiver {
  private static final int NAL_AUD = 9;

  /** The receive side's bounds and timers. */
  public record Settings(
      int jitterCapacity,
      Duration maxWait,
      Duration nackInterval,
      int maxNacks,
      Duration pliInterval,
      int maxAccessUnitBytes,
      Duration keyframeInterval) {
    /**
     * 200 ms of patience for a lost packet (three NACKs 40 ms apart), a PLI at most twice a second
     * while waiting for a keyframe, and a keyframe asked for when none came for 2 s.
     */
    public static Settings defaults() {
      return new Settings(
          1024,
          Duration.ofMillis(200),
          Duration.ofMillis(40),
          3,
          Duration.ofMillis(500),
          4 << 20,
          Duration.ofSeconds(2));
    }

    /** These settings with keyframes asked for when none came for {@code interval}. */
    public Settings withKeyframeInterval(Duration interval) {
      return new Settings(
          jitterCapacity,
          maxWait,
          nackInterval,
          maxNacks,
          pliInterval,
          maxAccessUnitBytes,
          interval);
    }
  }

  /** What happened to the publisher's packets so far. */
  public record Counts(
      long videoPackets,
      long audioPackets,
      long lostPackets,
      long accessUnits,
      long droppedAccessUnits,
      long ignoredPackets,
      long plis,
      long nacks) {}

  private final int h264PayloadType;
  private final int opusPayloadType;
  private final long localSsrc;
  private final Settings settings;
  private final long startNanos;
  private final JitterBuffer jitter;
  private final H264Depacketizer depacketizer;

  private long videoSsrc = -1;
  private long audioSsrc = -1;
  private final Clock video = new Clock(90);
  private final Clock audio = new Clock(48);
  private long lastVideoMillis = Long.MIN_VALUE;
  private long lastAudioMillis = Long.MIN_VALUE;

  private boolean waitingForKeyframe = true;
  private boolean pliWanted = true;
  private long lastPliNanos;
  private boolean pliSent;
  private List<byte[]> sps = List.of();
  private List<byte[]> pps = List.of();
  private byte[] configSent;

  private long videoPackets;
  private long audioPackets;
  private long accessUnits;
  private long droppedAccessUnits;
  private long ignoredPackets;
  private long plis;
  private long nacks;
  private long keyframes;
  private long keyframesSeen;
  private long lastKeyframeNanos;

  /**
   * @param localSsrc the SSRC the node's RTCP (NACK, PLI) is sent from
   * @param nowNanos the receiver's start on the caller's clock: millisecond 0 of its timeline
   */
  public WhipReceiver(
      int h264PayloadType, int opusPayloadType, long localSsrc, Settings settings, long nowNanos) {
    this.h264PayloadType = h264PayloadType;
    this.opusPayloadType = opusPayloadType;
    this.localSsrc = localSsrc;
    this.settings = settings;
    this.startNanos = nowNanos;
    this.lastKeyframeNanos = nowNanos;
    this.jitter =
        new JitterBuffer(
            settings.jitterCapacity(),
            settings.maxWait().toNanos(),
            settings.nackInterval().toNanos(),
            settings.maxNacks());
    this.depacketizer = new H264Depacketizer(settings.maxAccessUnitBytes(), 4096);
  }

  /**
   * Takes one RTP packet that arrived at {@code nowNanos}; adds what it completes to {@code out}.
   */
  public void rtp(RtpPacket p, long nowNanos, List<MediaPacket> out) {
    int pt = p.payloadType();
    if (pt == h264PayloadType && h264PayloadType >= 0) {
      if (videoSsrc < 0) {
        videoSsrc = p.ssrc();
      } else if (p.ssrc() != videoSsrc) {
        ignoredPackets++;
        return;
      }
      videoPackets++;
      video.anchor(p.timestamp(), nowNanos - startNanos);
      jitter.push(
          nowNanos,
          p.sequence(),
          Arrays.copyOfRange(p.data(), p.offset(), p.offset() + p.length()));
      drainVideo(nowNanos, out);
    } else if (pt == opusPayloadType && opusPayloadType >= 0) {
      if (audioSsrc < 0) {
        audioSsrc = p.ssrc();
      } else if (p.ssrc() != audioSsrc) {
        ignoredPackets++;
        return;
      }
      audioPackets++;
      audio.anchor(p.timestamp(), nowNanos - startNanos);
      long millis = audio.millis(p.timestamp());
      if (millis <= lastAudioMillis || p.payloadLength() == 0) {
        ignoredPackets++; // late (reordered past its successor) or empty: a gap is better
        return;
      }
      lastAudioMillis = millis;
      byte[] opus =
          Arrays.copyOfRange(p.data(), p.payloadOffset(), p.payloadOffset() + p.payloadLength());
      out.add(
          new MediaPacket(Codec.OPUS, millis, 0, MediaPacket.FLAG_KEYFRAME, opus, 0, opus.length));
    } else {
      ignoredPackets++;
    }
  }

  /**
   * Releases what waited long enough for a lost packet, and returns the RTCP to send now: a NACK
   * for packets still missing, a PLI while the receiver waits for a keyframe (at most once per
   * {@code pliInterval}).
   */
  public List<byte[]> tick(long nowNanos, List<MediaPacket> out) {
    drainVideo(nowNanos, out);
    List<byte[]> rtcp = new ArrayList<>(2);
    if (videoSsrc < 0) {
      return rtcp;
    }
    List<Integer> missing = jitter.nacks(nowNanos);
    if (!missing.isEmpty()) {
      nacks += missing.size();
      rtcp.add(Rtcp.nack(localSsrc, videoSsrc, missing));
    }
    if (keyframes != keyframesSeen) {
      keyframesSeen = keyframes;
      lastKeyframeNanos = nowNanos;
    }
    // A browser's encoder sends a keyframe only when asked: without one every keyframe interval,
    // HLS segments would grow without end and new viewers would wait for one.
    long every = settings.keyframeInterval().toNanos();
    if (!waitingForKeyframe
        && every > 0
        && nowNanos - lastKeyframeNanos >= every
        && nowNanos - lastPliNanos >= every) {
      pliWanted = true;
    }
    if (pliWanted && (!pliSent || nowNanos - lastPliNanos >= settings.pliInterval().toNanos())) {
      rtcp.add(Rtcp.pli(localSsrc, videoSsrc));
      plis++;
      pliSent = true;
      lastPliNanos = nowNanos;
      pliWanted = waitingForKeyframe;
    }
    return rtcp;
  }

  public Counts counts() {
    return new Counts(
        videoPackets,
        audioPackets,
        jitter.lost(),
        accessUnits,
        droppedAccessUnits,
        ignoredPackets + depacketizer.unsupported(),
        plis,
        nacks);
  }

  private void drainVideo(long nowNanos, List<MediaPacket> out) {
    for (byte[] raw : jitter.poll(nowNanos)) {
      RtpPacket p;
      try {
        p = RtpPacket.parse(raw, 0, raw.length);
      } catch (RtpException e) {
        continue; // parsed once already; cannot happen
      }
      for (H264Depacketizer.AccessUnit au : depacketizer.push(p)) {
        accessUnit(au, out);
      }
    }
  }

  private void accessUnit(H264Depacketizer.AccessUnit au, List<MediaPacket> out) {
    if (au.damaged()) {
      droppedAccessUnits++;
      waitingForKeyframe = true; // the pictures after it refer to what was lost
      pliWanted = true;
      return;
    }
    List<byte[]> newSps = new ArrayList<>(1);
    List<byte[]> newPps = new ArrayList<>(1);
    ByteArrayOutputStream avcc = new ByteArrayOutputStream(au.size() + 4 * au.nalUnits().size());
    for (byte[] nal : au.nalUnits()) {
      int type = nal[0] & 0x1f;
      if (type == H264Depacketizer.NAL_SPS) {
        newSps.add(nal);
      } else if (type == H264Depacketizer.NAL_PPS) {
        newPps.add(nal);
      } else if (type != NAL_AUD) {
        avcc.write(nal.length >>> 24);
        avcc.write(nal.length >>> 16);
        avcc.write(nal.length >>> 8);
        avcc.write(nal.length);
        avcc.writeBytes(nal);
      }
    }
    if (!newSps.isEmpty()) {
      sps = newSps;
    }
    if (!newPps.isEmpty()) {
      pps = newPps;
    }
    boolean keyframe = au.keyframe();
    if (waitingForKeyframe) {
      if (!keyframe || sps.isEmpty() || pps.isEmpty()) {
        droppedAccessUnits++;
        pliWanted = true;
        return;
      }
      waitingForKeyframe = false;
      pliWanted = false;
    }
    if (avcc.size() == 0) {
      return; // parameter sets alone
    }
    long millis = Math.max(video.millis(au.timestamp()), lastVideoMillis);
    lastVideoMillis = millis;
    if (keyframe || configSent == null) {
      byte[] config;
      try {
        config = AvcDecoderConfig.write(sps, pps);
      } catch (MediaFormatException e) {
        droppedAccessUnits++;
        waitingForKeyframe = true;
        pliWanted = true;
        return;
      }
      if (!Arrays.equals(config, configSent)) {
        configSent = config;
        out.add(
            new MediaPacket(
                Codec.H264, millis, 0, MediaPacket.FLAG_CONFIG, config, 0, config.length));
      }
    }
    byte[] frame = avcc.toByteArray();
    accessUnits++;
    if (keyframe) {
      keyframes++;
    }
    out.add(
        new MediaPacket(
            Codec.H264,
            millis,
            0,
            keyframe ? MediaPacket.FLAG_KEYFRAME : 0,
            frame,
            0,
            frame.length));
  }

  /** One track's RTP clock in milliseconds, 32-bit wrap undone, anchored at its first packet. */
  private static final class Clock {
    private final long ticksPerMilli;
    private long base = -1;
    private long baseMillis;
    private long last;

    Clock(long ticksPerMilli) {
      this.ticksPerMilli = ticksPerMilli;
    }

    void anchor(long timestamp, long sinceStartNanos) {
      if (base < 0) {
        base = timestamp;
        last = timestamp;
        baseMillis = Math.max(0, sinceStartNanos / 1_000_000);
      }
    }

    long millis(long timestamp) {
      int delta = (int) (timestamp - (last & 0xffffffffL));
      last += delta;
      return baseMillis + Math.floorDiv(last - base, ticksPerMilli);
    }
  }
}

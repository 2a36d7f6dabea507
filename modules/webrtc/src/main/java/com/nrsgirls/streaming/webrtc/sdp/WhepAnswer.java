package com.nrsgirls.streaming.webrtc.sdp;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The answer to a WHEP viewer's offer: one video section with H.264 in packetization mode 1 and one
 * audio section with Opus, both sent only, each under the node's SSRC for this viewer and in one
 * media stream ({@code a=msid}), so the browser keeps them in sync. Anything else is rejected (port
 * 0). Of the offer's H.264 payload types, the one whose profile is the source's is chosen, else
 * High, Main, Constrained Baseline, the first: browsers decode every profile they offer, but a
 * matching one says what is coming, and a higher one's decoder takes the lower ones. Opus is
 * stereo. ICE-lite and the DTLS role as in {@link WhipAnswer}.
 */
public final class WhepAnswer {
  /**
   * What was agreed; {@code remoteFingerprint} as {@code "sha-256 AB:..."}; -1 for a track not
   * taken.
   */
  public record Agreement(
      int h264PayloadType,
      int opusPayloadType,
      String remoteUfrag,
      String remotePassword,
      String remoteFingerprint,
      boolean dtlsClient,
      String sdp) {}

  /** The SSRCs the node sends this viewer under, and the name of its media stream. */
  public record Sources(long videoSsrc, long audioSsrc, String streamLabel) {}

  private WhepAnswer() {}

  /**
   * @param profileIdc the source's H.264 profile ({@code profile_idc}: 66, 77, 100...), or 0 if not
   *     known yet
   */
  public static Agreement answer(Sdp offer, WhipAnswer.Local local, Sources sources, int profileIdc)
      throws SdpException {
    int opus = -1;
    int h264 = -1;
    Answers.Remote remote = new Answers.Remote(null, null, null, null);
    StringBuilder sections = new StringBuilder();
    List<String> bundle = new ArrayList<>();
    for (Sdp.Media m : offer.media()) {
      String mid = m.mid();
      if (mid == null) {
        throw new SdpException("a media section has no mid (BUNDLE needs them)");
      }
      int pt = -1;
      if (m.kind().equals("audio") && opus < 0 && receives(m)) {
        pt = Answers.payloadType(m, "opus/48000", null);
        opus = pt;
      } else if (m.kind().equals("video") && h264 < 0 && receives(m)) {
        pt = h264PayloadType(m, profileIdc);
        h264 = pt;
      }
      if (pt < 0) {
        Answers.rejected(sections, m);
        continue;
      }
      remote = remote.merge(offer, m);
      bundle.add(mid);
      Answers.accepted(sections, m, pt, local, "sendonly");
      long ssrc;
      String track;
      if (m.kind().equals("audio")) {
        sections.append("a=rtpmap:").append(pt).append(" opus/48000/2\r\n");
        sections.append("a=fmtp:").append(pt);
        sections.append(" minptime=10;useinbandfec=1;stereo=1;sprop-stereo=1\r\n");
        ssrc = sources.audioSsrc();
        track = "audio";
      } else {
        sections.append("a=rtpmap:").append(pt).append(" H264/90000\r\n");
        sections.append("a=fmtp:").append(pt).append(' ').append(Answers.fmtp(m, pt));
        sections.append("\r\n");
        sections.append("a=rtcp-fb:").append(pt).append(" nack\r\n");
        sections.append("a=rtcp-fb:").append(pt).append(" nack pli\r\n");
        ssrc = sources.videoSsrc();
        track = "video";
      }
      String msid = sources.streamLabel() + " " + sources.streamLabel() + "-" + track;
      sections.append("a=msid:").append(msid).append("\r\n");
      sections.append("a=ssrc:").append(ssrc).append(" cname:").append(sources.streamLabel());
      sections.append("\r\n");
      sections.append("a=ssrc:").append(ssrc).append(" msid:").append(msid).append("\r\n");
      Answers.candidate(sections, local);
    }
    if (h264 < 0) {
      throw new SdpException("the offer receives no H.264 video in packetization mode 1");
    }
    String fingerprint = remote.checkedFingerprint();
    boolean dtlsClient = remote.nodeIsDtlsClient();
    return new Agreement(
        h264,
        opus,
        remote.ufrag(),
        remote.password(),
        fingerprint,
        dtlsClient,
        Answers.session(local, bundle, sections, dtlsClient));
  }

  private static boolean receives(Sdp.Media m) {
    String d = m.direction();
    return d.equals("recvonly") || d.equals("sendrecv");
  }

  private static int h264PayloadType(Sdp.Media m, int profileIdc) {
    List<Integer> candidates = Answers.payloadTypes(m, "h264/90000", "packetization-mode=1");
    if (candidates.isEmpty()) {
      return -1;
    }
    // the source's profile; else High, Main (their decoders take the lower profiles too)
    for (int wanted : new int[] {profileIdc, 100, 77}) {
      for (int pt : candidates) {
        if (wanted > 0 && profile(Answers.fmtp(m, pt)) == wanted) {
          return pt;
        }
      }
    }
    for (int pt : candidates) {
      String fmtp = Answers.fmtp(m, pt).toLowerCase(Locale.ROOT);
      if (fmtp.contains("profile-level-id=42e0")) {
        return pt;
      }
    }
    return candidates.get(0);
  }

  /** The profile_idc of an fmtp's {@code profile-level-id}; -1 if it has none. */
  private static int profile(String fmtp) {
    for (String part : fmtp.split(";")) {
      String p = part.strip().toLowerCase(Locale.ROOT);
      if (p.startsWith("profile-level-id=") && p.length() >= "profile-level-id=".length() + 2) {
        try {
          return Integer.parseInt(p.substring(17, 19), 16);
        } catch (NumberFormatException e) {
          return -1;
        }
      }
    }
    return -1;
  }
}

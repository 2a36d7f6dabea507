package com.nrsgirls.streaming.webrtc.sdp;

import java.util.ArrayList;
import java.util.List;

/**
 * The answer to a WHIP publisher's offer: one audio section with Opus and one video section with
 * H.264 in packetization mode 1, received only; anything else in the offer is rejected (port 0).
 * The node is an ICE-lite agent on one UDP candidate and takes the DTLS role the offer leaves it:
 * server ({@code setup:passive}) when the publisher offers {@code actpass} (browsers, OBS) or
 * {@code active}, client ({@code setup:active}) when it offers {@code passive} (FFmpeg).
 */
public final class WhipAnswer {
  /**
   * What was agreed: the payload types, mids and the remote ICE and DTLS parameters; {@code
   * remoteFingerprint} as SDP writes it, {@code "sha-256 AB:..."}.
   */
  public record Agreement(
      int opusPayloadType,
      String audioMid,
      int h264PayloadType,
      String videoMid,
      String remoteUfrag,
      String remotePassword,
      String remoteFingerprint,
      boolean dtlsClient,
      String sdp) {}

  /** The node's side of the session. */
  public record Local(
      String ufrag, String password, String fingerprintSha256, String address, int port) {}

  private WhipAnswer() {}

  public static Agreement answer(Sdp offer, Local local) throws SdpException {
    int opus = -1;
    int h264 = -1;
    String audioMid = null;
    String videoMid = null;
    Answers.Remote remote = new Answers.Remote(null, null, null, null);
    StringBuilder sections = new StringBuilder();
    List<String> bundle = new ArrayList<>();
    for (Sdp.Media m : offer.media()) {
      String mid = m.mid();
      if (mid == null) {
        throw new SdpException("a media section has no mid (BUNDLE needs them)");
      }
      int pt = -1;
      if (m.kind().equals("audio") && audioMid == null && sends(m)) {
        pt = Answers.payloadType(m, "opus/48000", null);
        if (pt >= 0) {
          opus = pt;
          audioMid = mid;
        }
      } else if (m.kind().equals("video") && videoMid == null && sends(m)) {
        pt = Answers.payloadType(m, "h264/90000", "packetization-mode=1");
        if (pt >= 0) {
          h264 = pt;
          videoMid = mid;
        }
      }
      if (pt < 0) {
        Answers.rejected(sections, m);
        continue;
      }
      remote = remote.merge(offer, m);
      bundle.add(mid);
      Answers.accepted(sections, m, pt, local, "recvonly");
      if (m.kind().equals("audio")) {
        sections.append("a=rtpmap:").append(pt).append(" opus/48000/2\r\n");
        sections.append("a=fmtp:").append(pt).append(" minptime=10;useinbandfec=1\r\n");
      } else {
        sections.append("a=rtpmap:").append(pt).append(" H264/90000\r\n");
        sections.append("a=fmtp:").append(pt).append(' ').append(Answers.fmtp(m, pt));
        sections.append("\r\n");
        sections.append("a=rtcp-fb:").append(pt).append(" nack\r\n");
        sections.append("a=rtcp-fb:").append(pt).append(" nack pli\r\n");
        sections.append("a=rtcp-fb:").append(pt).append(" ccm fir\r\n");
      }
      Answers.candidate(sections, local);
    }
    if (videoMid == null) {
      throw new SdpException("the offer sends no H.264 video in packetization mode 1");
    }
    String fingerprint = remote.checkedFingerprint();
    boolean dtlsClient = remote.nodeIsDtlsClient();
    return new Agreement(
        opus,
        audioMid,
        h264,
        videoMid,
        remote.ufrag(),
        remote.password(),
        fingerprint,
        dtlsClient,
        Answers.session(local, bundle, sections, dtlsClient));
  }

  private static boolean sends(Sdp.Media m) {
    String d = m.direction();
    return d.equals("sendonly") || d.equals("sendrecv");
  }
}

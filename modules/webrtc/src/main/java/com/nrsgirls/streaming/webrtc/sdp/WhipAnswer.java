package com.nrsgirls.streaming.webrtc.sdp;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

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
    String ufrag = null;
    String pwd = null;
    String fingerprint = null;
    String setup = null;
    StringBuilder sections = new StringBuilder();
    List<String> bundle = new ArrayList<>();
    for (Sdp.Media m : offer.media()) {
      String mid = m.mid();
      if (mid == null) {
        throw new SdpException("a media section has no mid (BUNDLE needs them)");
      }
      int pt = -1;
      String fmtp = null;
      if (m.kind().equals("audio") && audioMid == null && sends(m)) {
        pt = payloadType(m, "opus/48000", null);
        if (pt >= 0) {
          opus = pt;
          audioMid = mid;
        }
      } else if (m.kind().equals("video") && videoMid == null && sends(m)) {
        pt = payloadType(m, "h264/90000", "packetization-mode=1");
        if (pt >= 0) {
          h264 = pt;
          videoMid = mid;
          fmtp = fmtp(m, pt);
        }
      }
      if (pt < 0) {
        sections.append("m=").append(m.kind()).append(" 0 ").append(m.protocol()).append(' ');
        sections.append(m.formats().isEmpty() ? "0" : m.formats().get(0)).append("\r\n");
        sections.append("a=mid:").append(mid).append("\r\n");
        sections.append("a=inactive\r\n");
        continue;
      }
      ufrag = first(ufrag, offer.attribute(m, "ice-ufrag"));
      pwd = first(pwd, offer.attribute(m, "ice-pwd"));
      fingerprint = first(fingerprint, offer.attribute(m, "fingerprint"));
      setup = first(setup, offer.attribute(m, "setup"));
      bundle.add(mid);
      sections.append("m=").append(m.kind()).append(' ').append(local.port());
      sections.append(" UDP/TLS/RTP/SAVPF ").append(pt).append("\r\n");
      sections.append("c=IN IP4 ").append(local.address()).append("\r\n");
      sections.append("a=mid:").append(mid).append("\r\n");
      sections.append("a=recvonly\r\n");
      sections.append("a=rtcp-mux\r\n");
      sections.append("a=ice-ufrag:").append(local.ufrag()).append("\r\n");
      sections.append("a=ice-pwd:").append(local.password()).append("\r\n");
      sections.append("a=fingerprint:sha-256 ").append(local.fingerprintSha256()).append("\r\n");
      sections.append("a=setup:").append("SETUP").append("\r\n");
      if (m.kind().equals("audio")) {
        sections.append("a=rtpmap:").append(pt).append(" opus/48000/2\r\n");
        sections.append("a=fmtp:").append(pt).append(" minptime=10;useinbandfec=1\r\n");
      } else {
        sections.append("a=rtpmap:").append(pt).append(" H264/90000\r\n");
        sections.append("a=fmtp:").append(pt).append(' ').append(fmtp).append("\r\n");
        sections.append("a=rtcp-fb:").append(pt).append(" nack\r\n");
        sections.append("a=rtcp-fb:").append(pt).append(" nack pli\r\n");
        sections.append("a=rtcp-fb:").append(pt).append(" ccm fir\r\n");
      }
      sections.append("a=candidate:1 1 udp 2130706431 ").append(local.address()).append(' ');
      sections.append(local.port()).append(" typ host\r\n");
      sections.append("a=end-of-candidates\r\n");
    }
    if (videoMid == null) {
      throw new SdpException("the offer sends no H.264 video in packetization mode 1");
    }
    if (ufrag == null || pwd == null) {
      throw new SdpException("the offer has no ICE credentials (ice-ufrag, ice-pwd)");
    }
    if (fingerprint == null || !fingerprint.toLowerCase(Locale.ROOT).startsWith("sha-256 ")) {
      throw new SdpException("the offer has no sha-256 DTLS fingerprint");
    }
    boolean dtlsClient = "passive".equals(setup);
    String body =
        "v=0\r\n"
            + "o=- "
            + Math.abs(System.nanoTime())
            + " 2 IN IP4 "
            + local.address()
            + "\r\n"
            + "s=-\r\n"
            + "t=0 0\r\n"
            + "a=ice-lite\r\n"
            + "a=group:BUNDLE "
            + String.join(" ", bundle)
            + "\r\n"
            + sections
                .toString()
                .replace("a=setup:SETUP", dtlsClient ? "a=setup:active" : "a=setup:passive");
    return new Agreement(
        opus,
        audioMid,
        h264,
        videoMid,
        ufrag,
        pwd,
        "sha-256 " + fingerprint.substring("sha-256 ".length()).strip(),
        dtlsClient,
        body);
  }

  private static boolean sends(Sdp.Media m) {
    String d = m.direction();
    return d.equals("sendonly") || d.equals("sendrecv");
  }

  /**
   * The first payload type of {@code m} whose rtpmap is {@code codec} (case-insensitive, clock rate
   * included) and whose fmtp holds {@code fmtpPart} if given; -1 if none.
   */
  private static int payloadType(Sdp.Media m, String codec, String fmtpPart) {
    for (String format : m.formats()) {
      int pt;
      try {
        pt = Integer.parseInt(format);
      } catch (NumberFormatException e) {
        continue;
      }
      for (String map : m.attributes("rtpmap")) {
        int space = map.indexOf(' ');
        if (space > 0
            && map.substring(0, space).equals(format)
            && map.substring(space + 1).toLowerCase(Locale.ROOT).startsWith(codec)) {
          String f = fmtp(m, pt);
          if (fmtpPart == null || f.replace(" ", "").contains(fmtpPart)) {
            return pt;
          }
        }
      }
    }
    return -1;
  }

  private static String fmtp(Sdp.Media m, int pt) {
    String prefix = pt + " ";
    for (String f : m.attributes("fmtp")) {
      if (f.startsWith(prefix)) {
        return f.substring(prefix.length()).strip();
      }
    }
    return "";
  }

  private static String first(String have, String next) {
    return have != null ? have : next;
  }
}

package com.nrsgirls.streaming.webrtc.sdp;

import java.util.List;
import java.util.Locale;

/** What WHIP and WHEP answers share: reading an offer's codecs, and the node's transport lines. */
final class Answers {
  private Answers() {}

  /**
   * The payload types of {@code m} whose rtpmap is {@code codec} (case-insensitive, clock rate
   * included) and whose fmtp holds {@code fmtpPart} if given, in the offer's order.
   */
  static List<Integer> payloadTypes(Sdp.Media m, String codec, String fmtpPart) {
    List<Integer> out = new java.util.ArrayList<>();
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
            out.add(pt);
            break;
          }
        }
      }
    }
    return out;
  }

  /** The first of {@link #payloadTypes}; -1 if none. */
  static int payloadType(Sdp.Media m, String codec, String fmtpPart) {
    List<Integer> all = payloadTypes(m, codec, fmtpPart);
    return all.isEmpty() ? -1 : all.get(0);
  }

  /** The fmtp parameters of {@code pt} in {@code m}; "" if none. */
  static String fmtp(Sdp.Media m, int pt) {
    String prefix = pt + " ";
    for (String f : m.attributes("fmtp")) {
      if (f.startsWith(prefix)) {
        return f.substring(prefix.length()).strip();
      }
    }
    return "";
  }

  /** A section the node does not take: port 0, as RFC 8829 rejects one. */
  static void rejected(StringBuilder sections, Sdp.Media m) {
    sections.append("m=").append(m.kind()).append(" 0 ").append(m.protocol()).append(' ');
    sections.append(m.formats().isEmpty() ? "0" : m.formats().get(0)).append("\r\n");
    sections.append("a=mid:").append(m.mid()).append("\r\n");
    sections.append("a=inactive\r\n");
  }

  /**
   * The start of an accepted section: its m-line with {@code pt}, the node's address, ICE and DTLS
   * parameters ({@code a=setup:SETUP}, replaced once the role is known) and {@code direction}.
   */
  static void accepted(
      StringBuilder sections, Sdp.Media m, int pt, WhipAnswer.Local local, String direction) {
    sections.append("m=").append(m.kind()).append(' ').append(local.port());
    sections.append(" UDP/TLS/RTP/SAVPF ").append(pt).append("\r\n");
    sections.append("c=IN IP4 ").append(local.address()).append("\r\n");
    sections.append("a=mid:").append(m.mid()).append("\r\n");
    sections.append("a=").append(direction).append("\r\n");
    sections.append("a=rtcp-mux\r\n");
    sections.append("a=ice-ufrag:").append(local.ufrag()).append("\r\n");
    sections.append("a=ice-pwd:").append(local.password()).append("\r\n");
    sections.append("a=fingerprint:sha-256 ").append(local.fingerprintSha256()).append("\r\n");
    sections.append("a=setup:SETUP\r\n");
  }

  /** The end of an accepted section: the node's one ICE-lite host candidate. */
  static void candidate(StringBuilder sections, WhipAnswer.Local local) {
    sections.append("a=candidate:1 1 udp 2130706431 ").append(local.address()).append(' ');
    sections.append(local.port()).append(" typ host\r\n");
    sections.append("a=end-of-candidates\r\n");
  }

  /** The offer's ICE and DTLS parameters, from its first accepted section. */
  record Remote(String ufrag, String password, String fingerprint, String setup) {
    Remote merge(Sdp offer, Sdp.Media m) {
      return new Remote(
          ufrag != null ? ufrag : offer.attribute(m, "ice-ufrag"),
          password != null ? password : offer.attribute(m, "ice-pwd"),
          fingerprint != null ? fingerprint : offer.attribute(m, "fingerprint"),
          setup != null ? setup : offer.attribute(m, "setup"));
    }

    /** Checks what every answer needs; the fingerprint as {@code "sha-256 HEX"}. */
    String checkedFingerprint() throws SdpException {
      if (ufrag == null || password == null) {
        throw new SdpException("the offer has no ICE credentials (ice-ufrag, ice-pwd)");
      }
      if (fingerprint == null || !fingerprint.toLowerCase(Locale.ROOT).startsWith("sha-256 ")) {
        throw new SdpException("the offer has no sha-256 DTLS fingerprint");
      }
      return "sha-256 " + fingerprint.substring("sha-256 ".length()).strip();
    }

    /** Whether the node is the DTLS client: only when the offer takes the server's part. */
    boolean nodeIsDtlsClient() {
      return "passive".equals(setup);
    }
  }

  /** The whole answer: the session lines, then the sections with the DTLS role filled in. */
  static String session(
      WhipAnswer.Local local, List<String> bundle, StringBuilder sections, boolean dtlsClient) {
    return "v=0\r\n"
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
  }
}

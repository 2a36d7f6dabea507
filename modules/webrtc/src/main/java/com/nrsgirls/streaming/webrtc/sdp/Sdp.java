package com.nrsgirls.streaming.webrtc.sdp;

import java.util.ArrayList;
import java.util.List;

/**
 * An SDP session description (RFC 8866) as WebRTC offers use it: session-level attributes and media
 * sections, each with its kind, port, protocol, formats and attributes, in order. Reading is
 * bounded (size, lines, sections) and strict about line syntax; unknown lines and attributes are
 * kept, not interpreted.
 */
public final class Sdp {
  /** Longest description read. */
  public static final int MAX_LENGTH = 64 * 1024;

  static final int MAX_MEDIA = 16;
  static final int MAX_LINES = 2000;

  /** One {@code a=} line: {@code name} and the value after the first colon (null if none). */
  public record Attribute(String name, String value) {}

  /** One {@code m=} section. */
  public record Media(
      String kind, int port, String protocol, List<String> formats, List<Attribute> attributes) {
    /** The value of the first attribute called {@code name}; "" for a flag; null if absent. */
    public String attribute(String name) {
      for (Attribute a : attributes) {
        if (a.name().equals(name)) {
          return a.value() == null ? "" : a.value();
        }
      }
      return null;
    }

    public List<String> attributes(String name) {
      List<String> out = new ArrayList<>();
      for (Attribute a : attributes) {
        if (a.name().equals(name)) {
          out.add(a.value() == null ? "" : a.value());
        }
      }
      return out;
    }

    public String mid() {
      return attribute("mid");
    }

    /** sendrecv (the default), sendonly, recvonly or inactive. */
    public String direction() {
      for (String d : List.of("sendonly", "recvonly", "inactive", "sendrecv")) {
        if (attribute(d) != null) {
          return d;
        }
      }
      return "sendrecv";
    }
  }

  private final List<Attribute> session;
  private final List<Media> media;

  private Sdp(List<Attribute> session, List<Media> media) {
    this.session = session;
    this.media = media;
  }

  public List<Media> media() {
    return media;
  }

  /** A session-level attribute ("" for a flag), or null. */
  public String attribute(String name) {
    for (Attribute a : session) {
      if (a.name().equals(name)) {
        return a.value() == null ? "" : a.value();
      }
    }
    return null;
  }

  /**
   * An attribute of the media section, or of the session when the section has none (ICE
   * credentials, fingerprint and setup may be at either level).
   */
  public String attribute(Media m, String name) {
    String v = m.attribute(name);
    return v != null ? v : attribute(name);
  }

  public static Sdp parse(String text) throws SdpException {
    if (text == null || text.isEmpty()) {
      throw new SdpException("the SDP is empty");
    }
    if (text.length() > MAX_LENGTH) {
      throw new SdpException("the SDP is over " + MAX_LENGTH + " characters");
    }
    String[] lines = text.split("\r?\n");
    if (lines.length > MAX_LINES) {
      throw new SdpException("the SDP has over " + MAX_LINES + " lines");
    }
    if (!lines[0].equals("v=0")) {
      throw new SdpException("an SDP starts with v=0");
    }
    List<Attribute> session = new ArrayList<>();
    List<Media> media = new ArrayList<>();
    String kind = null;
    int port = 0;
    String protocol = null;
    List<String> formats = null;
    List<Attribute> attributes = session;
    for (int i = 1; i < lines.length; i++) {
      String line = lines[i];
      if (line.isEmpty()) {
        continue;
      }
      if (line.length() < 2
          || line.charAt(1) != '='
          || line.charAt(0) < 'a'
          || line.charAt(0) > 'z') {
        throw new SdpException("line " + (i + 1) + " is not type=value");
      }
      for (int c = 0; c < line.length(); c++) {
        if (line.charAt(c) < 0x20 && line.charAt(c) != '\t') {
          throw new SdpException("line " + (i + 1) + " holds a control character");
        }
      }
      String value = line.substring(2);
      switch (line.charAt(0)) {
        case 'm' -> {
          if (kind != null) {
            media.add(
                new Media(kind, port, protocol, List.copyOf(formats), List.copyOf(attributes)));
          }
          if (media.size() >= MAX_MEDIA) {
            throw new SdpException("the SDP has over " + MAX_MEDIA + " media sections");
          }
          String[] f = value.split(" ");
          if (f.length < 3) {
            throw new SdpException("line " + (i + 1) + ": m= needs kind, port and protocol");
          }
          kind = f[0];
          try {
            port =
                Integer.parseInt(f[1].contains("/") ? f[1].substring(0, f[1].indexOf('/')) : f[1]);
          } catch (NumberFormatException e) {
            throw new SdpException("line " + (i + 1) + ": the m= port is not a number");
          }
          if (port < 0 || port > 65535) {
            throw new SdpException("line " + (i + 1) + ": the m= port is out of range");
          }
          protocol = f[2];
          formats = new ArrayList<>(List.of(f).subList(3, f.length));
          attributes = new ArrayList<>();
        }
        case 'a' -> {
          int colon = value.indexOf(':');
          attributes.add(
              colon < 0
                  ? new Attribute(value, null)
                  : new Attribute(value.substring(0, colon), value.substring(colon + 1)));
        }
        default -> {
          // v, o, s, t, c, b and the rest: not needed to answer
        }
      }
    }
    if (kind != null) {
      media.add(new Media(kind, port, protocol, List.copyOf(formats), List.copyOf(attributes)));
    }
    if (media.isEmpty()) {
      throw new SdpException("the SDP has no media section");
    }
    return new Sdp(List.copyOf(session), List.copyOf(media));
  }
}

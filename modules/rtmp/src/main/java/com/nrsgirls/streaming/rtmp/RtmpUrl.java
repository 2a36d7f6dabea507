package com.nrsgirls.streaming.rtmp;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;

/**
 * Where a publishing client connects: {@code rtmp://host[:port]/app} or {@code rtmps://...}, as
 * platforms give it (YouTube's {@code rtmp://a.rtmp.youtube.com/live2/}, Facebook's {@code
 * rtmps://live-api-s.facebook.com:443/rtmp/}). The stream key is not part of it.
 *
 * @param tls whether the connection is RTMPS (RTMP inside TLS)
 * @param app the application, the URL's path without its slashes at either end
 */
public record RtmpUrl(boolean tls, String host, int port, String app) {
  public static final int DEFAULT_PORT = 1935;
  public static final int DEFAULT_TLS_PORT = 443;

  public RtmpUrl {
    if (host == null || host.isBlank()) {
      throw new IllegalArgumentException("an RTMP URL needs a host");
    }
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("port out of range: " + port);
    }
    if (app == null || app.isEmpty()) {
      throw new IllegalArgumentException("an RTMP URL needs an application, as in rtmp://host/app");
    }
  }

  /**
   * Reads a platform's server URL.
   *
   * @throws IllegalArgumentException with a message fit for the API's 400 answer
   */
  public static RtmpUrl parse(String url) {
    URI uri;
    try {
      uri = new URI(url.strip());
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException("not a URL: " + e.getReason());
    }
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    boolean tls =
        switch (scheme) {
          case "rtmp" -> false;
          case "rtmps" -> true;
          default ->
              throw new IllegalArgumentException("the URL must start with rtmp:// or rtmps://");
        };
    if (uri.getRawUserInfo() != null || uri.getRawQuery() != null || uri.getRawFragment() != null) {
      throw new IllegalArgumentException(
          "the URL must be rtmp[s]://host[:port]/app, with the stream key given apart");
    }
    String path = uri.getPath() == null ? "" : uri.getPath();
    while (path.startsWith("/")) {
      path = path.substring(1);
    }
    while (path.endsWith("/")) {
      path = path.substring(0, path.length() - 1);
    }
    int port = uri.getPort() >= 0 ? uri.getPort() : tls ? DEFAULT_TLS_PORT : DEFAULT_PORT;
    return new RtmpUrl(tls, uri.getHost(), port, path);
  }

  /** The {@code tcUrl} of the connect command: the URL without the stream key. */
  public String tcUrl() {
    boolean defaultPort = port == (tls ? DEFAULT_TLS_PORT : DEFAULT_PORT);
    return (tls ? "rtmps://" : "rtmp://") + host + (defaultPort ? "" : ":" + port) + "/" + app;
  }

  @Override
  public String toString() {
    return tcUrl();
  }
}

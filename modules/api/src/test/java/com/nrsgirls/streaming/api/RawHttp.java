package com.nrsgirls.streaming.api;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * HTTP/1.1 by hand over a socket, for requests a well-behaved client library will not send
 * (malformed request lines, oversized URIs and headers, bodies that stop arriving).
 */
final class RawHttp {
  private RawHttp() {}

  /** A parsed response; headers by lower-case name. */
  record Response(int status, Map<String, String> headers, String body) {
    String header(String name) {
      return headers.get(name.toLowerCase(Locale.ROOT));
    }
  }

  /** Sends {@code request} as is and reads one response (the server closes or sends a length). */
  static Response exchange(InetSocketAddress server, String request, Duration timeout)
      throws IOException {
    try (Socket socket = new Socket()) {
      socket.connect(server, (int) timeout.toMillis());
      socket.setSoTimeout((int) timeout.toMillis());
      socket.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
      socket.getOutputStream().flush();
      return read(socket.getInputStream());
    }
  }

  /** Reads one response from {@code in}. */
  static Response read(InputStream in) throws IOException {
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    int last4 = 0;
    while (last4 != 0x0d0a0d0a) { // the blank line after the headers
      int b = in.read();
      if (b < 0) {
        throw new IOException("connection closed before a response: " + head);
      }
      head.write(b);
      last4 = (last4 << 8) | b;
    }
    String[] lines = head.toString(StandardCharsets.ISO_8859_1).split("\r\n");
    int status = Integer.parseInt(lines[0].split(" ")[1]);
    Map<String, String> headers = new LinkedHashMap<>();
    for (int i = 1; i < lines.length; i++) {
      int colon = lines[i].indexOf(':');
      if (colon > 0) {
        headers.put(
            lines[i].substring(0, colon).strip().toLowerCase(Locale.ROOT),
            lines[i].substring(colon + 1).strip());
      }
    }
    String length = headers.get("content-length");
    byte[] body = length == null ? in.readAllBytes() : in.readNBytes(Integer.parseInt(length));
    return new Response(status, headers, new String(body, StandardCharsets.UTF_8));
  }

  /**
   * Waits until the server closes {@code socket}; returns how long that took, or fails once {@code
   * timeout} is over.
   */
  static Duration awaitClosed(Socket socket, Duration timeout) throws IOException {
    long start = System.nanoTime();
    socket.setSoTimeout((int) timeout.toMillis());
    try {
      while (socket.getInputStream().read() >= 0) {
        // a response before the close is fine; wait for the end
      }
    } catch (SocketTimeoutException e) {
      throw new AssertionError("the server did not close the connection within " + timeout);
    } catch (IOException reset) {
      // closed with a reset: closed all the same
    }
    return Duration.ofNanos(System.nanoTime() - start);
  }
}

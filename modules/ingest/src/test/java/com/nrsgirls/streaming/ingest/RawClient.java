package com.nrsgirls.streaming.ingest;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;

/** A bare TCP client that sends whatever a test wants and notices when the server hangs up. */
final class RawClient implements AutoCloseable {
  private final Socket socket = new Socket();

  RawClient(InetSocketAddress server) throws IOException {
    socket.connect(server, 5000);
  }

  RawClient send(byte[] bytes) throws IOException {
    socket.getOutputStream().write(bytes);
    socket.getOutputStream().flush();
    return this;
  }

  /**
   * Sends {@code bytes} from a new thread, for input the server may hold back by not reading; join
   * the thread to see whether it got through.
   */
  Thread sendInBackground(byte[] bytes) {
    Thread writer =
        new Thread(
            () -> {
              try {
                send(bytes);
              } catch (IOException e) {
                throw new UncheckedIOException(e);
              }
            });
    writer.start();
    return writer;
  }

  /**
   * Reads (and drops) what the server sends until it closes the connection.
   *
   * @return the bytes read, or -1 if the connection was still open after {@code timeout}
   */
  long awaitClosed(Duration timeout) throws IOException {
    long deadline = System.nanoTime() + timeout.toNanos();
    InputStream in = socket.getInputStream();
    byte[] buffer = new byte[8192];
    long total = 0;
    while (true) {
      long left = (deadline - System.nanoTime()) / 1_000_000;
      if (left <= 0) {
        return -1;
      }
      socket.setSoTimeout((int) Math.max(1, left));
      try {
        int n = in.read(buffer);
        if (n < 0) {
          return total;
        }
        total += n;
      } catch (SocketTimeoutException e) {
        return -1;
      } catch (IOException e) {
        return total; // reset by the server: closed as well
      }
    }
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}

package com.nrsgirls.streaming.testkit;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;

/**
 * A TLS front for a plain TCP server in tests, as stunnel is in front of nginx-rtmp for RTMPS: it
 * listens on 127.0.0.1 with a self-signed certificate for the IP address 127.0.0.1 (made with the
 * JDK's keytool) and forwards each connection's decrypted bytes to {@code 127.0.0.1:targetPort}.
 * {@link #certificatePem()} is what a client must trust.
 */
public final class TlsProxy implements AutoCloseable {
  private static final String PASSWORD = "changeit";

  private final SSLServerSocket server;
  private final Path certificate;
  private final int targetPort;
  private final AtomicInteger handshakes = new AtomicInteger();
  private final Thread acceptor;

  private TlsProxy(SSLServerSocket server, Path certificate, int targetPort) {
    this.server = server;
    this.certificate = certificate;
    this.targetPort = targetPort;
    this.acceptor = new Thread(this::accept, "tls-proxy-" + server.getLocalPort());
    this.acceptor.setDaemon(true);
  }

  /** Makes a certificate in {@code dir} and starts listening on a free port. */
  public static TlsProxy start(Path dir, int targetPort) throws Exception {
    Files.createDirectories(dir);
    Path store = dir.resolve("server.p12");
    Path pem = dir.resolve("server.pem");
    String keytool = Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
    Processes.Result made =
        Processes.run(
            List.of(
                keytool,
                "-genkeypair",
                "-alias",
                "nrs",
                "-keyalg",
                "EC",
                "-groupname",
                "secp256r1",
                "-dname",
                "CN=127.0.0.1",
                "-ext",
                "san=ip:127.0.0.1",
                "-validity",
                "2",
                "-keystore",
                store.toString(),
                "-storetype",
                "PKCS12",
                "-storepass",
                PASSWORD,
                "-keypass",
                PASSWORD),
            Duration.ofSeconds(60));
    if (made.exitCode() != 0) {
      throw new IllegalStateException("keytool failed: " + made.stderr());
    }
    Processes.Result exported =
        Processes.run(
            List.of(
                keytool,
                "-exportcert",
                "-rfc",
                "-alias",
                "nrs",
                "-keystore",
                store.toString(),
                "-storepass",
                PASSWORD,
                "-file",
                pem.toString()),
            Duration.ofSeconds(60));
    if (exported.exitCode() != 0) {
      throw new IllegalStateException("keytool failed: " + exported.stderr());
    }
    KeyStore keys = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(store)) {
      keys.load(in, PASSWORD.toCharArray());
    }
    KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    kmf.init(keys, PASSWORD.toCharArray());
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(kmf.getKeyManagers(), null, null);
    SSLServerSocket server =
        (SSLServerSocket)
            context
                .getServerSocketFactory()
                .createServerSocket(0, 50, InetAddress.getByName("127.0.0.1"));
    TlsProxy proxy = new TlsProxy(server, pem, targetPort);
    proxy.acceptor.start();
    return proxy;
  }

  public int port() {
    return server.getLocalPort();
  }

  /** The server's certificate, PEM: what a client must trust. */
  public Path certificatePem() {
    return certificate;
  }

  /** TLS connections that completed their handshake so far. */
  public int handshakes() {
    return handshakes.get();
  }

  private void accept() {
    while (!server.isClosed()) {
      try {
        javax.net.ssl.SSLSocket client = (javax.net.ssl.SSLSocket) server.accept();
        Thread t =
            new Thread(
                () -> {
                  try (client;
                      Socket backend = new Socket()) {
                    client.startHandshake();
                    handshakes.incrementAndGet();
                    backend.connect(new InetSocketAddress("127.0.0.1", targetPort), 5000);
                    Thread up = pump(client.getInputStream(), backend.getOutputStream(), backend);
                    pump(backend.getInputStream(), client.getOutputStream(), client).join();
                    up.join();
                  } catch (IOException | InterruptedException e) {
                    // the connection is over
                  }
                },
                "tls-proxy-connection");
        t.setDaemon(true);
        t.start();
      } catch (IOException e) {
        return; // closed
      }
    }
  }

  private static Thread pump(InputStream in, OutputStream out, Socket closeAfter) {
    Thread t =
        new Thread(
            () -> {
              byte[] buffer = new byte[16384];
              try {
                int n;
                while ((n = in.read(buffer)) >= 0) {
                  out.write(buffer, 0, n);
                  out.flush();
                }
              } catch (IOException e) {
                // one side went away
              } finally {
                try {
                  closeAfter.close();
                } catch (IOException e) {
                  // already closed
                }
              }
            },
            "tls-proxy-pump");
    t.setDaemon(true);
    t.start();
    return t;
  }

  @Override
  public void close() throws IOException {
    server.close();
  }
}

package com.nrsgirls.streaming.testkit;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * A real S3-compatible server for tests: S3Proxy (from Maven Central, its jar named by the system
 * property {@code nrs.s3proxy.jar} that the build sets) on its filesystem backend, as a process
 * listening on 127.0.0.1 only, on a free port, checking AWS signatures (V2 and V4) with {@link
 * #ACCESS_KEY} and {@link #SECRET_KEY}. A bucket is a directory under {@code <dir>/data}, so
 * objects survive {@link #kill()} and {@link #restart()}.
 *
 * <p>S3Mock, which the stack notes name, cannot be used here: its plain-HTTP connector listens on
 * every interface whatever it is told.
 */
public final class S3Server implements AutoCloseable {
  public static final String ACCESS_KEY = "nrs-test";
  public static final String SECRET_KEY = "nrs-test-secret";

  private final Path dir;
  private final int port;
  private Process process;

  private S3Server(Path dir, int port) {
    this.dir = dir;
    this.port = port;
  }

  /** The S3Proxy jar, from the {@code nrs.s3proxy.jar} system property. */
  public static Path jar() {
    String p = System.getProperty("nrs.s3proxy.jar");
    if (p == null || !Files.isRegularFile(Path.of(p))) {
      throw new IllegalStateException(
          "nrs.s3proxy.jar does not name the S3Proxy jar (" + p + "); run the tests through Maven");
    }
    return Path.of(p);
  }

  /** Starts it in {@code dir} (created if missing) with the given buckets, on a free port. */
  public static S3Server start(Path dir, String... buckets)
      throws IOException, InterruptedException {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    S3Server server = new S3Server(dir, port);
    for (String bucket : buckets) {
      Files.createDirectories(dir.resolve("data").resolve(bucket));
    }
    server.restart();
    return server;
  }

  /** Starts it again on the same port, with the same objects, after {@link #kill()}. */
  public void restart() throws IOException, InterruptedException {
    Files.createDirectories(dir.resolve("data"));
    Path conf = dir.resolve("s3proxy.conf");
    Files.writeString(
        conf,
        "s3proxy.endpoint=http://127.0.0.1:"
            + port
            + "\n"
            + "s3proxy.authorization=aws-v2-or-v4\n"
            + "s3proxy.identity="
            + ACCESS_KEY
            + "\n"
            + "s3proxy.credential="
            + SECRET_KEY
            + "\n"
            + "jclouds.provider=filesystem\n"
            + "jclouds.filesystem.basedir="
            + dir.resolve("data")
            + "\n");
    Path log = dir.resolve("s3proxy.log");
    process =
        new ProcessBuilder(
                List.of(
                    Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-Xmx256m",
                    "-jar",
                    jar().toString(),
                    "--properties",
                    conf.toString()))
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
            .start();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (true) {
      if (!process.isAlive()) {
        throw new IllegalStateException(
            "S3Proxy exited " + process.exitValue() + ": " + Files.readString(log));
      }
      try (Socket s = new Socket()) {
        s.connect(new InetSocketAddress("127.0.0.1", port), 500);
        return;
      } catch (IOException e) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("S3Proxy never listened on " + port);
        }
        LockSupport.parkNanos(Duration.ofMillis(50).toNanos()); // poll interval of a probe
      }
    }
  }

  /** {@code http://127.0.0.1:port}. */
  public String endpoint() {
    return "http://127.0.0.1:" + port;
  }

  public int port() {
    return port;
  }

  /** Where the objects of {@code bucket} are, as files named by their keys. */
  public Path bucketDir(String bucket) {
    return dir.resolve("data").resolve(bucket);
  }

  /** Kills it at once (storage that goes away mid-stream). */
  public void kill() throws InterruptedException {
    if (process != null && process.isAlive()) {
      process.destroyForcibly();
      process.waitFor(10, TimeUnit.SECONDS);
    }
  }

  @Override
  public void close() throws InterruptedException {
    kill();
  }
}

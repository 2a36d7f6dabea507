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
 * An RTMP server of another make for tests: Debian's nginx with libnginx-mod-rtmp, one process
 * (master_process off, so it runs as the test's user), listening on 127.0.0.1 on a free port, with
 * an application {@code live} that records every published stream to {@code
 * <dir>/record/<name>.flv}. {@code bin/test} installs the packages.
 */
public final class NginxRtmp implements AutoCloseable {
  public static final Path MODULE = Path.of("/usr/lib/nginx/modules/ngx_rtmp_module.so");

  private final Path dir;
  private final int port;
  private Process process;

  private NginxRtmp(Path dir, int port) {
    this.dir = dir;
    this.port = port;
  }

  /** Whether nginx and its RTMP module are installed. */
  public static boolean available() {
    return Files.exists(MODULE) && Files.isExecutable(Path.of("/usr/sbin/nginx"));
  }

  /** Starts it in {@code dir} (created if missing) on a free port. */
  public static NginxRtmp start(Path dir) throws IOException, InterruptedException {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    NginxRtmp nginx = new NginxRtmp(dir, port);
    nginx.restart();
    return nginx;
  }

  /** Starts it again on the same port after {@link #kill()} (a target that comes back). */
  public void restart() throws IOException, InterruptedException {
    Files.createDirectories(dir.resolve("record"));
    Files.createDirectories(dir.resolve("logs"));
    String conf =
        "load_module "
            + MODULE
            + ";\n"
            + "daemon off;\nmaster_process off;\n"
            + "pid "
            + dir.resolve("nginx.pid")
            + ";\n"
            + "error_log "
            + dir.resolve("logs/error.log")
            + " warn;\n"
            + "events { worker_connections 256; }\n"
            + "rtmp {\n  server {\n    listen 127.0.0.1:"
            + port
            + ";\n    chunk_size 4096;\n"
            + "    application live {\n      live on;\n      record all;\n      record_path "
            + dir.resolve("record")
            + ";\n      record_unique off;\n    }\n  }\n}\n";
    Path confFile = dir.resolve("nginx.conf");
    Files.writeString(confFile, conf);
    process =
        new ProcessBuilder(List.of("nginx", "-p", dir.toString(), "-c", confFile.toString()))
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("logs/stdout.log").toFile())
            .start();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
    while (true) {
      if (!process.isAlive()) {
        throw new IllegalStateException(
            "nginx exited "
                + process.exitValue()
                + ": "
                + Files.readString(dir.resolve("logs/stdout.log"))
                + readIfExists(dir.resolve("logs/error.log")));
      }
      try (Socket s = new Socket()) {
        s.connect(new InetSocketAddress("127.0.0.1", port), 500);
        return;
      } catch (IOException e) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("nginx never listened on " + port);
        }
        LockSupport.parkNanos(Duration.ofMillis(20).toNanos()); // poll interval of a probe
      }
    }
  }

  private static String readIfExists(Path p) throws IOException {
    return Files.exists(p) ? Files.readString(p) : "";
  }

  public int port() {
    return port;
  }

  /** {@code rtmp://127.0.0.1:port/live}: the server URL of a restream target. */
  public String serverUrl() {
    return "rtmp://127.0.0.1:" + port + "/live";
  }

  /** Where a stream published as {@code name} is recorded. */
  public Path recording(String name) {
    return dir.resolve("record").resolve(name + ".flv");
  }

  /** Kills it at once (a target that dies mid-stream). */
  public void kill() throws InterruptedException {
    if (process != null && process.isAlive()) {
      process.destroyForcibly();
      process.waitFor(10, TimeUnit.SECONDS);
    }
  }

  /** Stops it: SIGTERM, so recordings are closed, then waits. */
  @Override
  public void close() throws InterruptedException {
    if (process != null && process.isAlive()) {
      process.destroy();
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        process.waitFor(5, TimeUnit.SECONDS);
      }
    }
  }
}

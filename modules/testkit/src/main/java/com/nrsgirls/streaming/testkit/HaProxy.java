package com.nrsgirls.streaming.testkit;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Debian's HAProxy as a TCP load balancer in front of nodes under test: one process in the
 * foreground ({@code -db}) with the configuration a test gives, its log on standard error in a
 * file. {@code bin/test} installs the package.
 */
public final class HaProxy implements AutoCloseable {
  public static final Path BINARY = Path.of("/usr/sbin/haproxy");

  private final Process process;
  private final Path log;

  private HaProxy(Process process, Path log) {
    this.process = process;
    this.log = log;
  }

  public static boolean available() {
    return Files.isExecutable(BINARY);
  }

  /**
   * Writes {@code config} to {@code dir/haproxy.cfg}, checks it, starts HAProxy and waits until
   * every one of {@code listening} accepts connections.
   */
  public static HaProxy start(Path dir, String config, List<InetSocketAddress> listening)
      throws IOException, InterruptedException {
    Files.createDirectories(dir);
    Path cfg = dir.resolve("haproxy.cfg");
    Files.writeString(cfg, config);
    Processes.Result check =
        Processes.run(
            List.of(BINARY.toString(), "-c", "-q", "-f", cfg.toString()), Duration.ofSeconds(20));
    if (check.exitCode() != 0) {
      throw new IllegalStateException("haproxy refuses the config: " + check.stderr());
    }
    Path log = dir.resolve("haproxy.log");
    Process p =
        new ProcessBuilder(BINARY.toString(), "-db", "-f", cfg.toString())
            .redirectErrorStream(true)
            .redirectOutput(log.toFile())
            .start();
    HaProxy haproxy = new HaProxy(p, log);
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    for (InetSocketAddress address : listening) {
      while (!accepts(address)) {
        if (!p.isAlive() || System.nanoTime() > deadline) {
          haproxy.close();
          throw new IllegalStateException(
              "haproxy did not listen on " + address + ": " + Files.readString(log));
        }
        Thread.sleep(20); // poll interval of a probe
      }
    }
    return haproxy;
  }

  private static boolean accepts(InetSocketAddress address) {
    try (Socket s = new Socket()) {
      s.connect(address, 500);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  public String logText() throws IOException {
    return Files.exists(log) ? Files.readString(log) : "";
  }

  @Override
  public void close() throws InterruptedException {
    process.destroy();
    if (!process.waitFor(10, TimeUnit.SECONDS)) {
      process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
  }
}

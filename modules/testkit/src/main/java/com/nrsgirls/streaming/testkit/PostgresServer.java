package com.nrsgirls.streaming.testkit;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * A private PostgreSQL server for one test class: its own cluster in a temporary directory
 * (initdb), listening on 127.0.0.1 on a free port, with a trusted superuser {@link #USER}, fsync
 * off. Needs Debian's {@code postgresql} package ({@code .ci/run} installs it). PostgreSQL refuses
 * to run as root, so under root the cluster belongs to the {@code postgres} user and its commands
 * run through {@code runuser}.
 */
public final class PostgresServer implements AutoCloseable {
  public static final String USER = "nrs";
  private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(60);

  private final Path bin;
  private final Path dir;
  private final Path data;
  private final int port;
  private final boolean asPostgresUser;

  private PostgresServer(Path bin, Path dir, Path data, int port, boolean asPostgresUser) {
    this.bin = bin;
    this.dir = dir;
    this.data = data;
    this.port = port;
    this.asPostgresUser = asPostgresUser;
  }

  /** Whether the PostgreSQL server binaries are installed. */
  public static boolean available() {
    return binaries().isPresent();
  }

  /**
   * Creates and starts a cluster in a new temporary directory (readable by the {@code postgres}
   * user, unlike a JUnit {@code @TempDir}); {@link #close()} stops it and deletes the directory.
   */
  public static PostgresServer start() throws IOException, InterruptedException {
    Path bin =
        binaries()
            .orElseThrow(
                () ->
                    new IllegalStateException(
                        "no PostgreSQL under /usr/lib/postgresql: apt-get install postgresql"));
    Path dir =
        Files.createTempDirectory(
            "nrs-pg-",
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
    boolean root = "root".equals(System.getProperty("user.name"));
    if (root) {
      check(Processes.run(List.of("chown", "-R", "postgres", dir.toString()), COMMAND_TIMEOUT));
    }
    Path data = dir.resolve("data");
    int port = freePort();
    PostgresServer server = new PostgresServer(bin, dir, data, port, root);
    server.command(
        "initdb", "-D", data.toString(), "-U", USER, "--auth=trust", "-E", "UTF8", "--no-sync");
    server.command(
        "pg_ctl",
        "-D",
        data.toString(),
        "-l",
        dir.resolve("server.log").toString(),
        "-w",
        "-t",
        "60",
        "-o",
        "-p "
            + port
            + " -k "
            + dir
            + " -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off",
        "start");
    return server;
  }

  /** A JDBC URL of the server's {@code postgres} database. */
  public String jdbcUrl() {
    return "jdbc:postgresql://127.0.0.1:" + port + "/postgres";
  }

  /** Creates a database of its own (one per test, say) and returns its JDBC URL. */
  public String createDatabase(String name) throws IOException, InterruptedException {
    command("createdb", "-h", "127.0.0.1", "-p", String.valueOf(port), "-U", USER, name);
    return "jdbc:postgresql://127.0.0.1:" + port + "/" + name;
  }

  public int port() {
    return port;
  }

  /** Stops the server at once and deletes its directory. */
  @Override
  public void close() throws IOException, InterruptedException {
    try {
      command("pg_ctl", "-D", data.toString(), "-m", "immediate", "-w", "stop");
    } finally {
      Processes.run(List.of("rm", "-rf", dir.toString()), COMMAND_TIMEOUT);
    }
  }

  private void command(String program, String... args) throws IOException, InterruptedException {
    List<String> line = new ArrayList<>();
    if (asPostgresUser) {
      line.addAll(List.of("runuser", "-u", "postgres", "--"));
    }
    line.add(bin.resolve(program).toString());
    line.addAll(Arrays.asList(args));
    check(Processes.run(line, COMMAND_TIMEOUT));
  }

  private static void check(Processes.Result result) {
    if (result.exitCode() != 0) {
      throw new IllegalStateException(
          "PostgreSQL command failed (exit " + result.exitCode() + "): " + result.stderr());
    }
  }

  private static Optional<Path> binaries() {
    Path root = Path.of("/usr/lib/postgresql");
    if (!Files.isDirectory(root)) {
      return Optional.empty();
    }
    try (var versions = Files.list(root)) {
      return versions
          .map(v -> v.resolve("bin"))
          .filter(b -> Files.isExecutable(b.resolve("initdb")))
          .max(Comparator.comparing(b -> b.getParent().getFileName().toString()));
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }
}

package com.nrsgirls.streaming.api;

import com.typesafe.config.Config;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;
import org.h2.mvstore.MVStoreTool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's data directory, prepared before anything opens it: the journal owner-only (it holds
 * key hashes and session addresses; the admin token file, the operator credential, is owner-only
 * too), the data directory itself not listable by others but passable (0711), so that a web server
 * running as another user can still serve the public segments under {@code hls/}, and, on the
 * embedded H2 journal, a compaction of the journal file.
 *
 * <p>The H2 journal runs with {@code REUSE_SPACE=FALSE} (see pipeline's reference.conf: with space
 * reuse, H2 2.5 can recover a killed node's journal to a state up to 20 commits old), so its file
 * only grows while the node runs (about 20 KB per commit). Compacting it here, before the journal
 * opens it, copies the live data into a fresh file (MVStoreTool: 120 MB of 5 700 commits became 1.8
 * MB in 0.3 s on this machine).
 */
final class DataDirectory {
  private static final Logger log = LoggerFactory.getLogger(DataDirectory.class);
  private static final String H2_FILE_URL = "jdbc:h2:file:";
  private static final String H2_SUFFIX = ".mv.db";
  static final Set<PosixFilePermission> OWNER_ONLY_DIR =
      PosixFilePermissions.fromString("rwx------");
  static final Set<PosixFilePermission> OWNER_ONLY_FILE =
      PosixFilePermissions.fromString("rw-------");
  static final Set<PosixFilePermission> PASSABLE_DIR = PosixFilePermissions.fromString("rwx--x--x");

  private DataDirectory() {}

  /** Creates the data directory (0711), and tightens and compacts an existing H2 journal. */
  static void prepare(Config config) throws IOException {
    Path dataDir = Path.of(config.getString("nrs.streaming.data-dir"));
    createOwnerOnly(dataDir);
    restrict(dataDir, PASSABLE_DIR);
    Optional<Path> journal = h2JournalFile(config);
    if (journal.isPresent()) {
      Path dir = journal.get().getParent();
      createOwnerOnly(dir);
      restrict(dir, OWNER_ONLY_DIR);
      if (Files.exists(journal.get())) {
        compact(journal.get());
      }
    }
  }

  /**
   * Makes every file of the H2 journal owner-only; H2 creates them with the process's umask. Run
   * once the journal has opened its files.
   */
  static void restrictJournalFiles(Config config) throws IOException {
    Optional<Path> journal = h2JournalFile(config);
    if (journal.isEmpty() || !Files.isDirectory(journal.get().getParent())) {
      return;
    }
    try (Stream<Path> files = Files.list(journal.get().getParent())) {
      for (Path f : files.filter(Files::isRegularFile).toList()) {
        restrict(f, OWNER_ONLY_FILE);
      }
    }
  }

  /** The H2 journal's main file, when the node runs on the embedded H2 journal. */
  static Optional<Path> h2JournalFile(Config config) {
    if (!config.getString("nrs.streaming.journal").equals("h2")) {
      return Optional.empty();
    }
    String url = config.getString("pekko-persistence-jdbc.shared-databases.nrs.db.url");
    if (!url.startsWith(H2_FILE_URL)) {
      return Optional.empty();
    }
    int options = url.indexOf(';');
    String path = url.substring(H2_FILE_URL.length(), options < 0 ? url.length() : options);
    return Optional.of(Path.of(path + H2_SUFFIX).toAbsolutePath());
  }

  private static void compact(Path file) {
    long before = sizeOf(file);
    long start = System.nanoTime();
    try {
      MVStoreTool.compact(file.toString(), false);
      restrict(file, OWNER_ONLY_FILE);
      log.info(
          "journal {} compacted from {} KiB to {} KiB in {} ms",
          file,
          before / 1024,
          sizeOf(file) / 1024,
          (System.nanoTime() - start) / 1_000_000);
    } catch (RuntimeException | IOException e) {
      // The journal opens the uncompacted file as it is; a broken file fails there, clearly.
      log.warn("journal {} could not be compacted, opening it as it is: {}", file, e.toString());
    }
  }

  private static long sizeOf(Path file) {
    try {
      return Files.size(file);
    } catch (IOException e) {
      return -1;
    }
  }

  private static void createOwnerOnly(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      FileAttribute<?>[] attributes =
          posix(dir.toAbsolutePath().getRoot())
              ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(OWNER_ONLY_DIR)}
              : new FileAttribute<?>[0];
      Files.createDirectories(dir, attributes);
    }
  }

  private static void restrict(Path path, Set<PosixFilePermission> permissions) throws IOException {
    if (posix(path)) {
      Files.setPosixFilePermissions(path, permissions);
    }
  }

  private static boolean posix(Path path) {
    return path.getFileSystem().supportedFileAttributeViews().contains("posix");
  }
}

package com.nrsgirls.streaming.api;

import com.nrsgirls.streaming.core.secret.SecretSeal;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;

/**
 * The node's master key, which seals restream targets' stream keys in the journal. Taken from
 * {@code NRS_MASTER_KEY} ({@code nrs.streaming.secrets.master-key}) when set; otherwise read from
 * {@code master-key} in the data directory, or generated there at first start (owner-only). It is
 * never logged or printed.
 */
final class MasterKey {
  static final String FILE_NAME = "master-key";

  private MasterKey() {}

  static SecretSeal load(Optional<String> configured, Path dataDir) throws IOException {
    if (configured.isPresent()) {
      return fromText(configured.get(), "nrs.streaming.secrets.master-key (NRS_MASTER_KEY)");
    }
    Path file = dataDir.resolve(FILE_NAME);
    if (!Files.exists(file)) {
      Files.createDirectories(dataDir);
      Files.writeString(
          file,
          SecretSeal.newMasterKey() + "\n",
          StandardCharsets.UTF_8,
          StandardOpenOption.CREATE_NEW);
      try {
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
      } catch (UnsupportedOperationException e) {
        // not a POSIX file system; the data directory's own permissions have to do
      }
    }
    return fromText(Files.readString(file, StandardCharsets.UTF_8), file.toString());
  }

  private static SecretSeal fromText(String text, String where) {
    try {
      return SecretSeal.fromText(text);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(where + ": " + e.getMessage());
    }
  }
}

package com.nrsgirls.streaming.api;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Optional;

/**
 * The operator API's bearer token. Taken from {@code NRS_ADMIN_TOKEN} when set; otherwise read from
 * {@code admin-token} in the data directory, or generated there at first start (owner-only
 * permissions). Compared in constant time.
 */
public final class AdminToken {
  static final String FILE_NAME = "admin-token";

  private final byte[] token;
  private final boolean generated;
  private final Path file;

  private AdminToken(String token, boolean generated, Path file) {
    this.token = token.getBytes(StandardCharsets.UTF_8);
    this.generated = generated;
    this.file = file;
  }

  public static AdminToken load(Optional<String> configured, Path dataDir) throws IOException {
    if (configured.isPresent()) {
      return new AdminToken(configured.get(), false, null);
    }
    Path file = dataDir.resolve(FILE_NAME);
    if (Files.exists(file)) {
      return new AdminToken(Files.readString(file, StandardCharsets.UTF_8).strip(), false, file);
    }
    byte[] random = new byte[32];
    new SecureRandom().nextBytes(random);
    String token = Base64.getUrlEncoder().withoutPadding().encodeToString(random);
    Files.createDirectories(dataDir);
    Files.writeString(file, token + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE_NEW);
    try {
      Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
    } catch (UnsupportedOperationException e) {
      // not a POSIX file system; the data directory's own permissions have to do
    }
    return new AdminToken(token, true, file);
  }

  /** Whether this start generated the token (so the node prints it, once). */
  public boolean generated() {
    return generated;
  }

  /** Where the token is kept, when it came from the data directory. */
  public Optional<Path> file() {
    return Optional.ofNullable(file);
  }

  /** The token itself: only for printing it once at first start. */
  public String reveal() {
    return new String(token, StandardCharsets.UTF_8);
  }

  public boolean matches(String presented) {
    return presented != null
        && MessageDigest.isEqual(token, presented.getBytes(StandardCharsets.UTF_8));
  }
}

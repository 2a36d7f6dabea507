package com.nrsgirls.streaming.pipeline.store;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.Done;
import org.apache.pekko.stream.javadsl.FileIO;
import org.apache.pekko.util.ByteString;

/**
 * The embedded default: objects are files under a directory, a key's segments its path. A put
 * writes a temporary file beside the object and moves it into place, so a reader sees the old
 * object or the new one, never a part. File work runs on the given (blocking) executor.
 */
public final class LocalObjectStore implements ObjectStore {
  private static final String TEMP_SUFFIX = ".part";

  private final Path root;
  private final Executor blocking;
  private final AtomicLong temps = new AtomicLong();

  public LocalObjectStore(Path root, Executor blocking) {
    this.root = root.toAbsolutePath().normalize();
    this.blocking = blocking;
  }

  public Path root() {
    return root;
  }

  /** The file holding {@code key}. */
  public Path file(String key) {
    return root.resolve(ObjectStore.checkKey(key));
  }

  @Override
  public CompletionStage<Done> put(String key, ByteString data, String contentType) {
    return replace(key, temp -> Files.write(temp, data.toArrayUnsafe()));
  }

  @Override
  public CompletionStage<Done> putFile(String key, Path file, String contentType) {
    return replace(
        key,
        temp -> {
          try {
            // the same file system (the recording spool beside the store): no bytes copied
            Files.createLink(temp, file);
          } catch (IOException | UnsupportedOperationException e) {
            Files.copy(file, temp, StandardCopyOption.REPLACE_EXISTING);
          }
        });
  }

  private interface Fill {
    void into(Path temp) throws IOException;
  }

  /** Fills a temporary file beside the object, then moves it into place. */
  private CompletionStage<Done> replace(String key, Fill fill) {
    Path target = file(key);
    return run(
        "put " + key,
        () -> {
          Path temp = temp(target);
          try {
            fill.into(temp);
            move(temp, target);
          } finally {
            Files.deleteIfExists(temp);
          }
          return Done.getInstance();
        });
  }

  private Path temp(Path target) throws IOException {
    Files.createDirectories(target.getParent());
    return target.resolveSibling(
        "." + target.getFileName() + "." + temps.incrementAndGet() + TEMP_SUFFIX);
  }

  private static void move(Path from, Path to) throws IOException {
    try {
      Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
    }
  }

  @Override
  public CompletionStage<Optional<ByteString>> get(String key) {
    Path target = file(key);
    return run(
        "get " + key,
        () -> {
          try {
            return Optional.of(ByteString.fromArrayUnsafe(Files.readAllBytes(target)));
          } catch (NoSuchFileException e) {
            return Optional.empty();
          }
        });
  }

  @Override
  public CompletionStage<Optional<Body>> open(String key) {
    Path target = file(key);
    return run(
        "open " + key,
        () -> {
          try {
            long size = Files.size(target);
            return Optional.of(
                new Body(
                    size,
                    FileIO.fromPath(target, 256 * 1024)
                        .mapMaterializedValue(m -> org.apache.pekko.NotUsed.getInstance())));
          } catch (NoSuchFileException e) {
            return Optional.empty();
          }
        });
  }

  @Override
  public CompletionStage<List<StoredObject>> list(String prefix) {
    return run(
        "list " + prefix,
        () -> {
          List<StoredObject> found = new ArrayList<>();
          if (!Files.isDirectory(root)) {
            return found;
          }
          // walk only the directory the prefix names, if it names one
          int slash = prefix.lastIndexOf('/');
          Path start = slash < 0 ? root : root.resolve(prefix.substring(0, slash));
          if (!start.normalize().startsWith(root) || !Files.isDirectory(start)) {
            return found;
          }
          Files.walkFileTree(
              start,
              new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                  String name = file.getFileName().toString();
                  if (name.startsWith(".")) {
                    return FileVisitResult.CONTINUE; // a put in progress
                  }
                  String key = root.relativize(file).toString().replace('\\', '/');
                  if (key.startsWith(prefix)) {
                    found.add(new StoredObject(key, attrs.size()));
                  }
                  return FileVisitResult.CONTINUE;
                }
              });
          found.sort(Comparator.comparing(StoredObject::key));
          return found;
        });
  }

  @Override
  public CompletionStage<Done> delete(String key) {
    Path target = file(key);
    return run(
        "delete " + key,
        () -> {
          Files.deleteIfExists(target);
          return Done.getInstance();
        });
  }

  @Override
  public String describe() {
    return "local directory " + root;
  }

  private interface IoCall<T> {
    T call() throws IOException;
  }

  private <T> CompletionStage<T> run(String what, IoCall<T> call) {
    return CompletableFuture.supplyAsync(
        () -> {
          try {
            return call.call();
          } catch (IOException e) {
            throw new StoreException(
                what + " in " + describe() + " failed: " + e, new UncheckedIOException(e));
          }
        },
        blocking);
  }
}

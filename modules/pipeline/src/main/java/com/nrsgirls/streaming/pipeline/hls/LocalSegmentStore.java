package com.nrsgirls.streaming.pipeline.hls;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A {@link SegmentStore} on a local directory, the embedded default:
 *
 * <pre>
 * root/{streamId}/index.m3u8               master playlist
 * root/{streamId}/{rendition}/index.m3u8   media playlist
 * root/{streamId}/{rendition}/{name}       segments
 * </pre>
 *
 * Every file is written to a hidden temp file beside its target (names starting with '.', which
 * {@link SegmentStore#checkName} never lets a real name have) and moved over it atomically. A
 * segment's bytes go straight from the caller's array to its file channel: the muxer already hands
 * over chunks of many packets, so a buffer here would only copy every byte once more. Thread safe;
 * each output is used by one thread.
 */
public final class LocalSegmentStore implements SegmentStore {
  private static final String PLAYLIST = "index.m3u8";

  private final Path root;
  private final AtomicLong tempCounter = new AtomicLong();

  public LocalSegmentStore(Path root) {
    this.root = root.toAbsolutePath().normalize();
  }

  public Path root() {
    return root;
  }

  /** The directory a rendition's playlist and segments live in. */
  public Path renditionDirectory(String streamId, String rendition) {
    return root.resolve(SegmentStore.checkName("stream id", streamId))
        .resolve(SegmentStore.checkName("rendition", rendition));
  }

  @Override
  public SegmentOutput createSegment(String streamId, String rendition, String name)
      throws IOException {
    SegmentStore.checkName("segment name", name);
    Path dir = renditionDirectory(streamId, rendition);
    Files.createDirectories(dir);
    Path temp = tempFile(dir, name);
    FileChannel channel =
        FileChannel.open(
            temp,
            StandardOpenOption.CREATE,
            StandardOpenOption.TRUNCATE_EXISTING,
            StandardOpenOption.WRITE);
    return new LocalSegmentOutput(channel, temp, dir.resolve(name));
  }

  /** Written under its own name from the start: readers read what was written as it grows. */
  @Override
  public SegmentOutput createGrowingSegment(String streamId, String rendition, String name)
      throws IOException {
    SegmentStore.checkName("segment name", name);
    Path dir = renditionDirectory(streamId, rendition);
    Files.createDirectories(dir);
    Path target = dir.resolve(name);
    FileChannel channel =
        FileChannel.open(
            target,
            StandardOpenOption.CREATE,
            StandardOpenOption.TRUNCATE_EXISTING,
            StandardOpenOption.WRITE);
    return new LocalSegmentOutput(channel, target, target);
  }

  @Override
  public void writeMediaPlaylist(String streamId, String rendition, String text)
      throws IOException {
    Path dir = renditionDirectory(streamId, rendition);
    replace(dir, PLAYLIST, text);
  }

  @Override
  public Optional<String> readMediaPlaylist(String streamId, String rendition) throws IOException {
    Path file = renditionDirectory(streamId, rendition).resolve(PLAYLIST);
    try {
      return Optional.of(Files.readString(file, StandardCharsets.UTF_8));
    } catch (NoSuchFileException e) {
      return Optional.empty();
    }
  }

  @Override
  public void writeMasterPlaylist(String streamId, String text) throws IOException {
    replace(root.resolve(SegmentStore.checkName("stream id", streamId)), PLAYLIST, text);
  }

  @Override
  public void deleteSegment(String streamId, String rendition, String name) throws IOException {
    SegmentStore.checkName("segment name", name);
    Files.deleteIfExists(renditionDirectory(streamId, rendition).resolve(name));
  }

  private void replace(Path dir, String name, String text) throws IOException {
    Files.createDirectories(dir);
    Path temp = tempFile(dir, name);
    try {
      Files.writeString(temp, text, StandardCharsets.UTF_8);
      Files.move(temp, dir.resolve(name), StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      Files.deleteIfExists(temp);
      throw e;
    }
  }

  private Path tempFile(Path dir, String name) {
    return dir.resolve("." + name + "." + tempCounter.incrementAndGet() + ".tmp");
  }

  private static final class LocalSegmentOutput implements SegmentOutput {
    private final FileChannel out;
    private final Path temp;
    private final Path target;
    private boolean done;

    LocalSegmentOutput(FileChannel out, Path temp, Path target) {
      this.out = out;
      this.temp = temp;
      this.target = target;
    }

    @Override
    public void write(byte[] data, int offset, int length) throws IOException {
      if (done) {
        throw new IOException("segment " + target.getFileName() + " is already closed");
      }
      ByteBuffer buffer = ByteBuffer.wrap(data, offset, length);
      while (buffer.hasRemaining()) {
        out.write(buffer);
      }
    }

    @Override
    public void commit() throws IOException {
      if (done) {
        throw new IOException("segment " + target.getFileName() + " is already closed");
      }
      done = true;
      try {
        out.close();
        if (temp.equals(target)) {
          return; // a growing segment: already under its name
        }
        Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
      } catch (IOException e) {
        Files.deleteIfExists(temp);
        throw e;
      }
    }

    @Override
    public void abort() {
      if (done) {
        return;
      }
      done = true;
      try {
        out.close();
      } catch (IOException ignored) {
        // the file is deleted next; a failed close changes nothing
      }
      try {
        Files.deleteIfExists(temp);
      } catch (IOException ignored) {
        // a leftover hidden temp file is never listed or served
      }
    }
  }
}

package com.nrsgirls.streaming.pipeline.hls;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

/**
 * An in-memory {@link SegmentStore} for tests: logs every call in order, can hold all calls at a
 * gate (a stuck disk), fail the writes of chosen segments, and tracks how many calls ran at once.
 */
final class FakeSegmentStore implements SegmentStore {
  private final List<String> log = new ArrayList<>();
  private final Map<String, byte[]> segments = new ConcurrentHashMap<>();
  private final Map<String, String> playlists = new ConcurrentHashMap<>();
  private final Set<Thread> threads = ConcurrentHashMap.newKeySet();
  private final AtomicInteger running = new AtomicInteger();
  private final AtomicInteger maxRunning = new AtomicInteger();
  private volatile CountDownLatch gate = new CountDownLatch(0);
  private volatile Predicate<String> failWrites = name -> false;

  /** Holds every call until {@link #open()}. */
  void close() {
    gate = new CountDownLatch(1);
  }

  void open() {
    gate.countDown();
  }

  void failWritesOf(Predicate<String> names) {
    failWrites = names;
  }

  synchronized List<String> log() {
    return List.copyOf(log);
  }

  Map<String, byte[]> segments() {
    return segments;
  }

  Map<String, String> playlists() {
    return playlists;
  }

  Set<Thread> threads() {
    return threads;
  }

  int maxRunning() {
    return maxRunning.get();
  }

  /** Enters a call: waits at the gate, counts concurrency, then logs it. */
  private void enter(String entry) throws IOException {
    int now = running.incrementAndGet();
    maxRunning.accumulateAndGet(now, Math::max);
    threads.add(Thread.currentThread());
    try {
      if (!gate.await(30, TimeUnit.SECONDS)) {
        throw new IOException("gate never opened");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException(e);
    }
    synchronized (this) {
      log.add(entry);
    }
  }

  private void exit() {
    running.decrementAndGet();
  }

  @Override
  public SegmentOutput createSegment(String streamId, String rendition, String name)
      throws IOException {
    enter("create " + name);
    exit();
    String key = streamId + "/" + rendition + "/" + name;
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    return new SegmentOutput() {
      private boolean done;

      @Override
      public void write(byte[] data, int offset, int length) throws IOException {
        enter("write " + name + " " + length);
        try {
          if (done) {
            throw new IOException(name + " is closed");
          }
          if (failWrites.test(name)) {
            throw new IOException("disk full writing " + name);
          }
          bytes.write(data, offset, length);
        } finally {
          exit();
        }
      }

      @Override
      public void commit() throws IOException {
        enter("commit " + name);
        try {
          if (done) {
            throw new IOException(name + " is closed");
          }
          done = true;
          segments.put(key, bytes.toByteArray());
        } finally {
          exit();
        }
      }

      @Override
      public void abort() {
        if (done) {
          return;
        }
        done = true;
        synchronized (FakeSegmentStore.this) {
          log.add("abort " + name);
        }
      }
    };
  }

  @Override
  public void writeMediaPlaylist(String streamId, String rendition, String text)
      throws IOException {
    enter("media " + text);
    playlists.put(streamId + "/" + rendition, text);
    exit();
  }

  @Override
  public Optional<String> readMediaPlaylist(String streamId, String rendition) {
    return Optional.ofNullable(playlists.get(streamId + "/" + rendition));
  }

  @Override
  public void writeMasterPlaylist(String streamId, String text) throws IOException {
    enter("master " + text);
    playlists.put(streamId, text);
    exit();
  }

  @Override
  public void deleteSegment(String streamId, String rendition, String name) throws IOException {
    enter("delete " + name);
    segments.remove(streamId + "/" + rendition + "/" + name);
    exit();
  }
}

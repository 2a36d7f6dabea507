package com.nrsgirls.streaming.pipeline.hls;

import java.io.IOException;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * A {@link SegmentStore} whose writes never block: every write-side call is queued and returns at
 * once, and the queue performs the calls on a blocking store, in order and one at a time, as tasks
 * on a shared executor (a serial queue, not a thread per stream). It lets a segmenter run on a
 * stream's own thread while the file I/O happens on a blocking dispatcher.
 *
 * <p>Data flow: a segment's bytes are copied into a chunk of {@link #CHUNK_SIZE}; each full chunk,
 * and the rest at {@link SegmentOutput#commit}, is queued as one write, after the segment's create
 * and before its commit, so a playlist queued after a commit is written after the segment is in
 * place. Written chunks are reused, so a stream holds a few chunks, not a segment's worth.
 *
 * <p>Failures: a queued operation that fails is reported to the failure consumer (on the executor's
 * thread) and the rest of that segment's operations become no-ops, its output aborted; later
 * segments and playlist writes go on. The caller has moved on by then, so a playlist queued after a
 * failed commit still lists that segment until it slides out. A queue holding more than {@code
 * maxQueuedBytes} (the disk is stuck) drops the segment being written instead of growing: its
 * {@code write} or {@code commit} throws, so the segmenter never lists it, and its queued part is
 * aborted. Playlist writes and deletes are never dropped.
 *
 * <p>{@link #readMediaPlaylist} reads the underlying store at once, without waiting for queued
 * writes (call it off the stream's thread, after {@link #drained} if it must see them). Names are
 * checked when a call is made, so a bad one is an {@link IllegalArgumentException} to the caller.
 * The store is thread safe; each output is used by one thread.
 */
public final class QueuedSegmentStore implements SegmentStore {

  /** Bytes per queued segment write: large enough for few, large writes, small enough to reuse. */
  public static final int CHUNK_SIZE = 64 * 1024;

  /** Operations run per executor task before the thread goes back to other streams' queues. */
  static final int BATCH = 32;

  /** Written chunks kept for reuse: one being filled and one being written need no more. */
  private static final int SPARE_CHUNKS = 2;

  private final SegmentStore store;
  private final Executor executor;
  private final long maxQueuedBytes;
  private final Consumer<IOException> failures;
  private final ConcurrentLinkedQueue<Operation> queue = new ConcurrentLinkedQueue<>();
  private final AtomicBoolean scheduled = new AtomicBoolean();
  private final AtomicLong queuedBytes = new AtomicLong();
  private final ArrayBlockingQueue<byte[]> spareChunks = new ArrayBlockingQueue<>(SPARE_CHUNKS);

  /** One queued call, run on the executor. */
  @FunctionalInterface
  private interface Operation {
    void run();
  }

  /** A queued call that can fail; the description names it in the report. */
  @FunctionalInterface
  private interface StoreCall {
    void run() throws IOException;
  }

  /**
   * @param store the blocking store the calls are performed on
   * @param executor where they are performed, e.g. Pekko's blocking-IO dispatcher; shared by many
   *     queues, each of which runs one task on it at a time
   * @param maxQueuedBytes how many bytes of segment chunks and playlists may wait before the
   *     segment being written is dropped; at least {@link #CHUNK_SIZE}
   * @param failures hears about queued operations that failed, on the executor's thread
   */
  public QueuedSegmentStore(
      SegmentStore store, Executor executor, long maxQueuedBytes, Consumer<IOException> failures) {
    this.store = Objects.requireNonNull(store, "store");
    this.executor = Objects.requireNonNull(executor, "executor");
    this.failures = Objects.requireNonNull(failures, "failures");
    if (maxQueuedBytes < CHUNK_SIZE) {
      throw new IllegalArgumentException("max queued bytes below one chunk: " + maxQueuedBytes);
    }
    this.maxQueuedBytes = maxQueuedBytes;
  }

  /** Queues the segment's creation; its writes are queued as its chunks fill. */
  @Override
  public SegmentOutput createSegment(String streamId, String rendition, String name) {
    return queueCreation(streamId, rendition, name, false);
  }

  /** As {@link #createSegment}, on the underlying store's growing segment. */
  @Override
  public SegmentOutput createGrowingSegment(String streamId, String rendition, String name) {
    return queueCreation(streamId, rendition, name, true);
  }

  private SegmentOutput queueCreation(
      String streamId, String rendition, String name, boolean growing) {
    SegmentStore.checkName("stream id", streamId);
    SegmentStore.checkName("rendition", rendition);
    SegmentStore.checkName("segment name", name);
    QueuedOutput output = new QueuedOutput(streamId, rendition, name, growing);
    enqueue(output::create);
    return output;
  }

  @Override
  public void writeMediaPlaylist(String streamId, String rendition, String text) {
    SegmentStore.checkName("stream id", streamId);
    SegmentStore.checkName("rendition", rendition);
    Objects.requireNonNull(text, "text");
    enqueueHolding(
        text.length(),
        "media playlist of " + streamId + "/" + rendition,
        () -> store.writeMediaPlaylist(streamId, rendition, text));
  }

  /** Reads the underlying store now, without waiting for queued writes. Blocks. */
  @Override
  public Optional<String> readMediaPlaylist(String streamId, String rendition) throws IOException {
    return store.readMediaPlaylist(streamId, rendition);
  }

  @Override
  public void writeMasterPlaylist(String streamId, String text) {
    SegmentStore.checkName("stream id", streamId);
    Objects.requireNonNull(text, "text");
    enqueueHolding(
        text.length(),
        "master playlist of " + streamId,
        () -> store.writeMasterPlaylist(streamId, text));
  }

  @Override
  public void deleteSegment(String streamId, String rendition, String name) {
    SegmentStore.checkName("stream id", streamId);
    SegmentStore.checkName("rendition", rendition);
    SegmentStore.checkName("segment name", name);
    enqueueHolding(
        0,
        "deleting " + streamId + "/" + rendition + "/" + name,
        () -> store.deleteSegment(streamId, rendition, name));
  }

  /**
   * Completes once every operation queued before this call has been performed (or has failed and
   * been reported); it never completes exceptionally.
   */
  public CompletionStage<Void> drained() {
    CompletableFuture<Void> done = new CompletableFuture<>();
    enqueue(() -> done.complete(null));
    return done;
  }

  /** Bytes waiting in the queue: segment chunks (whole chunks, as they are held) and playlists. */
  public long queuedBytes() {
    return queuedBytes.get();
  }

  private void enqueueHolding(long bytes, String what, StoreCall call) {
    queuedBytes.addAndGet(bytes);
    enqueue(
        () -> {
          try {
            perform(what, call);
          } finally {
            queuedBytes.addAndGet(-bytes);
          }
        });
  }

  /** Runs {@code call}, reporting its failure. */
  private void perform(String what, StoreCall call) {
    try {
      call.run();
    } catch (IOException | RuntimeException e) {
      report(new IOException(what + " failed: " + e.getMessage(), e));
    }
  }

  private void report(IOException e) {
    try {
      failures.accept(e);
    } catch (RuntimeException ignored) {
      // a failing listener must not stop the queue
    }
  }

  private void enqueue(Operation operation) {
    queue.add(operation);
    schedule();
  }

  private void schedule() {
    if (!scheduled.compareAndSet(false, true)) {
      return; // a task is running or about to; it sees the new operation
    }
    try {
      executor.execute(this::runBatch);
    } catch (RejectedExecutionException e) {
      // the executor is shutting down: performing the calls here beats losing them
      try {
        Operation operation;
        while ((operation = queue.poll()) != null) {
          operation.run();
        }
      } finally {
        scheduled.set(false);
      }
    }
  }

  /**
   * Performs up to {@link #BATCH} operations, then hands the thread back and reschedules if more
   * are queued. The atomic flag orders the tasks, so each sees what the one before it did.
   */
  private void runBatch() {
    try {
      for (int i = 0; i < BATCH; i++) {
        Operation operation = queue.poll();
        if (operation == null) {
          break;
        }
        operation.run();
      }
    } finally {
      scheduled.set(false);
      if (!queue.isEmpty()) {
        schedule();
      }
    }
  }

  private byte[] takeChunk() {
    byte[] chunk = spareChunks.poll();
    return chunk != null ? chunk : new byte[CHUNK_SIZE];
  }

  private void recycle(byte[] chunk) {
    spareChunks.offer(chunk);
  }

  /**
   * A queued segment. The caller's side fills {@link #chunk} and queues operations; the executor's
   * side ({@link #target}, {@link #failed}) is only touched by those operations, which run one
   * after another.
   */
  private final class QueuedOutput implements SegmentOutput {
    private final String streamId;
    private final String rendition;
    private final String name;
    private final boolean growing;

    // the caller's side
    private byte[] chunk;
    private int filled;
    private boolean closed;
    private boolean dropped;

    // the executor's side
    private SegmentOutput target;
    private boolean failed;

    QueuedOutput(String streamId, String rendition, String name, boolean growing) {
      this.streamId = streamId;
      this.rendition = rendition;
      this.name = name;
      this.growing = growing;
    }

    private String label() {
      return streamId + "/" + rendition + "/" + name;
    }

    @Override
    public void write(byte[] data, int offset, int length) throws IOException {
      checkOpen();
      Objects.checkFromIndexSize(offset, length, data.length);
      while (length > 0) {
        if (chunk == null) {
          chunk = takeChunk();
        }
        int n = Math.min(length, CHUNK_SIZE - filled);
        System.arraycopy(data, offset, chunk, filled, n);
        filled += n;
        offset += n;
        length -= n;
        if (filled == CHUNK_SIZE) {
          handOff();
        }
      }
    }

    /** Queues what is in the chunk so far (the chunk goes with it; the next write takes one). */
    @Override
    public void flush() throws IOException {
      checkOpen();
      if (filled > 0) {
        handOff();
      }
    }

    @Override
    public void commit() throws IOException {
      checkOpen();
      if (filled > 0) {
        handOff();
      }
      closed = true;
      enqueue(this::performCommit);
    }

    @Override
    public void abort() {
      if (closed || dropped) {
        return;
      }
      closed = true;
      releaseChunk();
      enqueue(this::performAbort);
    }

    private void checkOpen() throws IOException {
      if (dropped) {
        throw dropped();
      }
      if (closed) {
        throw new IOException("segment " + label() + " is already closed");
      }
    }

    /** Queues the filled chunk, or drops the segment if the queue is over its bound. */
    private void handOff() throws IOException {
      if (queuedBytes.get() + CHUNK_SIZE > maxQueuedBytes) {
        dropped = true;
        releaseChunk();
        enqueue(this::performAbort);
        throw dropped();
      }
      byte[] full = chunk;
      int length = filled;
      chunk = null;
      filled = 0;
      queuedBytes.addAndGet(CHUNK_SIZE);
      enqueue(() -> performWrite(full, length));
    }

    private IOException dropped() {
      return new IOException(
          "segment "
              + label()
              + " dropped: the store is behind by more than "
              + maxQueuedBytes
              + " bytes");
    }

    private void releaseChunk() {
      if (chunk != null) {
        recycle(chunk);
        chunk = null;
        filled = 0;
      }
    }

    private void create() {
      try {
        target =
            growing
                ? store.createGrowingSegment(streamId, rendition, name)
                : store.createSegment(streamId, rendition, name);
      } catch (IOException | RuntimeException e) {
        fail("creating", e);
      }
    }

    private void performWrite(byte[] data, int length) {
      try {
        if (!failed) {
          target.write(data, 0, length);
        }
      } catch (IOException | RuntimeException e) {
        fail("writing", e);
      } finally {
        queuedBytes.addAndGet(-CHUNK_SIZE);
        recycle(data);
      }
    }

    private void performCommit() {
      if (failed) {
        return;
      }
      try {
        target.commit();
      } catch (IOException | RuntimeException e) {
        fail("committing", e);
      }
    }

    private void performAbort() {
      if (target != null) {
        target.abort();
      }
    }

    private void fail(String doing, Exception e) {
      failed = true;
      performAbort();
      report(
          new IOException(
              doing + " segment " + label() + " failed, segment lost: " + e.getMessage(), e));
    }
  }
}

package com.nrsgirls.streaming.pipeline.hls;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nrsgirls.streaming.core.media.MediaPacket;
import com.nrsgirls.streaming.pipeline.ts.TestMedia;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The write queue in front of a blocking store: order, one call at a time, failures, the bound. */
class QueuedSegmentStoreTest {
  private static final int CHUNK = QueuedSegmentStore.CHUNK_SIZE;
  private static final long MAX = 8L * 1024 * 1024;

  @TempDir Path root;
  private ExecutorService executor;
  private final List<IOException> failures = new CopyOnWriteArrayList<>();
  private final FakeSegmentStore fake = new FakeSegmentStore();

  @BeforeEach
  void setUp() {
    executor = Executors.newFixedThreadPool(4);
  }

  @AfterEach
  void tearDown() throws Exception {
    fake.open();
    executor.shutdownNow();
    assertTrue(executor.awaitTermination(10, TimeUnit.SECONDS));
  }

  private QueuedSegmentStore queued(SegmentStore store, long maxQueuedBytes) {
    return new QueuedSegmentStore(store, executor, maxQueuedBytes, failures::add);
  }

  private static void await(QueuedSegmentStore store) throws Exception {
    store.drained().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  private static byte[] pattern(int length) {
    byte[] data = new byte[length];
    for (int i = 0; i < length; i++) {
      data[i] = (byte) (i * 7 + i / 251);
    }
    return data;
  }

  /** Writes {@code data} the way the muxer does: in chunks of 64 TS packets. */
  private static void writeLikeTheMuxer(SegmentOutput out, byte[] data) throws IOException {
    for (int offset = 0; offset < data.length; offset += 64 * 188) {
      out.write(data, offset, Math.min(64 * 188, data.length - offset));
    }
  }

  @Test
  void callsReturnAtOnceAndRunLaterInOrderOneAtATime() throws Exception {
    QueuedSegmentStore store = queued(fake, MAX);
    fake.close(); // the disk is slow: nothing completes until the gate opens
    byte[] first = pattern(150_000);
    CompletableFuture<Void> drained =
        assertTimeoutPreemptively(
            Duration.ofSeconds(5),
            () -> {
              SegmentOutput out = store.createSegment("s1", "source", "0-a.ts");
              writeLikeTheMuxer(out, first);
              out.commit();
              store.writeMediaPlaylist("s1", "source", "p0");
              SegmentOutput next = store.createSegment("s1", "source", "1-a.ts");
              next.write(first, 0, 10);
              next.commit();
              store.writeMasterPlaylist("s1", "m");
              store.deleteSegment("s1", "source", "0-a.ts");
              return store.drained().toCompletableFuture();
            },
            "no call waits for the store");
    assertFalse(drained.isDone());
    assertEquals(2L * CHUNK + 2 * CHUNK + 2 + 1, store.queuedBytes(), "4 chunks, 2 playlists");

    fake.open();
    drained.get(10, TimeUnit.SECONDS);
    int rest = first.length - 2 * CHUNK;
    assertEquals(
        List.of(
            "create 0-a.ts",
            "write 0-a.ts " + CHUNK,
            "write 0-a.ts " + CHUNK,
            "write 0-a.ts " + rest,
            "commit 0-a.ts",
            "media p0",
            "create 1-a.ts",
            "write 1-a.ts 10",
            "commit 1-a.ts",
            "master m",
            "delete 0-a.ts"),
        fake.log());
    assertEquals(1, fake.maxRunning(), "one call at a time, on a pool of four threads");
    assertFalse(fake.threads().contains(Thread.currentThread()));
    assertEquals(0, store.queuedBytes());
    assertTrue(failures.isEmpty(), failures.toString());
    assertTrue(store.drained().toCompletableFuture().get(10, TimeUnit.SECONDS) == null);
  }

  @Test
  void aGrowingSegmentIsReadableUpToWhatWasFlushedOnceDrained() throws Exception {
    LocalSegmentStore local = new LocalSegmentStore(root);
    QueuedSegmentStore store = queued(local, MAX);
    byte[] data = pattern(150_000);
    Path file = root.resolve("s1/source/2-a.m4s");
    SegmentOutput out = store.createGrowingSegment("s1", "source", "2-a.m4s");
    out.write(data, 0, 1000); // under a chunk: held until flushed
    await(store);
    assertEquals(0, Files.size(file), "under its name from the start, empty so far");
    out.flush();
    out.write(data, 1000, 100_000);
    await(store);
    byte[] now = Files.readAllBytes(file);
    assertTrue(now.length >= 1000, "what was flushed is there: " + now.length);
    assertArrayEquals(
        java.util.Arrays.copyOf(data, now.length), now, "what is there is what was written");
    out.write(data, 101_000, 49_000);
    out.flush();
    await(store);
    assertArrayEquals(data, Files.readAllBytes(file));
    out.commit();
    await(store);
    assertArrayEquals(data, Files.readAllBytes(file), "committed in place");

    SegmentOutput aborted = store.createGrowingSegment("s1", "source", "3-a.m4s");
    aborted.write(data, 0, 5000);
    aborted.flush();
    await(store);
    assertTrue(Files.exists(root.resolve("s1/source/3-a.m4s")));
    aborted.abort();
    await(store);
    assertFalse(Files.exists(root.resolve("s1/source/3-a.m4s")), "an aborted one is deleted");
    assertTrue(failures.isEmpty(), failures.toString());
  }

  @Test
  void segmentsAndPlaylistsReachARealStoreWhole() throws Exception {
    LocalSegmentStore local = new LocalSegmentStore(root);
    QueuedSegmentStore store = queued(local, MAX);
    byte[] data = pattern(1_000_000);
    try (SegmentOutput out = store.createSegment("s1", "source", "0-a.ts")) {
      writeLikeTheMuxer(out, data);
      out.commit();
    }
    store.writeMediaPlaylist("s1", "source", "#EXTM3U\none\n");
    SegmentOutput aborted = store.createSegment("s1", "source", "1-a.ts");
    writeLikeTheMuxer(aborted, pattern(100_000));
    aborted.abort();
    await(store);

    Path dir = root.resolve("s1/source");
    assertArrayEquals(data, Files.readAllBytes(dir.resolve("0-a.ts")));
    assertEquals("#EXTM3U\none\n", Files.readString(dir.resolve("index.m3u8")));
    try (Stream<Path> files = Files.list(dir)) {
      assertEquals(
          List.of("0-a.ts", "index.m3u8"),
          files.map(f -> f.getFileName().toString()).sorted().toList(),
          "the aborted segment and all temp files are gone");
    }
    assertTrue(failures.isEmpty(), failures.toString());
  }

  @Test
  void aFailedWriteIsReportedOnceAndTheRestOfItsSegmentSkipped() throws Exception {
    fake.failWritesOf("1-a.ts"::equals);
    QueuedSegmentStore store = queued(fake, MAX);
    for (int i = 0; i < 3; i++) {
      SegmentOutput out = store.createSegment("s1", "source", i + "-a.ts");
      writeLikeTheMuxer(out, pattern(100_000)); // one full chunk and a rest
      out.commit();
      store.writeMediaPlaylist("s1", "source", "p" + i);
    }
    await(store);

    assertEquals(1, failures.size(), failures.toString());
    assertTrue(failures.get(0).getMessage().contains("s1/source/1-a.ts"), failures.toString());
    List<String> log = fake.log();
    int failed = log.indexOf("write 1-a.ts " + CHUNK);
    assertEquals("abort 1-a.ts", log.get(failed + 1), log.toString());
    assertFalse(log.contains("commit 1-a.ts"), log.toString());
    assertEquals("media p1", log.get(failed + 2), "the playlist still goes out: " + log);
    assertEquals(
        List.of("s1/source/0-a.ts", "s1/source/2-a.ts"),
        fake.segments().keySet().stream().sorted().toList());
    assertEquals("p2", fake.playlists().get("s1/source"));
  }

  @Test
  void aStuckStoreDropsTheSegmentBeingWrittenButKeepsPlaylistsInOrder() throws Exception {
    QueuedSegmentStore store = queued(fake, 4L * CHUNK);
    fake.close();
    SegmentOutput a = store.createSegment("s1", "source", "a.ts");
    a.write(pattern(3 * CHUNK), 0, 3 * CHUNK);
    a.commit();
    store.writeMediaPlaylist("s1", "source", "pa");

    SegmentOutput b = store.createSegment("s1", "source", "b.ts");
    IOException dropped =
        assertThrows(IOException.class, () -> b.write(pattern(CHUNK), 0, CHUNK), "a 4th chunk");
    assertTrue(dropped.getMessage().contains("b.ts dropped"), dropped.getMessage());
    assertThrows(IOException.class, b::commit, "so the segmenter never lists it");
    b.abort();
    store.writeMediaPlaylist("s1", "source", "pb");
    SegmentOutput c = store.createSegment("s1", "source", "c.ts");
    c.write(pattern(100), 0, 100);
    assertThrows(IOException.class, c::commit, "still stuck: its rest does not fit either");
    assertTrue(store.queuedBytes() <= 4L * CHUNK, "bounded: " + store.queuedBytes());

    fake.open();
    await(store);
    SegmentOutput d = store.createSegment("s1", "source", "d.ts");
    d.write(pattern(CHUNK + 1), 0, CHUNK + 1);
    d.commit();
    await(store);
    assertEquals(
        List.of(
            "create a.ts",
            "write a.ts " + CHUNK,
            "write a.ts " + CHUNK,
            "write a.ts " + CHUNK,
            "commit a.ts",
            "media pa",
            "create b.ts",
            "abort b.ts",
            "media pb",
            "create c.ts",
            "abort c.ts",
            "create d.ts",
            "write d.ts " + CHUNK,
            "write d.ts 1",
            "commit d.ts"),
        fake.log());
    assertArrayEquals(pattern(3 * CHUNK), fake.segments().get("s1/source/a.ts"));
    assertEquals(2, fake.segments().size());
    assertEquals(0, store.queuedBytes());
    assertTrue(failures.isEmpty(), "drops are reported to the caller that made them");
  }

  @Test
  void theSegmenterWritesThroughTheQueueWhatItWouldWriteDirectly() throws Exception {
    LocalSegmentStore local = new LocalSegmentStore(root);
    QueuedSegmentStore store = queued(local, MAX);
    Clock clock = Clock.fixed(Instant.parse("2024-03-01T12:00:00Z"), ZoneOffset.UTC);
    List<PublishedSegment> published = new ArrayList<>();
    HlsSegmenter segmenter =
        HlsSegmenter.open(
            store,
            "s1",
            "source",
            HlsSettings.DEFAULT.withPlaylistSize(3).withDeleteGrace(1),
            clock,
            new HlsSegmenter.Listener() {
              @Override
              public void segmentPublished(PublishedSegment segment) {
                published.add(segment);
              }
            });
    segmenter.accept(TestMedia.videoConfig(0));
    segmenter.accept(TestMedia.audioConfig(0));
    for (MediaPacket p : HlsSegmenterTest.av(0, 12_000, 60, true)) {
      segmenter.accept(p);
    }
    segmenter.finishLive();
    await(store); // what a reconnecting publisher's session waits for before it reads

    Path dir = root.resolve("s1/source");
    assertEquals(segmenter.playlist().render(), Files.readString(dir.resolve("index.m3u8")));
    for (MediaPlaylist.Segment s : segmenter.playlist().segments()) {
      PublishedSegment p =
          published.stream().filter(x -> x.name().equals(s.uri())).findFirst().orElseThrow();
      assertEquals(p.bytes(), Files.size(dir.resolve(s.uri())));
    }
    try (Stream<Path> files = Files.list(dir)) {
      assertEquals(4, files.count(), "3 listed segments and the playlist, the rest deleted");
    }
    assertTrue(failures.isEmpty(), failures.toString());

    HlsSegmenter next = HlsSegmenter.open(store, "s1", "source", HlsSettings.DEFAULT, clock);
    assertEquals(segmenter.playlist().nextMediaSequence(), next.playlist().nextMediaSequence());
  }

  @Test
  void badNamesAreRefusedToTheCaller() {
    QueuedSegmentStore store = queued(fake, MAX);
    assertThrows(IllegalArgumentException.class, () -> store.createSegment("s1", "source", ".."));
    assertThrows(IllegalArgumentException.class, () -> store.deleteSegment("s1", "source", "a/b"));
    assertThrows(IllegalArgumentException.class, () -> store.writeMediaPlaylist("s 1", "x", ""));
    assertThrows(
        IllegalArgumentException.class,
        () -> new QueuedSegmentStore(fake, executor, CHUNK - 1, failures::add));
  }

  @Test
  void anExecutorThatRefusesWorkLeavesTheCallsToTheCaller() throws Exception {
    QueuedSegmentStore store =
        new QueuedSegmentStore(
            fake,
            task -> {
              throw new RejectedExecutionException("shutting down");
            },
            MAX,
            failures::add);
    SegmentOutput out = store.createSegment("s1", "source", "0-a.ts");
    out.write(new byte[5], 0, 5);
    out.commit();
    store.writeMediaPlaylist("s1", "source", "p");
    assertEquals(
        List.of("create 0-a.ts", "write 0-a.ts 5", "commit 0-a.ts", "media p"), fake.log());
    assertTrue(store.drained().toCompletableFuture().isDone());
  }
}

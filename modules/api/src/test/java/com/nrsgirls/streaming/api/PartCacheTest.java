package com.nrsgirls.streaming.api;

import static org.junit.jupiter.api.Assertions.*;

import java.io.UncheckedIOException;
import java.nio.file.NoSuchFileException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.Test;

class PartCacheTest {
  private static ByteString bytes(int n) {
    return ByteString.fromArray(new byte[n]);
  }

  @Test
  void aPartIsReadOnceForTheRequestsThatAskWhileItIsRead() throws Exception {
    PartCache cache = new PartCache(1 << 20);
    CountDownLatch reading = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    AtomicInteger reads = new AtomicInteger();
    CompletableFuture<CompletableFuture<ByteString>> first =
        CompletableFuture.supplyAsync(
            () ->
                cache.get(
                    "a@0+100",
                    () -> {
                      reads.incrementAndGet();
                      reading.countDown();
                      try {
                        assertTrue(release.await(10, TimeUnit.SECONDS));
                      } catch (InterruptedException e) {
                        throw new IllegalStateException(e);
                      }
                      return bytes(100);
                    }));
    assertTrue(reading.await(10, TimeUnit.SECONDS));
    CompletableFuture<ByteString> second =
        cache.get(
            "a@0+100",
            () -> {
              reads.incrementAndGet();
              return bytes(100);
            });
    assertFalse(second.isDone(), "waits for the read under way");
    release.countDown();
    ByteString read = first.get(10, TimeUnit.SECONDS).get(10, TimeUnit.SECONDS);
    assertSame(read, second.get(10, TimeUnit.SECONDS), "the same bytes, not a copy");
    assertSame(read, cache.get("a@0+100", () -> bytes(1)).get(), "kept");
    assertEquals(1, reads.get());
    assertEquals(100, cache.bytes());
  }

  @Test
  void theLeastRecentlyUsedPartsGoPastTheLimit() throws Exception {
    PartCache cache = new PartCache(250);
    AtomicInteger reads = new AtomicInteger();
    for (String key : new String[] {"a", "b", "c"}) {
      cache.get(key, () -> bytes(100));
    }
    assertEquals(200, cache.bytes(), "a went when c came");
    cache.get("b", () -> bytes(1)); // b used: c is now the least recently used
    cache.get("d", () -> bytes(100));
    assertEquals(200, cache.bytes());
    cache.get(
        "b",
        () -> {
          reads.incrementAndGet();
          return bytes(100);
        });
    assertEquals(0, reads.get(), "b kept");
    cache.get(
        "c",
        () -> {
          reads.incrementAndGet();
          return bytes(100);
        });
    assertEquals(1, reads.get(), "c went");
  }

  @Test
  void aFailedReadIsNotKept() throws Exception {
    PartCache cache = new PartCache(1 << 20);
    CompletableFuture<ByteString> failed =
        cache.get(
            "gone",
            () -> {
              throw new UncheckedIOException(new NoSuchFileException("gone"));
            });
    ExecutionException e = assertThrows(ExecutionException.class, failed::get);
    assertInstanceOf(UncheckedIOException.class, e.getCause());
    assertEquals(7, cache.get("gone", () -> bytes(7)).get().size(), "tried again");
  }

  @Test
  void noCacheReadsEveryTime() throws Exception {
    PartCache cache = new PartCache(0);
    AtomicInteger reads = new AtomicInteger();
    for (int i = 0; i < 3; i++) {
      cache.get(
          "a",
          () -> {
            reads.incrementAndGet();
            return bytes(10);
          });
    }
    assertEquals(3, reads.get());
    assertEquals(0, cache.bytes());
  }
}

package com.nrsgirls.streaming.api;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import org.apache.pekko.util.ByteString;

/**
 * The low-latency parts served lately, kept in memory up to a number of bytes: every low-latency
 * viewer of a rendition asks for its newest part within the same moment (each is woken by the same
 * publish), so a part is read from its file once and its bytes are shared by all the answers (a
 * 1080p part is about 110 KB; a thousand viewers reading it each into an array of their own
 * allocated 110 MB per part). A part never changes once listed. The first request for a part reads
 * it; the requests arriving meanwhile wait for that read. Least recently used parts go first.
 * Thread-safe.
 */
final class PartCache {
  private final long maxBytes;
  private long bytes;

  /** In access order; an entry's size counts once its read completed. */
  private final LinkedHashMap<String, Entry> entries = new LinkedHashMap<>(64, 0.75f, true);

  private static final class Entry {
    final CompletableFuture<ByteString> read = new CompletableFuture<>();
    long size;
  }

  /**
   * @param maxBytes the most part bytes kept (0: none, every request reads its file)
   */
  PartCache(long maxBytes) {
    this.maxBytes = maxBytes;
  }

  /**
   * The bytes of the part at {@code key} (its file, offset and length): cached, or being read by
   * another request, or read now by {@code read} on the caller's thread. A read that fails (the
   * future completes exceptionally) is not kept: the next request tries again.
   */
  CompletableFuture<ByteString> get(String key, Supplier<ByteString> read) {
    if (maxBytes <= 0) {
      return readNow(read);
    }
    Entry entry;
    boolean mine = false;
    synchronized (entries) {
      entry = entries.get(key);
      if (entry == null) {
        entry = new Entry();
        entries.put(key, entry);
        mine = true;
      }
    }
    if (!mine) {
      return entry.read;
    }
    try {
      ByteString value = read.get();
      synchronized (entries) {
        if (entries.get(key) == entry) {
          entry.size = value.size();
          bytes += value.size();
          evict();
        }
      }
      entry.read.complete(value);
    } catch (RuntimeException e) {
      synchronized (entries) {
        if (entries.get(key) == entry) {
          entries.remove(key);
        }
      }
      entry.read.completeExceptionally(e);
    }
    return entry.read;
  }

  /** Bytes of the parts kept now. */
  long bytes() {
    synchronized (entries) {
      return bytes;
    }
  }

  private void evict() {
    for (Iterator<Map.Entry<String, Entry>> it = entries.entrySet().iterator();
        bytes > maxBytes && it.hasNext(); ) {
      Entry e = it.next().getValue();
      if (e.read.isDone()) { // one still being read has no size yet, and others wait for it
        bytes -= e.size;
        it.remove();
      }
    }
  }

  private static CompletableFuture<ByteString> readNow(Supplier<ByteString> read) {
    try {
      return CompletableFuture.completedFuture(read.get());
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }
}

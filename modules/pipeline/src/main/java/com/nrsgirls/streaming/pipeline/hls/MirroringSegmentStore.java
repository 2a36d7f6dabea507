package com.nrsgirls.streaming.pipeline.hls;

import com.nrsgirls.streaming.pipeline.store.ObjectStore;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.util.ByteString;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * HLS written to the local store (which this node serves) and copied to the object store under
 * {@code hls/{streamId}/...}, so that any node, or a CDN in front of the bucket, serves any stream.
 * Copies of one rendition go up one after another in the order they were written (a segment before
 * the playlist that lists it, a deletion after it), off the caller's thread; a copy that fails is
 * logged and counted, never holding up the live output. Reads come from the local store.
 */
public final class MirroringSegmentStore implements SegmentStore {
  private static final Logger log = LoggerFactory.getLogger(MirroringSegmentStore.class);
  private static final String PLAYLIST_TYPE = "application/vnd.apple.mpegurl";
  private static final String SEGMENT_TYPE = "video/mp2t";

  private final SegmentStore local;
  private final ObjectStore objects;
  private final Map<String, CompletableFuture<Void>> queues = new ConcurrentHashMap<>();
  private final AtomicLong failures = new AtomicLong();

  public MirroringSegmentStore(SegmentStore local, ObjectStore objects) {
    this.local = local;
    this.objects = objects;
  }

  /**
   * Whether a file goes to the object store too: the classic HLS does; the low-latency output's
   * parts, segments and init segments ({@code .m4s}, {@code .mp4}) stay local, as their playlists
   * live in the node's memory (a part every 200 ms per rendition would be as many PUTs).
   */
  static boolean mirrored(String name) {
    return !name.endsWith(".m4s") && !name.endsWith(".mp4");
  }

  /** Copies to the object store that failed so far. */
  public long failures() {
    return failures.get();
  }

  public static String key(String streamId, String rendition, String name) {
    return rendition == null
        ? "hls/" + streamId + "/" + name
        : "hls/" + streamId + "/" + rendition + "/" + name;
  }

  /** Runs {@code copy} after the rendition's earlier copies. */
  private void enqueue(String streamId, String rendition, String what, Copy copy) {
    String queue = streamId + "/" + (rendition == null ? "" : rendition);
    CompletableFuture<Void> tail =
        queues.compute(
            queue,
            (k, previous) ->
                (previous == null ? CompletableFuture.<Void>completedFuture(null) : previous)
                    .thenCompose(v -> copy.run().toCompletableFuture().thenApply(d -> (Void) null))
                    .exceptionally(
                        e -> {
                          long n = failures.incrementAndGet();
                          if (n == 1 || n % 100 == 0) {
                            log.warn(
                                "stream={} rendition={} {} not copied to {} ({} failures so far): {}",
                                streamId,
                                rendition == null ? "master" : rendition,
                                what,
                                objects.describe(),
                                n,
                                e.toString());
                          }
                          return null;
                        }));
    tail.whenComplete((v, e) -> queues.remove(queue, tail)); // an idle rendition holds nothing
  }

  private interface Copy {
    java.util.concurrent.CompletionStage<?> run();
  }

  /** Low-latency segments, the only growing ones, are not mirrored: locally only. */
  @Override
  public SegmentOutput createGrowingSegment(String streamId, String rendition, String name)
      throws IOException {
    return local.createGrowingSegment(streamId, rendition, name);
  }

  @Override
  public SegmentOutput createSegment(String streamId, String rendition, String name)
      throws IOException {
    SegmentOutput out = local.createSegment(streamId, rendition, name);
    if (!mirrored(name)) {
      return out;
    }
    ByteArrayOutputStream copy = new ByteArrayOutputStream(1 << 20);
    return new SegmentOutput() {
      @Override
      public void write(byte[] data, int offset, int length) throws IOException {
        out.write(data, offset, length);
        copy.write(data, offset, length);
      }

      @Override
      public void commit() throws IOException {
        out.commit();
        ByteString bytes = ByteString.fromArrayUnsafe(copy.toByteArray());
        String key = key(streamId, rendition, name);
        enqueue(streamId, rendition, name, () -> objects.put(key, bytes, SEGMENT_TYPE));
      }

      @Override
      public void abort() {
        out.abort();
      }
    };
  }

  @Override
  public void writeMediaPlaylist(String streamId, String rendition, String text)
      throws IOException {
    local.writeMediaPlaylist(streamId, rendition, text);
    ByteString bytes = ByteString.fromString(text);
    String key = key(streamId, rendition, "index.m3u8");
    enqueue(streamId, rendition, "playlist", () -> objects.put(key, bytes, PLAYLIST_TYPE));
  }

  @Override
  public Optional<String> readMediaPlaylist(String streamId, String rendition) throws IOException {
    return local.readMediaPlaylist(streamId, rendition);
  }

  @Override
  public void writeMasterPlaylist(String streamId, String text) throws IOException {
    local.writeMasterPlaylist(streamId, text);
    ByteString bytes = ByteString.fromString(text);
    String key = key(streamId, null, "index.m3u8");
    enqueue(streamId, null, "master playlist", () -> objects.put(key, bytes, PLAYLIST_TYPE));
  }

  @Override
  public void deleteSegment(String streamId, String rendition, String name) throws IOException {
    local.deleteSegment(streamId, rendition, name);
    if (!mirrored(name)) {
      return;
    }
    String key = key(streamId, rendition, name);
    enqueue(streamId, rendition, "deletion of " + name, () -> objects.delete(key));
  }
}

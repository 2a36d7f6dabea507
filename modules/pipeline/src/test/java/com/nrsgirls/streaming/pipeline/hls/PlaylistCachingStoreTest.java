package com.nrsgirls.streaming.pipeline.hls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PlaylistCachingStoreTest {
  @TempDir Path root;

  @Test
  void keepsWhatItWroteAndWritesTheDiskFirst() throws Exception {
    PlaylistCachingStore store =
        new PlaylistCachingStore(new LocalSegmentStore(root), java.time.Clock.systemUTC());
    store.writeMediaPlaylist("s1", "source", "#EXTM3U\n#one\n");
    store.writeMediaPlaylist("s1", "source", "#EXTM3U\n#two\n");
    store.writeMasterPlaylist("s1", "#EXTM3U\n#master\n");

    assertEquals("#EXTM3U\n#two\n", text(store.cachedPlaylist("s1", "source")));
    assertEquals("#EXTM3U\n#master\n", text(store.cachedPlaylist("s1", null)));
    assertEquals("#EXTM3U\n#two\n", Files.readString(root.resolve("s1/source/index.m3u8")));
    assertEquals("#EXTM3U\n#master\n", Files.readString(root.resolve("s1/index.m3u8")));
    assertEquals(Optional.empty(), store.cachedPlaylist("s1", "720p"));
    assertEquals(Optional.empty(), store.cachedPlaylist("s2", "source"));
  }

  @Test
  void aPlaylistFromBeforeTheNodeStartedIsReadFromDisk() throws Exception {
    new LocalSegmentStore(root).writeMediaPlaylist("s1", "source", "#EXTM3U\n#old\n");
    PlaylistCachingStore store =
        new PlaylistCachingStore(new LocalSegmentStore(root), java.time.Clock.systemUTC());
    assertEquals(Optional.empty(), store.cachedPlaylist("s1", "source"));
    assertEquals(Optional.of("#EXTM3U\n#old\n"), store.readMediaPlaylist("s1", "source"));
  }

  @Test
  void aFailedWriteLeavesTheCacheAsItWas() throws Exception {
    PlaylistCachingStore store =
        new PlaylistCachingStore(new LocalSegmentStore(root), java.time.Clock.systemUTC());
    store.writeMediaPlaylist("s1", "source", "#EXTM3U\n#good\n");
    // The rendition directory replaced by a file: the next write cannot land.
    Path dir = root.resolve("s1/source");
    Files.walk(dir).sorted((a, b) -> b.compareTo(a)).forEach(PlaylistCachingStoreTest::delete);
    Files.writeString(dir, "in the way");
    assertThrows(IOException.class, () -> store.writeMediaPlaylist("s1", "source", "#bad\n"));
    assertTrue(store.cachedPlaylist("s1", "source").isPresent());
    assertEquals("#EXTM3U\n#good\n", text(store.cachedPlaylist("s1", "source")));
  }

  private static String text(Optional<PlaylistCachingStore.CachedPlaylist> cached) {
    return new String(cached.orElseThrow().bytes(), StandardCharsets.UTF_8);
  }

  private static void delete(Path p) {
    try {
      Files.delete(p);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}

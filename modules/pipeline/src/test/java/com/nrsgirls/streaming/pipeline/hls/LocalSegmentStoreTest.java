package com.nrsgirls.streaming.pipeline.hls;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalSegmentStoreTest {
  @TempDir Path root;

  @Test
  void segmentIsInvisibleUntilCommittedThenAppearsWhole() throws Exception {
    LocalSegmentStore store = new LocalSegmentStore(root);
    Path target = root.resolve("s1/source/0-a.ts");
    byte[] data = new byte[200_000];
    for (int i = 0; i < data.length; i++) {
      data[i] = (byte) i;
    }
    try (SegmentOutput out = store.createSegment("s1", "source", "0-a.ts")) {
      out.write(data, 0, 100_000);
      out.write(data, 100_000, 100_000);
      assertFalse(Files.exists(target));
      out.commit();
    }
    assertArrayEquals(data, Files.readAllBytes(target));
    assertEquals(1, listing(root.resolve("s1/source")), "no temp file left behind");
  }

  @Test
  void writesGoStraightToTheFileWithoutBufferingACopy() throws Exception {
    LocalSegmentStore store = new LocalSegmentStore(root);
    byte[] chunk = new byte[64 * 188]; // one muxer chunk
    try (SegmentOutput out = store.createSegment("s1", "source", "0-a.ts")) {
      out.write(chunk, 0, chunk.length);
      Path temp;
      try (Stream<Path> files = Files.list(root.resolve("s1/source"))) {
        temp = files.filter(f -> f.getFileName().toString().startsWith(".")).findFirst().get();
      }
      assertEquals(chunk.length, Files.size(temp), "in the file at once, not held in a buffer");
      out.write(chunk, 100, 188);
      assertEquals(chunk.length + 188, Files.size(temp));
      out.commit();
    }
    assertEquals(chunk.length + 188, Files.size(root.resolve("s1/source/0-a.ts")));
  }

  @Test
  void abortedOrUnclosedSegmentLeavesNothing() throws Exception {
    LocalSegmentStore store = new LocalSegmentStore(root);
    SegmentOutput out = store.createSegment("s1", "source", "1-a.ts");
    out.write(new byte[10], 0, 10);
    out.abort();
    try (SegmentOutput other = store.createSegment("s1", "source", "2-a.ts")) {
      other.write(new byte[10], 0, 10);
    }
    assertEquals(0, listing(root.resolve("s1/source")));
    assertThrows(IOException.class, () -> out.write(new byte[1], 0, 1));
  }

  @Test
  void playlistsAreReplacedAndReadBack() throws Exception {
    LocalSegmentStore store = new LocalSegmentStore(root);
    assertEquals(Optional.empty(), store.readMediaPlaylist("s1", "source"));
    store.writeMediaPlaylist("s1", "source", "#EXTM3U\none\n");
    store.writeMediaPlaylist("s1", "source", "#EXTM3U\ntwo\n");
    assertEquals(Optional.of("#EXTM3U\ntwo\n"), store.readMediaPlaylist("s1", "source"));
    store.writeMasterPlaylist("s1", "#EXTM3U\nmaster\n");
    assertEquals("#EXTM3U\nmaster\n", Files.readString(root.resolve("s1/index.m3u8")));
    assertEquals(1, listing(root.resolve("s1/source")));
  }

  @Test
  void deleteRemovesASegmentAndToleratesAMissingOne() throws Exception {
    LocalSegmentStore store = new LocalSegmentStore(root);
    try (SegmentOutput out = store.createSegment("s1", "source", "3-a.ts")) {
      out.commit();
    }
    assertTrue(Files.exists(root.resolve("s1/source/3-a.ts")));
    store.deleteSegment("s1", "source", "3-a.ts");
    store.deleteSegment("s1", "source", "3-a.ts");
    assertFalse(Files.exists(root.resolve("s1/source/3-a.ts")));
  }

  @Test
  void namesThatCouldLeaveTheDirectoryAreRefused() {
    LocalSegmentStore store = new LocalSegmentStore(root);
    for (String bad : new String[] {"..", "a/b", ".hidden", "", "a\\b", "x y"}) {
      assertThrows(
          IllegalArgumentException.class, () -> store.createSegment("s1", "source", bad), bad);
      assertThrows(
          IllegalArgumentException.class, () -> store.readMediaPlaylist(bad, "source"), bad);
      assertThrows(
          IllegalArgumentException.class, () -> store.deleteSegment("s1", bad, "a.ts"), bad);
    }
  }

  private static long listing(Path dir) throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      return files.count();
    }
  }
}

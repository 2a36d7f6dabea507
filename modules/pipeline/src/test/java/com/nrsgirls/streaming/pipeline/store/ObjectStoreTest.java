package com.nrsgirls.streaming.pipeline.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nrsgirls.streaming.testkit.S3Server;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Both stores against the same contract: the local directory, and a real S3 server (S3Proxy). */
class ObjectStoreTest {
  private static final String BUCKET = "nrs-store-test";

  @TempDir static Path dir;
  private static ActorSystem<Void> system;
  private static S3Server s3;

  @BeforeAll
  static void start() throws Exception {
    system = ActorSystem.create(Behaviors.empty(), "ObjectStoreTest");
    s3 = S3Server.start(dir.resolve("s3"), BUCKET);
  }

  @AfterAll
  static void stop() throws Exception {
    s3.close();
    system.terminate();
  }

  static S3ObjectStore s3Store(String prefix, long partSize) {
    return new S3ObjectStore(
        system,
        new S3StoreSettings(
            BUCKET,
            prefix,
            s3.endpoint(),
            "us-east-1",
            true,
            S3Server.ACCESS_KEY,
            S3Server.SECRET_KEY,
            partSize,
            java.time.Duration.ofSeconds(20)));
  }

  private static <T> T await(CompletionStage<T> stage) throws Exception {
    return stage.toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  private void contract(ObjectStore store) throws Exception {
    byte[] small = "hello".getBytes();
    await(store.put("a/b/one.txt", ByteString.fromArray(small), "text/plain"));
    assertArrayEquals(small, await(store.get("a/b/one.txt")).orElseThrow().toArray());
    await(store.put("a/b/one.txt", ByteString.fromString("again"), "text/plain"));
    assertEquals("again", await(store.get("a/b/one.txt")).orElseThrow().utf8String());
    assertTrue(await(store.get("a/b/none.txt")).isEmpty());

    // a file larger than the part size goes up in parts
    byte[] big = new byte[12 * 1024 * 1024 + 123];
    new Random(7).nextBytes(big);
    Path file = Files.createTempFile(dir, "big", ".bin");
    Files.write(file, big);
    await(store.putFile("a/c/big.bin", file, "application/octet-stream"));
    assertArrayEquals(big, await(store.get("a/c/big.bin")).orElseThrow().toArray());

    // opened, it streams: same size, same bytes
    ObjectStore.Body body = await(store.open("a/c/big.bin")).orElseThrow();
    assertEquals(big.length, body.size());
    ByteString streamed =
        await(
            body.bytes()
                .runWith(
                    org.apache.pekko.stream.javadsl.Sink.fold(
                        ByteString.emptyByteString(), ByteString::concat),
                    system));
    assertArrayEquals(big, streamed.toArray());
    assertTrue(await(store.open("a/c/none.bin")).isEmpty());

    List<ObjectStore.StoredObject> listed = await(store.list("a/"));
    assertEquals(
        List.of(
            new ObjectStore.StoredObject("a/b/one.txt", 5),
            new ObjectStore.StoredObject("a/c/big.bin", big.length)),
        listed);
    assertEquals(1, await(store.list("a/b")).size());
    assertTrue(await(store.list("z/")).isEmpty());

    await(store.delete("a/b/one.txt"));
    await(store.delete("a/b/one.txt")); // again: no error
    assertTrue(await(store.get("a/b/one.txt")).isEmpty());
    assertEquals(1, await(store.list("a/")).size());

    assertThrows(IllegalArgumentException.class, () -> store.get("../etc/passwd"));
    assertThrows(IllegalArgumentException.class, () -> store.get("a//b"));
    assertThrows(IllegalArgumentException.class, () -> store.get("a/.hidden"));
  }

  @Test
  void localDirectory() throws Exception {
    contract(new LocalObjectStore(dir.resolve("local"), Runnable::run));
  }

  @Test
  void s3() throws Exception {
    S3ObjectStore store = s3Store("nrs", 5 * 1024 * 1024);
    contract(store);
    // the prefix is where the objects are
    assertTrue(Files.isRegularFile(s3.bucketDir(BUCKET).resolve("nrs/a/c/big.bin")));
  }

  @Test
  void s3ThatIsDownFailsWithWhatWasAsked() throws Exception {
    S3ObjectStore store =
        new S3ObjectStore(
            system,
            new S3StoreSettings(
                BUCKET,
                "",
                "http://127.0.0.1:1",
                "us-east-1",
                true,
                "k",
                "s",
                5 << 20,
                java.time.Duration.ofSeconds(3)));
    ExecutionException e =
        assertThrows(
            ExecutionException.class,
            () ->
                store
                    .put("x/y", ByteString.fromString("z"), "text/plain")
                    .toCompletableFuture()
                    .get(30, TimeUnit.SECONDS));
    assertTrue(e.getCause() instanceof StoreException, e.toString());
    assertTrue(
        e.getCause().getMessage().startsWith("put x/y in s3 bucket"), e.getCause().getMessage());
    assertFalse(e.getCause().getMessage().contains("\"s\""));
  }

  @Test
  void wrongSecretIsRefused() throws Exception {
    S3ObjectStore store =
        new S3ObjectStore(
            system,
            new S3StoreSettings(
                BUCKET,
                "",
                s3.endpoint(),
                "us-east-1",
                true,
                S3Server.ACCESS_KEY,
                "wrong",
                5 << 20,
                java.time.Duration.ofSeconds(20)));
    ExecutionException e =
        assertThrows(
            ExecutionException.class,
            () -> await(store.put("x/y", ByteString.fromString("z"), "text/plain")));
    assertTrue(e.getCause() instanceof StoreException, e.toString());
  }
}

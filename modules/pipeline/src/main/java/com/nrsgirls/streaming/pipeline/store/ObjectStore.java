package com.nrsgirls.streaming.pipeline.store;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;
import org.apache.pekko.util.ByteString;

/**
 * Where recordings (and, when configured, HLS) are kept: a flat namespace of objects named by keys
 * of '/'-separated path segments (letters, digits, '.', '_', '-'; none empty or starting with '.').
 * An object appears whole or not at all, and a put replaces it. Every call is asynchronous and
 * never blocks its caller; a failure completes the stage exceptionally (with a {@link
 * StoreException} saying what failed, without credentials).
 */
public interface ObjectStore {
  /** Stores {@code data} under {@code key}. */
  CompletionStage<Done> put(String key, ByteString data, String contentType);

  /**
   * Stores a file's contents under {@code key}; one larger than the store's part size goes up in
   * parts (an S3 multipart upload), so memory never holds it whole. The file must not change
   * afterwards: the local store links it rather than copying it when it can.
   */
  CompletionStage<Done> putFile(String key, Path file, String contentType);

  /** The object's bytes, or empty if there is none. */
  CompletionStage<Optional<ByteString>> get(String key);

  /**
   * The object's size and a source of its bytes (read as the source is pulled, never whole), or
   * empty if there is none. The source may be run once.
   */
  CompletionStage<Optional<Body>> open(String key);

  /** An object opened for reading. */
  record Body(
      long size,
      org.apache.pekko.stream.javadsl.Source<ByteString, org.apache.pekko.NotUsed> bytes) {}

  /** The objects whose keys start with {@code prefix}, in key order. */
  CompletionStage<List<StoredObject>> list(String prefix);

  /** Deletes an object; one that is not there is no error. */
  CompletionStage<Done> delete(String key);

  /** Where it stores, for logs (never a credential). */
  String describe();

  /** An object as listed. */
  record StoredObject(String key, long size) {}

  /** Throws unless {@code key} is a key as described above. */
  static String checkKey(String key) {
    if (key == null || key.isEmpty() || key.length() > 512) {
      throw new IllegalArgumentException("invalid object key: " + key);
    }
    for (String segment : key.split("/", -1)) {
      try {
        com.nrsgirls.streaming.pipeline.hls.SegmentStore.checkName("object key segment", segment);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("invalid object key: " + key);
      }
    }
    return key;
  }
}

package com.nrsgirls.streaming.pipeline.store;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;
import org.apache.pekko.actor.ClassicActorSystemProvider;
import org.apache.pekko.http.javadsl.model.ContentType;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.stream.Attributes;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.connectors.s3.S3Attributes;
import org.apache.pekko.stream.connectors.s3.S3Exception;
import org.apache.pekko.stream.connectors.s3.S3Settings;
import org.apache.pekko.stream.connectors.s3.javadsl.S3;
import org.apache.pekko.stream.javadsl.FileIO;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;

/**
 * An S3-compatible bucket through pekko-connectors-s3 (AWS S3, MinIO, Ceph, S3Proxy, ...). Keys get
 * the configured prefix. A file larger than the part size goes up as a multipart upload whose parts
 * stream from disk; everything else is one PUT. Pekko-connectors retries what the server answers
 * with a 5xx; a call that still fails completes with a {@link StoreException}.
 */
public final class S3ObjectStore implements ObjectStore {
  private final S3StoreSettings settings;
  private final Attributes attributes;
  private final Materializer materializer;

  public S3ObjectStore(ClassicActorSystemProvider system, S3StoreSettings settings) {
    this.settings = settings;
    this.materializer = Materializer.matFromSystem(system);
    Config base = system.classicSystem().settings().config().getConfig(S3Settings.ConfigPath());
    this.attributes = S3Attributes.settings(S3Settings.create(connectorConfig(settings, base)));
  }

  /** The pekko-connectors-s3 settings for ours, over its defaults. */
  static Config connectorConfig(S3StoreSettings s, Config defaults) {
    Config c = ConfigFactory.empty();
    c =
        c.withValue(
            "access-style", ConfigValueFactory.fromAnyRef(s.pathStyle() ? "path" : "virtual"));
    if (!s.endpoint().isEmpty()) {
      c = c.withValue("endpoint-url", ConfigValueFactory.fromAnyRef(s.endpoint()));
    }
    c =
        c.withValue("aws.region.provider", ConfigValueFactory.fromAnyRef("static"))
            .withValue("aws.region.default-region", ConfigValueFactory.fromAnyRef(s.region()));
    if (!s.accessKey().isEmpty()) {
      c =
          c.withValue("aws.credentials.provider", ConfigValueFactory.fromAnyRef("static"))
              .withValue(
                  "aws.credentials.access-key-id", ConfigValueFactory.fromAnyRef(s.accessKey()))
              .withValue(
                  "aws.credentials.secret-access-key",
                  ConfigValueFactory.fromAnyRef(s.secretKey()));
    }
    // one retry here: a failed call is the caller's to retry, with its own backoff
    c =
        c.withValue("retry-settings.max-retries", ConfigValueFactory.fromAnyRef(1))
            .withValue(
                "multipart-upload.retry-settings.max-retries", ConfigValueFactory.fromAnyRef(1));
    return c.withFallback(defaults);
  }

  private String fullKey(String key) {
    return settings.prefix() + ObjectStore.checkKey(key);
  }

  private static ContentType contentType(String contentType) {
    try {
      return ContentTypes.parse(contentType);
    } catch (RuntimeException e) {
      return ContentTypes.APPLICATION_OCTET_STREAM;
    }
  }

  @Override
  public CompletionStage<Done> put(String key, ByteString data, String contentType) {
    String full = fullKey(key);
    return wrap(
        "put " + key,
        S3.putObject(
                settings.bucket(), full, Source.single(data), data.size(), contentType(contentType))
            .withAttributes(attributes)
            .completionTimeout(settings.callTimeout())
            .runWith(Sink.ignore(), materializer));
  }

  @Override
  public CompletionStage<Done> putFile(String key, Path file, String contentType) {
    String full = fullKey(key);
    long size;
    try {
      size = Files.size(file);
    } catch (IOException e) {
      return CompletableFuture.failedFuture(
          new StoreException("put " + key + " from " + file + " failed: " + e, e));
    }
    if (size <= settings.partSize()) {
      return wrap(
          "put " + key,
          S3.putObject(
                  settings.bucket(), full, FileIO.fromPath(file), size, contentType(contentType))
              .withAttributes(attributes)
              .completionTimeout(settings.callTimeout())
              .runWith(Sink.ignore(), materializer));
    }
    return wrap(
        "multipart upload " + key,
        FileIO.fromPath(file, (int) Math.min(settings.partSize(), 8 * 1024 * 1024))
            .runWith(
                S3.multipartUpload(settings.bucket(), full, contentType(contentType))
                    .withAttributes(attributes),
                materializer)
            .toCompletableFuture()
            .orTimeout(
                settings.callTimeout().toMillis() * (1 + size / settings.partSize()),
                java.util.concurrent.TimeUnit.MILLISECONDS)
            .thenApply(result -> Done.getInstance()));
  }

  @Override
  public CompletionStage<Optional<ByteString>> get(String key) {
    String full = fullKey(key);
    CompletionStage<Optional<ByteString>> read =
        S3.getObject(settings.bucket(), full)
            .withAttributes(attributes)
            .completionTimeout(settings.callTimeout())
            .runWith(Sink.fold(ByteString.emptyByteString(), ByteString::concat), materializer)
            .thenApply(Optional::of);
    return read.handle(
            (bytes, error) -> {
              if (error == null) {
                return CompletableFuture.completedFuture(bytes);
              }
              Throwable cause =
                  error instanceof java.util.concurrent.CompletionException
                      ? error.getCause()
                      : error;
              if (cause instanceof S3Exception s3
                  && s3.statusCode().intValue() == StatusCodes.NOT_FOUND.intValue()) {
                return CompletableFuture.completedFuture(Optional.<ByteString>empty());
              }
              return CompletableFuture.<Optional<ByteString>>failedFuture(
                  new StoreException(
                      "get " + key + " from " + describe() + " failed: " + cause, cause));
            })
        .thenCompose(f -> f);
  }

  @Override
  public CompletionStage<Optional<Body>> open(String key) {
    String full = fullKey(key);
    return wrap(
        "open " + key,
        S3.getObjectMetadata(settings.bucket(), full)
            .withAttributes(attributes)
            .completionTimeout(settings.callTimeout())
            .runWith(Sink.head(), materializer)
            .thenApply(
                meta ->
                    meta.map(
                        m ->
                            new Body(
                                m.getContentLength(),
                                S3.getObject(settings.bucket(), full)
                                    .withAttributes(attributes)
                                    .idleTimeout(settings.callTimeout())
                                    .mapMaterializedValue(
                                        x -> org.apache.pekko.NotUsed.getInstance())))));
  }

  @Override
  public CompletionStage<List<StoredObject>> list(String prefix) {
    int strip = settings.prefix().length();
    return wrap(
        "list " + prefix,
        S3.listBucket(settings.bucket(), Optional.of(settings.prefix() + prefix))
            .withAttributes(attributes)
            .completionTimeout(settings.callTimeout())
            .filter(c -> !c.key().endsWith("/")) // a directory marker of some servers
            .map(c -> new StoredObject(c.key().substring(strip), c.size()))
            .runWith(Sink.seq(), materializer));
  }

  @Override
  public CompletionStage<Done> delete(String key) {
    String full = fullKey(key);
    return wrap(
        "delete " + key,
        S3.deleteObject(settings.bucket(), full)
            .withAttributes(attributes)
            .completionTimeout(settings.callTimeout())
            .runWith(Sink.ignore(), materializer));
  }

  @Override
  public String describe() {
    return "s3 bucket "
        + settings.bucket()
        + (settings.prefix().isEmpty() ? "" : " prefix " + settings.prefix())
        + (settings.endpoint().isEmpty() ? "" : " at " + settings.endpoint());
  }

  private <T> CompletionStage<T> wrap(String what, CompletionStage<T> call) {
    return call.handle(
            (value, error) -> {
              if (error == null) {
                return CompletableFuture.completedFuture(value);
              }
              Throwable cause =
                  error instanceof java.util.concurrent.CompletionException
                      ? error.getCause()
                      : error;
              return CompletableFuture.<T>failedFuture(
                  new StoreException(what + " in " + describe() + " failed: " + cause, cause));
            })
        .thenCompose(f -> f);
  }
}

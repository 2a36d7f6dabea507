package com.nrsgirls.streaming.pipeline.restream;

import com.nrsgirls.streaming.core.stream.RestreamTarget;
import com.nrsgirls.streaming.pipeline.restream.platform.PlatformClient;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.stream.Materializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's pushes to restream targets, one per stream and target, kept across the stream's
 * publish sessions: a session's branch joins the push that is running (or starts one), so a
 * publisher's reconnect within the grace or a takeover never reconnects the platforms. A push ends
 * when the stream's outputs end ({@link #endAll}), when its target changes or goes ({@link #end}),
 * or when its connection fails (the next branch starts a new one). Thread-safe.
 */
public final class RestreamHub {
  private static final Logger log = LoggerFactory.getLogger(RestreamHub.class);

  /**
   * How a push finds its way in: the target's own stream key, or the creator's access token for the
   * platform's API (which says where to push). Opened secrets: never logged.
   */
  public record Credentials(String streamKey, String accessToken) {
    public static Credentials key(String streamKey) {
      return new Credentials(streamKey, null);
    }

    public static Credentials account(String accessToken) {
      return new Credentials(null, accessToken);
    }

    @Override
    public String toString() {
      return accessToken != null ? "Credentials[account]" : "Credentials[key]";
    }
  }

  /** A broadcast prepared through a platform's API, to be ended with the stream's outputs. */
  private record Prepared(
      PlatformClient client, String token, CompletionStage<PlatformClient.Ingest> ingest) {}

  private final RestreamSettings settings;
  private final RestreamBranch.Connector connector;
  private final Materializer materializer;
  private final Map<String, PlatformClient> platforms;
  private final Map<String, TargetPush> pushes = new HashMap<>();
  private final Map<String, Prepared> prepared = new HashMap<>();
  private final Map<String, AtomicLong> bytes = new ConcurrentHashMap<>();

  /**
   * @param platforms the platforms' API clients by platform name, for targets with a linked account
   */
  public RestreamHub(
      ActorSystem<?> system, RestreamSettings settings, Map<String, PlatformClient> platforms) {
    this(settings, RestreamBranch.tcp(system), Materializer.matFromSystem(system), platforms);
  }

  RestreamHub(
      RestreamSettings settings,
      RestreamBranch.Connector connector,
      Materializer materializer,
      Map<String, PlatformClient> platforms) {
    this.settings = settings;
    this.connector = connector;
    this.materializer = materializer;
    this.platforms = Map.copyOf(platforms);
  }

  RestreamSettings settings() {
    return settings;
  }

  private static String key(String streamId, String targetId) {
    return streamId + "/" + targetId;
  }

  /** The running push of the stream to the target, or a new one if there is none that works. */
  synchronized TargetPush push(String streamId, RestreamTarget target, Credentials credentials) {
    String key = key(streamId, target.targetId());
    TargetPush running = pushes.get(key);
    if (running != null && !running.ended() && running.target().equals(target)) {
      return running;
    }
    if (running != null) {
      running.end(); // changed while no session ran
    }
    TargetPush push =
        TargetPush.start(
            target,
            ingest(streamId, target, credentials),
            settings,
            bytes.computeIfAbsent(key, k -> new AtomicLong()),
            connector,
            materializer);
    log.info(
        "stream={} restream to {} connecting to {}", streamId, target.targetId(), target.url());
    push.terminated()
        .whenComplete(
            (ok, err) -> {
              if (err != null) {
                log.warn(
                    "stream={} restream to {} failed: {}",
                    streamId,
                    target.targetId(),
                    err.getMessage());
              } else {
                log.info("stream={} restream to {} ended", streamId, target.targetId());
              }
            });
    pushes.put(key, push);
    return push;
  }

  /**
   * Where to push: the target's URL and key, or what its platform's API answers for the creator's
   * account. A broadcast prepared that way is kept (so a reconnect does not make another) until the
   * stream's outputs end or it failed.
   */
  private CompletionStage<PlatformClient.Ingest> ingest(
      String streamId, RestreamTarget target, Credentials credentials) {
    if (credentials.accessToken() == null) {
      return CompletableFuture.completedFuture(
          new PlatformClient.Ingest(target.url(), credentials.streamKey(), null));
    }
    PlatformClient client = platforms.get(target.platform());
    if (client == null) {
      return CompletableFuture.failedFuture(
          new RestreamException("no API client for " + target.platform() + " on this node"));
    }
    String key = key(streamId, target.targetId());
    Prepared done = prepared.get(key);
    if (done != null && !done.ingest().toCompletableFuture().isCompletedExceptionally()) {
      return done.ingest();
    }
    log.info(
        "stream={} restream to {}: asking {} where to push",
        streamId,
        target.targetId(),
        target.platform());
    CompletionStage<PlatformClient.Ingest> ingest =
        client.prepare(credentials.accessToken(), broadcast(streamId));
    prepared.put(key, new Prepared(client, credentials.accessToken(), ingest));
    ingest.whenComplete(
        (where, err) -> {
          if (err != null) {
            Throwable cause = err instanceof CompletionException ? err.getCause() : err;
            log.warn(
                "stream={} restream to {}: {} refused: {}",
                streamId,
                target.targetId(),
                target.platform(),
                cause.getMessage());
          } else {
            log.info(
                "stream={} restream to {}: {} prepared {}",
                streamId,
                target.targetId(),
                target.platform(),
                where);
          }
        });
    return ingest;
  }

  private static PlatformClient.Broadcast broadcast(String streamId) {
    return new PlatformClient.Broadcast(
        "Live on NRSgirls", "https://nrsgirls.com/live/" + streamId, Instant.now());
  }

  /** Ends the broadcast a platform prepared for the target, if it did. */
  private void endPrepared(String key) {
    Prepared p = prepared.remove(key);
    if (p == null) {
      return;
    }
    p.ingest()
        .thenCompose(where -> p.client().end(p.token(), where))
        .whenComplete(
            (ok, err) -> {
              if (err != null && !p.ingest().toCompletableFuture().isCompletedExceptionally()) {
                Throwable cause = err instanceof CompletionException ? err.getCause() : err;
                log.warn(
                    "restream {}: ending the platform's broadcast failed: {}",
                    key,
                    cause.getMessage());
              }
            });
  }

  /** Bytes sent to the target since the stream's outputs last ended, over every push. */
  LongSupplier bytesSent(String streamId, String targetId) {
    AtomicLong counter = bytes.computeIfAbsent(key(streamId, targetId), k -> new AtomicLong());
    return counter::get;
  }

  /** The target changed or went: its push ends. */
  public synchronized void end(String streamId, String targetId) {
    TargetPush push = pushes.remove(key(streamId, targetId));
    if (push != null) {
      push.end();
    }
    endPrepared(key(streamId, targetId));
  }

  /** The stream's outputs end (it stopped, or its publisher did not come back): every push ends. */
  public synchronized void endAll(String streamId) {
    String prefix = streamId + "/";
    pushes
        .entrySet()
        .removeIf(
            e -> {
              if (e.getKey().startsWith(prefix)) {
                e.getValue().end();
                return true;
              }
              return false;
            });
    bytes.keySet().removeIf(k -> k.startsWith(prefix));
    for (String key : List.copyOf(prepared.keySet())) {
      if (key.startsWith(prefix)) {
        endPrepared(key);
      }
    }
  }
}

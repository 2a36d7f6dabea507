package com.nrsgirls.streaming.pipeline.restream;

import com.nrsgirls.streaming.core.stream.RestreamTarget;
import java.util.HashMap;
import java.util.Map;
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

  private final RestreamSettings settings;
  private final RestreamBranch.Connector connector;
  private final Materializer materializer;
  private final Map<String, TargetPush> pushes = new HashMap<>();
  private final Map<String, AtomicLong> bytes = new ConcurrentHashMap<>();

  public RestreamHub(ActorSystem<?> system, RestreamSettings settings) {
    this(settings, RestreamBranch.tcp(system), Materializer.matFromSystem(system));
  }

  RestreamHub(
      RestreamSettings settings, RestreamBranch.Connector connector, Materializer materializer) {
    this.settings = settings;
    this.connector = connector;
    this.materializer = materializer;
  }

  RestreamSettings settings() {
    return settings;
  }

  private static String key(String streamId, String targetId) {
    return streamId + "/" + targetId;
  }

  /** The running push of the stream to the target, or a new one if there is none that works. */
  synchronized TargetPush push(String streamId, RestreamTarget target, String streamKey) {
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
            streamKey,
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
  }
}

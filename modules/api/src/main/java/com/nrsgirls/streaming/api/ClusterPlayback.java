package com.nrsgirls.streaming.api;

import static org.apache.pekko.http.javadsl.server.Directives.*;

import com.nrsgirls.streaming.core.stream.LiveStreamProtocol;
import com.nrsgirls.streaming.core.stream.StreamId;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.event.Logging;
import org.apache.pekko.event.LoggingAdapter;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.http.javadsl.settings.ConnectionPoolSettings;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Playback in a cluster: a stream's HLS is written on the node its entity (and so its graph) runs
 * on, and its WebRTC viewers (WHEP) are served from there too; any node answers for it. A request
 * for a stream owned elsewhere is forwarded to the owner's HTTP server and its answer streamed back
 * as it arrives; the owner is asked of the entity (its state names its node) and remembered for
 * {@code ownerTtl}, so a node asks each stream's entity at most once per TTL however many viewers
 * it serves (an ask that failed is not remembered: the next request asks again, one ask in flight
 * per stream). A forwarded request carries {@link #FORWARDED} and is always answered from the
 * receiving node's own files: never forwarded twice, even while the owner moves. A single-node
 * cluster asks nothing.
 *
 * <p>The cost: a forwarded request crosses the cluster's network twice (owner to this node, this
 * node to the viewer), and waits for one entity ask when its stream's owner is not remembered. The
 * alternative, every node reading HLS from the shared object store, costs a store write per segment
 * and playlist update and a store read per request, and serves a playlist as stale as the mirror.
 */
final class ClusterPlayback {
  private static final Logger log = LoggerFactory.getLogger(ClusterPlayback.class);
  static final String FORWARDED = "X-Nrs-Forwarded-By";
  private static final Set<String> REQUEST_HEADERS =
      Set.of("range", "if-none-match", "if-modified-since", "if-range", "user-agent");
  private static final Set<String> RESPONSE_HEADERS =
      Set.of(
          "etag",
          "last-modified",
          "cache-control",
          "content-range",
          "accept-ranges",
          "location", // a WHEP viewer's resource
          "retry-after");
  private static final int MAX_REMEMBERED = 10_000;

  /**
   * The longest a low-latency playlist's blocking request (or a request for the hinted part) may be
   * held by its owner: three target durations of the longest a playlist can have (12 s), after
   * which the owner answers 503.
   */
  private static final long BLOCKING_RELOAD_MILLIS = 36_000;

  /** Where a stream's playback is: here (empty URL), or another node's HTTP server. */
  private record Owner(Optional<String> httpUrl, long expiresAtNanos) {}

  private final ActorSystem<?> system;
  private final Cluster cluster;
  private final StreamDirectory directory;
  private final String selfNode;
  private final Duration ownerTtl;
  private final Duration lookupTimeout;
  private final Duration forwardTimeout;
  private final ConnectionPoolSettings pool;
  private final LoggingAdapter poolLog;
  private final Map<String, CompletableFuture<Owner>> owners = new ConcurrentHashMap<>();

  ClusterPlayback(
      ActorSystem<?> system,
      StreamDirectory directory,
      String selfNode,
      Duration ownerTtl,
      Duration lookupTimeout,
      Duration forwardTimeout) {
    this.system = system;
    this.cluster = Cluster.get(system);
    this.directory = directory;
    this.selfNode = selfNode;
    this.ownerTtl = ownerTtl;
    this.lookupTimeout = lookupTimeout;
    this.forwardTimeout = forwardTimeout;
    this.pool =
        ConnectionPoolSettings.create(system.classicSystem())
            .withMaxConnections(64)
            .withMaxOpenRequests(1024);
    this.poolLog = Logging.getLogger(system.classicSystem(), ClusterPlayback.class);
  }

  /** {@code local} when this node serves the stream (or may as well), else the owner's answer. */
  Route serve(String streamId, Supplier<Route> local) {
    if (cluster.state().members().size() <= 1 || !StreamId.isValid(streamId)) {
      return local.get();
    }
    return optionalHeaderValueByName(
        FORWARDED,
        forwardedBy ->
            forwardedBy.isPresent()
                ? local.get()
                : onSuccess(
                    owner(streamId),
                    url ->
                        url.isEmpty()
                            ? local.get()
                            : extractRequest(
                                request ->
                                    onSuccess(
                                        forward(streamId, url.get(), request),
                                        response -> complete(response)))));
  }

  private CompletionStage<Optional<String>> owner(String streamId) {
    long now = System.nanoTime();
    CompletableFuture<Owner> known = owners.get(streamId);
    if (known != null && (!known.isDone() || known.join().expiresAtNanos() > now)) {
      return known.thenApply(Owner::httpUrl);
    }
    if (owners.size() > MAX_REMEMBERED) {
      owners.values().removeIf(f -> f.isDone() && f.join().expiresAtNanos() <= now);
      if (owners.size() > MAX_REMEMBERED) {
        owners.clear();
      }
    }
    CompletableFuture<Owner> lookup = lookUp(streamId).toCompletableFuture();
    owners.put(streamId, lookup);
    return lookup.thenApply(Owner::httpUrl);
  }

  /**
   * Asks the stream's entity where it runs, after one journal read that refuses streams never
   * created (asking would start an entity, which sharding remembers in the journal). Any failure
   * answers "here": the local files, or a 404.
   */
  private CompletionStage<Owner> lookUp(String streamId) {
    return directory
        .exists(streamId)
        .thenCompose(
            exists ->
                exists
                    ? directory.ask(streamId, LiveStreamProtocol.GetState::new, lookupTimeout)
                    : CompletableFuture.completedFuture(null))
        .handle(
            (reply, error) -> {
              Optional<String> url = Optional.empty();
              if (reply instanceof LiveStreamProtocol.StateView state
                  && !selfNode.equals(state.stream().ownerNode())
                  && state.stream().ownerHttpUrl() != null) {
                url = Optional.of(state.stream().ownerHttpUrl());
              } else if (error != null) {
                log.warn(
                    "playback: stream {}: its owner is unknown: {}", streamId, error.toString());
                // Not remembered: the entity is most likely starting on another node after its
                // node died, and the next request asks again (one ask at a time per stream).
                return new Owner(url, System.nanoTime());
              }
              return new Owner(url, System.nanoTime() + ownerTtl.toNanos());
            });
  }

  private CompletionStage<HttpResponse> forward(
      String streamId, String ownerUrl, HttpRequest request) {
    List<HttpHeader> headers = new ArrayList<>();
    for (HttpHeader h : request.getHeaders()) {
      if (REQUEST_HEADERS.contains(h.lowercaseName())) {
        headers.add(h);
      }
    }
    headers.add(RawHeader.create(FORWARDED, selfNode));
    // the query too: a low-latency playlist's blocking request (_HLS_msn, _HLS_part) is in it
    String target =
        ownerUrl
            + request.getUri().getPathString()
            + request.getUri().rawQueryString().map(q -> "?" + q).orElse("");
    // GET for HLS; POST (an SDP offer, its entity and content type as they came) and DELETE for
    // WHEP viewers
    HttpRequest upstream =
        HttpRequest.create(target)
            .withMethod(request.method())
            .withEntity(request.entity())
            .addHeaders(headers);
    return Http.get(system.classicSystem())
        .singleRequest(
            upstream, Http.get(system.classicSystem()).defaultClientHttpsContext(), pool, poolLog)
        .toCompletableFuture()
        .orTimeout(
            forwardTimeout.toMillis()
                + (target.contains("_HLS_msn=") || request.getUri().path().endsWith(".m4s")
                    ? BLOCKING_RELOAD_MILLIS
                    : 0),
            TimeUnit.MILLISECONDS)
        .handle(
            (response, error) -> {
              if (error != null) {
                owners.remove(streamId); // ask the entity again: it may be moving
                log.warn(
                    "playback: stream {}: its owner {} did not answer: {}",
                    streamId,
                    ownerUrl,
                    error.toString());
                return HttpResponse.create()
                    .withStatus(StatusCodes.BAD_GATEWAY)
                    .withEntity(
                        org.apache.pekko.http.javadsl.model.ContentTypes.APPLICATION_JSON,
                        "{\"error\":\"owner_unreachable\",\"message\":\"the node serving this"
                            + " stream did not answer\"}");
              }
              List<HttpHeader> kept = new ArrayList<>();
              for (HttpHeader h : response.getHeaders()) {
                if (RESPONSE_HEADERS.contains(h.name().toLowerCase(Locale.ROOT))) {
                  kept.add(h);
                }
              }
              return HttpResponse.create()
                  .withStatus(response.status())
                  .withEntity(response.entity())
                  .addHeaders(kept);
            });
  }
}

package com.nrsgirls.streaming.api;

import static com.nrsgirls.streaming.core.stream.LiveStreamProtocol.ENTITY_TYPE_KEY;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.nrsgirls.streaming.core.stream.LiveStreamProtocol.AlertCleared;
import com.nrsgirls.streaming.core.stream.LiveStreamProtocol.AlertRaised;
import com.nrsgirls.streaming.core.stream.LiveStreamProtocol.AlertWebhooksSet;
import com.typesafe.config.Config;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.pattern.Patterns;
import org.apache.pekko.persistence.jdbc.query.javadsl.JdbcReadJournal;
import org.apache.pekko.persistence.query.EventEnvelope;
import org.apache.pekko.persistence.query.PersistenceQuery;
import org.apache.pekko.stream.javadsl.Sink;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delivers alert events to the configured webhooks: a {@link JournalProjection} of the LiveStream
 * events that POSTs each {@code AlertRaised} and {@code AlertCleared} as JSON to every URL, signed
 * with HMAC-SHA256, before its offset moves on. At least once (a receiver deduplicates by the
 * {@code X-NRS-Event-Id} header) and in journal order per stream; a URL that keeps failing is given
 * up for that event after the configured attempts, so one dead receiver delays the others by at
 * most its backoff. Starts at the journal's end the first time: history is not replayed.
 */
final class AlertWebhooks implements JournalProjection.Handler {
  private static final Logger log = LoggerFactory.getLogger(AlertWebhooks.class);
  static final String NAME = "alert-webhooks";
  private static final String PERSISTENCE_PREFIX = ENTITY_TYPE_KEY.name() + "|";

  /** The webhook settings ({@code nrs.streaming.alerts.webhook}). */
  record Settings(
      List<URI> urls,
      String secret,
      Duration timeout,
      int attempts,
      Duration minBackoff,
      Duration maxBackoff) {

    static Settings create(Config config) {
      Config c = config.getConfig("nrs.streaming.alerts.webhook");
      List<URI> urls = new ArrayList<>();
      for (String url : c.getString("urls").split(",")) {
        if (url.isBlank()) {
          continue;
        }
        String problem = problem(url.strip());
        if (problem != null) {
          throw new IllegalArgumentException(
              "nrs.streaming.alerts.webhook.urls (NRS_ALERT_WEBHOOK_URLS): " + problem);
        }
        urls.add(URI.create(url.strip()));
      }
      String secret = c.getString("secret");
      if ((!urls.isEmpty() || !secret.isEmpty()) && secret.length() < 16) {
        throw new IllegalArgumentException(
            "alert webhooks need a signing secret of at least 16 characters:"
                + " set NRS_ALERT_WEBHOOK_SECRET (nrs.streaming.alerts.webhook.secret)");
      }
      return new Settings(
          List.copyOf(urls),
          secret,
          c.getDuration("timeout"),
          Math.max(1, c.getInt("attempts")),
          c.getDuration("min-backoff"),
          c.getDuration("max-backoff"));
    }
  }

  /**
   * What is wrong with a webhook URL, or null: absolute http(s) with a host, at most 2048 chars.
   */
  static String problem(String url) {
    if (url == null || url.length() > 2048) {
      return "a URL of at most 2048 characters is needed";
    }
    try {
      URI uri = new URI(url);
      if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme())) {
        return "not an http(s) URL";
      }
      if (uri.getHost() == null || uri.getFragment() != null) {
        return "an absolute URL with a host and no fragment is needed";
      }
      return null;
    } catch (java.net.URISyntaxException e) {
      return "not a URL";
    }
  }

  /** What happened to deliveries, for metrics. */
  interface Listener {
    void delivered(String result);
  }

  private final ActorSystem<?> system;
  private final JournalDb db;
  private final Settings settings;
  private final ObjectMapper json;
  private final Listener listener;

  AlertWebhooks(
      ActorSystem<?> system,
      JournalDb db,
      Settings settings,
      ObjectMapper json,
      Listener listener) {
    this.system = system;
    this.db = db;
    this.settings = settings;
    this.json = json;
    this.listener = listener;
  }

  /** Whether calls can be signed (a secret is configured): without, no webhook is called. */
  boolean enabled() {
    return !settings.secret().isEmpty();
  }

  /**
   * Starts the projection when a secret is configured: it delivers to the node's URLs and to each
   * stream's own ({@code PUT /api/v1/streams/{id}/alert-webhooks}).
   */
  void start() {
    if (!enabled()) {
      return;
    }
    log.info(
        "alert webhooks: delivering to {} node-wide URL(s) and the streams' own",
        settings.urls().size());
    JournalProjection.init(system, db, NAME, this);
  }

  @Override
  public void apply(Connection c, List<EventEnvelope> events) {}

  /** History is not delivered: the first run starts at the journal's end. */
  @Override
  public CompletionStage<Long> bootstrap(String tag) {
    return CompletableFuture.supplyAsync(
        () -> {
          try (Connection c = db.connection();
              var st = c.createStatement();
              var rs = st.executeQuery("SELECT MAX(\"event_id\") FROM \"event_tag\"")) {
            return rs.next() ? rs.getLong(1) : 0L;
          } catch (java.sql.SQLException e) {
            throw new IllegalStateException(e.getMessage(), e);
          }
        },
        system.dispatchers().lookup(org.apache.pekko.actor.typed.DispatcherSelector.blocking()));
  }

  @Override
  public CompletionStage<Done> deliver(List<EventEnvelope> events) {
    CompletionStage<Done> chain = CompletableFuture.completedFuture(Done.getInstance());
    for (EventEnvelope e : events) {
      if (!e.persistenceId().startsWith(PERSISTENCE_PREFIX)) {
        continue;
      }
      String streamId = e.persistenceId().substring(PERSISTENCE_PREFIX.length());
      if (e.event() instanceof AlertWebhooksSet set) {
        chain = chain.thenApply(done -> remember(streamId, set));
        continue;
      }
      ObjectNode body = body(streamId, e);
      if (body == null) {
        continue;
      }
      String id = streamId + ":" + e.sequenceNr();
      chain =
          chain
              .thenCompose(done -> streamUrls(e.persistenceId(), streamId, e.sequenceNr()))
              .thenCompose(own -> deliverToAll(streamId, id, body, own));
    }
    return chain;
  }

  /** Streams' own URLs as last set, for the streams this instance delivered to lately. */
  private final Map<String, List<URI>> streamUrls =
      java.util.Collections.synchronizedMap(
          new java.util.LinkedHashMap<>(256, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, List<URI>> eldest) {
              return size() > 10_000;
            }
          });

  private Done remember(String streamId, AlertWebhooksSet set) {
    streamUrls.put(streamId, set.urls().stream().map(URI::create).toList());
    return Done.getInstance();
  }

  /**
   * A stream's own URLs as they were at its event {@code sequenceNr}: remembered from the {@code
   * AlertWebhooksSet} this projection passed, else read from the stream's history.
   */
  private CompletionStage<List<URI>> streamUrls(
      String persistenceId, String streamId, long sequenceNr) {
    List<URI> known = streamUrls.get(streamId);
    if (known != null) {
      return CompletableFuture.completedFuture(known);
    }
    JdbcReadJournal journal =
        PersistenceQuery.get(system)
            .getReadJournalFor(JdbcReadJournal.class, JdbcReadJournal.Identifier());
    return journal
        .currentEventsByPersistenceId(persistenceId, 1, sequenceNr)
        .filter(env -> env.event() instanceof AlertWebhooksSet)
        .runWith(Sink.lastOption(), system)
        .thenApply(
            last -> {
              List<URI> urls =
                  last.map(
                          env ->
                              ((AlertWebhooksSet) env.event())
                                  .urls().stream().map(URI::create).toList())
                      .orElse(List.of());
              streamUrls.put(streamId, urls);
              return urls;
            });
  }

  /** The JSON an alert event is delivered as (docs/webhooks.md), or null for other events. */
  ObjectNode body(String streamId, EventEnvelope e) {
    ObjectNode body = json.createObjectNode();
    body.put("id", streamId + ":" + e.sequenceNr());
    if (e.event() instanceof AlertRaised raised) {
      body.put("type", "alert.raised");
      body.put("streamId", streamId);
      body.put("sessionId", raised.sessionId());
      body.put("alert", raised.alert());
      body.put("detail", raised.detail());
      body.put("value", raised.value());
      body.put("threshold", raised.threshold());
      body.put("at", raised.at().toString());
      return body;
    }
    if (e.event() instanceof AlertCleared cleared) {
      body.put("type", "alert.cleared");
      body.put("streamId", streamId);
      body.put("sessionId", cleared.sessionId());
      body.put("alert", cleared.alert());
      body.put("reason", cleared.reason());
      body.put("at", cleared.at().toString());
      return body;
    }
    return null;
  }

  private CompletionStage<Done> deliverToAll(
      String streamId, String id, ObjectNode body, List<URI> own) {
    byte[] bytes;
    try {
      bytes = json.writeValueAsBytes(body);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
    java.util.Set<URI> targets = new java.util.LinkedHashSet<>(settings.urls());
    targets.addAll(own);
    CompletableFuture<?>[] calls =
        targets.stream()
            .map(url -> attempt(streamId, id, body.get("type").asText(), url, bytes, 1))
            .map(CompletionStage::toCompletableFuture)
            .toArray(CompletableFuture[]::new);
    return CompletableFuture.allOf(calls).thenApply(v -> Done.getInstance());
  }

  /** One call; on failure the next after a backoff, until the attempts are spent. Never fails. */
  private CompletionStage<Done> attempt(
      String streamId, String id, String type, URI url, byte[] body, int attempt) {
    return call(url, id, type, body)
        .handle(
            (status, failure) -> {
              if (failure == null && status / 100 == 2) {
                listener.delivered("delivered");
                return CompletableFuture.completedFuture(Done.getInstance());
              }
              String why =
                  failure != null
                      ? failure.getClass().getSimpleName()
                          + (failure.getMessage() != null ? ": " + failure.getMessage() : "")
                      : "HTTP " + status;
              // never the user info or the query: either may hold a credential
              String where =
                  url.getScheme()
                      + "://"
                      + url.getHost()
                      + (url.getPort() > 0 ? ":" + url.getPort() : "");
              if (attempt >= settings.attempts()) {
                log.error(
                    "stream={} alert webhook {} gave up {} after {} attempts: {}",
                    streamId,
                    where,
                    id,
                    attempt,
                    why);
                listener.delivered("failed");
                return CompletableFuture.completedFuture(Done.getInstance());
              }
              Duration backoff = backoff(attempt);
              log.warn(
                  "stream={} alert webhook {} failed for {} (attempt {}), again in {} ms: {}",
                  streamId,
                  where,
                  id,
                  attempt,
                  backoff.toMillis(),
                  why);
              listener.delivered("retried");
              return Patterns.after(
                  backoff,
                  system.classicSystem().scheduler(),
                  system.executionContext(),
                  () -> attempt(streamId, id, type, url, body, attempt + 1));
            })
        .thenCompose(next -> next);
  }

  private Duration backoff(int attempt) {
    long millis = settings.minBackoff().toMillis() << Math.min(20, attempt - 1);
    return Duration.ofMillis(Math.min(millis, settings.maxBackoff().toMillis()));
  }

  /** One POST; completes with its status, or fails (never throws). */
  private CompletionStage<Integer> call(URI url, String id, String type, byte[] body) {
    try {
      return post(url, id, type, body);
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  private CompletionStage<Integer> post(URI url, String id, String type, byte[] body) {
    long timestamp = System.currentTimeMillis() / 1000;
    HttpRequest request =
        HttpRequest.POST(url.toString())
            .withEntity(ContentTypes.APPLICATION_JSON, body)
            .addHeader(RawHeader.create("X-NRS-Event-Id", id))
            .addHeader(RawHeader.create("X-NRS-Event-Type", type))
            .addHeader(
                RawHeader.create(
                    "X-NRS-Signature",
                    "t=" + timestamp + ",v1=" + sign(settings.secret(), timestamp, body)));
    return Http.get(system)
        .singleRequest(request)
        .toCompletableFuture()
        .orTimeout(settings.timeout().toMillis(), TimeUnit.MILLISECONDS)
        .thenApply(
            (HttpResponse response) -> {
              response.discardEntityBytes(system);
              return response.status().intValue();
            });
  }

  /**
   * The signature receivers check: hex HMAC-SHA256 under {@code secret} of {@code
   * "<timestamp>.<body>"}, the timestamp in Unix seconds as sent in the header.
   */
  static String sign(String secret, long timestamp, byte[] body) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
      mac.update((timestamp + ".").getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(mac.doFinal(body));
    } catch (NoSuchAlgorithmException | InvalidKeyException e) {
      throw new IllegalStateException(e);
    }
  }
}

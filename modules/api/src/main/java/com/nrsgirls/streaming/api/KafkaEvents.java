package com.nrsgirls.streaming.api;

import static com.nrsgirls.streaming.core.stream.LiveStreamProtocol.ENTITY_TYPE_KEY;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.nrsgirls.streaming.core.stream.LiveStreamProtocol;
import com.typesafe.config.Config;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.kafka.ProducerMessage;
import org.apache.pekko.kafka.ProducerSettings;
import org.apache.pekko.kafka.javadsl.Producer;
import org.apache.pekko.persistence.jdbc.query.javadsl.JdbcReadJournal;
import org.apache.pekko.persistence.query.EventEnvelope;
import org.apache.pekko.persistence.query.Offset;
import org.apache.pekko.persistence.query.PersistenceQuery;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every LiveStream event to a Kafka topic: a {@link JournalProjection} whose batches are sent
 * (keyed by stream id, JSON values as docs/kafka.md describes, idempotent producer with all
 * acknowledgements) before their offset is stored, so at least once and in order per stream. A
 * replay re-sends the events written within a time range, marked with the header {@code
 * nrs-replay}. Off unless bootstrap servers are configured.
 */
final class KafkaEvents implements JournalProjection.Handler {
  private static final Logger log = LoggerFactory.getLogger(KafkaEvents.class);
  static final String NAME = "kafka";
  private static final String PERSISTENCE_PREFIX = ENTITY_TYPE_KEY.name() + "|";

  /** {@code nrs.streaming.kafka}. */
  record Settings(String bootstrapServers, String topic, Map<String, String> properties) {
    static Settings create(Config config) {
      Config c = config.getConfig("nrs.streaming.kafka");
      Map<String, String> properties = new java.util.TreeMap<>();
      c.getConfig("properties")
          .entrySet()
          .forEach(e -> properties.put(e.getKey(), String.valueOf(e.getValue().unwrapped())));
      return new Settings(
          c.getString("bootstrap-servers").strip(), c.getString("topic"), properties);
    }

    boolean enabled() {
      return !bootstrapServers.isEmpty();
    }
  }

  private final ActorSystem<?> system;
  private final JournalDb db;
  private final Settings settings;
  private final ObjectMapper json;

  /** One producer for the node, shared by every flow (created at start). */
  private volatile ProducerSettings<String, byte[]> producer;

  KafkaEvents(ActorSystem<?> system, JournalDb db, Settings settings, ObjectMapper json) {
    this.system = system;
    this.db = db;
    this.settings = settings;
    this.json = json;
  }

  boolean enabled() {
    return settings.enabled();
  }

  /** Starts the producer and the projection, if Kafka is configured. */
  void start() {
    if (!settings.enabled()) {
      return;
    }
    ProducerSettings<String, byte[]> producerSettings =
        ProducerSettings.create(system, new StringSerializer(), new ByteArraySerializer())
            .withBootstrapServers(settings.bootstrapServers())
            .withProperty(ProducerConfig.ACKS_CONFIG, "all")
            .withProperty(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true")
            .withProperties(settings.properties());
    // One KafkaProducer shared by every batch's flow: the flow hands records to it in order (an
    // idempotent producer keeps that order per partition), where per-record futures would not.
    org.apache.kafka.clients.producer.Producer<String, byte[]> kafka =
        producerSettings.createKafkaProducer();
    producer = producerSettings.withProducer(kafka);
    system.getWhenTerminated().thenRun(() -> kafka.close(Duration.ofSeconds(5)));
    log.info(
        "kafka: every stream event to topic {} at {}",
        settings.topic(),
        settings.bootstrapServers());
    JournalProjection.init(system, db, NAME, this);
  }

  @Override
  public void apply(Connection c, List<EventEnvelope> events) {}

  /** Everything tagged, from the journal's start. */
  @Override
  public CompletionStage<Long> bootstrap(String tag) {
    return CompletableFuture.completedFuture(0L);
  }

  @Override
  public CompletionStage<Done> deliver(List<EventEnvelope> events) {
    List<ProducerRecord<String, byte[]>> records = new ArrayList<>();
    for (EventEnvelope e : events) {
      ProducerRecord<String, byte[]> record = record(e, false);
      if (record != null) {
        records.add(record);
      }
    }
    return send(Source.from(records)).thenApply(count -> Done.getInstance());
  }

  /** Sends the records in their order; completes with how many once Kafka acknowledged them all. */
  private CompletionStage<Long> send(Source<ProducerRecord<String, byte[]>, ?> records) {
    return records
        .map(r -> ProducerMessage.single(r))
        .via(Producer.flexiFlow(producer))
        .runWith(Sink.fold(0L, (n, result) -> n + 1), system);
  }

  /** The record of a LiveStream event, or null for anything else in the journal. */
  private ProducerRecord<String, byte[]> record(EventEnvelope e, boolean replay) {
    if (!e.persistenceId().startsWith(PERSISTENCE_PREFIX)
        || !(e.event() instanceof LiveStreamProtocol.Event)) {
      return null;
    }
    String streamId = e.persistenceId().substring(PERSISTENCE_PREFIX.length());
    byte[] value;
    try {
      value = json.writeValueAsBytes(EventJson.record(json, streamId, e));
    } catch (JsonProcessingException ex) {
      throw new IllegalStateException(ex);
    }
    ProducerRecord<String, byte[]> record = new ProducerRecord<>(settings.topic(), streamId, value);
    record
        .headers()
        .add(
            "nrs-event-type",
            e.event().getClass().getSimpleName().getBytes(StandardCharsets.UTF_8));
    if (replay) {
      record.headers().add("nrs-replay", "true".getBytes(StandardCharsets.UTF_8));
    }
    return record;
  }

  /**
   * Sends again every event written at or after {@code from} and before {@code to}, each tag slice
   * in journal order; completes with how many were sent once Kafka acknowledged them all.
   */
  CompletionStage<Long> replay(Instant from, Instant to) {
    JdbcReadJournal journal =
        PersistenceQuery.get(system)
            .getReadJournalFor(JdbcReadJournal.class, JdbcReadJournal.Identifier());
    long fromMillis = from.toEpochMilli();
    long toMillis = to.toEpochMilli();
    List<Source<ProducerRecord<String, byte[]>, ?>> slices = new ArrayList<>();
    for (int slice = 0; slice < LiveStreamProtocol.TAG_SLICES; slice++) {
      slices.add(
          journal
              .currentEventsByTag("stream-" + slice, Offset.sequence(0))
              .filter(e -> e.timestamp() >= fromMillis && e.timestamp() < toMillis)
              .map(e -> java.util.Optional.ofNullable(record(e, true)))
              .filter(java.util.Optional::isPresent)
              .map(java.util.Optional::get));
    }
    long started = System.nanoTime();
    return send(Source.from(slices).flatMapConcat(s -> s))
        .thenApply(
            count -> {
              log.info(
                  "kafka: replayed {} events written from {} to {} in {} ms",
                  count,
                  from,
                  to,
                  Duration.ofNanos(System.nanoTime() - started).toMillis());
              return count;
            });
  }
}

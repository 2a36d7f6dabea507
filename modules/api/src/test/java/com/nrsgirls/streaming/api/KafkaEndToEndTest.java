package com.nrsgirls.streaming.api;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.nrsgirls.streaming.testkit.TestClips;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every event of a stream reaches the Kafka topic of a real broker, keyed by its stream id and in
 * the journal's order, the journal's events exactly; a node killed (SIGKILL) with events not yet
 * sent sends them after its restart; a replay by time range sends a range again, marked.
 */
class KafkaEndToEndTest {
  private static final String TOKEN = "kafka-test-operator-token-0123456789";
  private static final String TOPIC = "nrs.test-events";
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final List<String> PROPERTIES =
      List.of(
          "-Dnrs.streaming.pipeline.abr.enabled=off",
          "-Dnrs.streaming.pipeline.reconnect-grace=1s");

  @TempDir Path work;

  @Test
  void everyEventReachesTheTopicInOrderAndSurvivesACrash() throws Exception {
    try (KafkaBroker broker = KafkaBroker.start(work.resolve("kafka"));
        Topic topic = new Topic(broker.bootstrap())) {
      Map<String, String> env = new HashMap<>(NodeProcess.environment(work.resolve("n")));
      env.put("NRS_ADMIN_TOKEN", TOKEN);
      env.put("NRS_KAFKA_BOOTSTRAP_SERVERS", broker.bootstrap());
      env.put("NRS_KAFKA_TOPIC", TOPIC);
      String first;
      String second;
      Instant begin = Instant.now();
      try (NodeProcess node =
          NodeProcess.start(env, work.resolve("node-1.log"), PROPERTIES)
              .awaitReady(Duration.ofSeconds(90))) {
        String[] stream = node.createStream(TOKEN, "kafka");
        first = stream[0];
        publishAndEnd(node, stream);
        List<String> journal = awaitJournal(node, first, types -> types.contains("OutputsEnded"));
        assertEquals(journal, topic.awaitHistory(first, journal.size()), "the journal, in order");
        JsonNode page =
            JSON.readTree(
                node.send("GET", "/api/v1/streams/" + first + "/events?from=3&limit=2", TOKEN, null)
                    .body());
        assertEquals(2, page.size(), page.toString());
        assertEquals(
            journal.get(2), page.get(0).get("sequenceNr") + " " + page.get(0).get("type").asText());
        assertEquals(
            400,
            node.send("GET", "/api/v1/streams/" + first + "/events?limit=0", TOKEN, null)
                .statusCode());

        // a stream created just before the node dies: its event may not have been sent
        second = node.createStream(TOKEN, "kafka")[0];
        node.kill();
      }
      try (NodeProcess node =
          NodeProcess.start(env, work.resolve("node-2.log"), PROPERTIES)
              .awaitReady(Duration.ofSeconds(90))) {
        String[] third = node.createStream(TOKEN, "kafka");
        publishAndEnd(node, third);
        List<String> journal =
            awaitJournal(node, third[0], types -> types.contains("OutputsEnded"));
        assertEquals(journal, topic.awaitHistory(third[0], journal.size()));
        List<String> secondJournal = awaitJournal(node, second, types -> !types.isEmpty());
        assertEquals(secondJournal, topic.awaitHistory(second, secondJournal.size()), "not lost");
        List<String> firstJournal = awaitJournal(node, first, types -> true);
        assertEquals(firstJournal, topic.history(first, false), "nothing of it sent twice");

        // replay: the range covering everything written so far, marked as a replay
        HttpResponse<String> r =
            node.send(
                "POST",
                "/api/v1/analytics/replay",
                TOKEN,
                "{\"from\":\""
                    + begin.minusSeconds(1)
                    + "\",\"to\":\""
                    + Instant.now().plusSeconds(1)
                    + "\"}");
        assertEquals(200, r.statusCode(), r.body());
        long published = JSON.readTree(r.body()).get("published").asLong();
        long expected = firstJournal.size() + secondJournal.size() + journal.size();
        assertEquals(expected, published, r.body());
        topic.awaitReplayed(expected);
        assertEquals(firstJournal, topic.replayed(first));
        assertEquals(journal, topic.replayed(third[0]));

        HttpResponse<String> bad =
            node.send(
                "POST",
                "/api/v1/analytics/replay",
                TOKEN,
                "{\"from\":\"yesterday\",\"to\":\"2026-01-01T00:00:00Z\"}");
        assertEquals(400, bad.statusCode(), bad.body());
      }
    }
  }

  /** Publishes a 4 s clip and waits for the publisher to finish. */
  private static void publishAndEnd(NodeProcess node, String[] stream) throws Exception {
    Process publisher = Publisher.start(TestClips.flv(4, 320, 240), node.rtmpUrl(stream[1]), 1);
    assertEquals(0, Publisher.await(publisher, 60).exitCode());
  }

  /** The stream's events as "sequenceNr type", from the events API, once {@code ok} holds. */
  private static List<String> awaitJournal(
      NodeProcess node, String streamId, Predicate<List<String>> ok) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    List<String> events;
    do {
      HttpResponse<String> r =
          node.send("GET", "/api/v1/streams/" + streamId + "/events", TOKEN, null);
      assertEquals(200, r.statusCode(), r.body());
      events = new ArrayList<>();
      List<String> types = new ArrayList<>();
      for (JsonNode e : JSON.readTree(r.body())) {
        events.add(e.get("sequenceNr").asLong() + " " + e.get("type").asText());
        types.add(e.get("type").asText());
      }
      if (ok.test(types)) {
        return events;
      }
      Thread.sleep(200); // poll interval of a probe
    } while (System.nanoTime() < deadline);
    throw new AssertionError("the journal of " + streamId + " never became as expected: " + events);
  }

  /** Everything on the topic, read from its start by a consumer of its own. */
  private static final class Topic implements AutoCloseable {
    private final KafkaConsumer<String, String> consumer;
    private final List<ConsumerRecord<String, String>> records = new ArrayList<>();

    Topic(String bootstrap) {
      Properties p = new Properties();
      p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
      p.put(ConsumerConfig.GROUP_ID_CONFIG, "test-" + System.nanoTime());
      p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
      p.put(ConsumerConfig.METADATA_MAX_AGE_CONFIG, "500");
      consumer = new KafkaConsumer<>(p, new StringDeserializer(), new StringDeserializer());
      consumer.subscribe(java.util.regex.Pattern.compile(java.util.regex.Pattern.quote(TOPIC)));
    }

    private void poll() {
      consumer.poll(Duration.ofMillis(200)).forEach(records::add);
    }

    /** The stream's records as "sequenceNr type", in the order they are on the topic. */
    List<String> history(String streamId, boolean replay) throws Exception {
      List<String> out = new ArrayList<>();
      for (ConsumerRecord<String, String> r : records) {
        boolean replayed = r.headers().lastHeader("nrs-replay") != null;
        if (!streamId.equals(r.key()) || replayed != replay) {
          continue;
        }
        JsonNode value = JSON.readTree(r.value());
        assertEquals(streamId, value.get("streamId").asText(), r.value());
        assertEquals(streamId + ":" + value.get("sequenceNr").asLong(), value.get("id").asText());
        out.add(value.get("sequenceNr").asLong() + " " + value.get("type").asText());
      }
      return out;
    }

    /** The stream's records once there are {@code count} distinct ones (duplicates kept). */
    List<String> awaitHistory(String streamId, int count) throws Exception {
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      List<String> history;
      do {
        poll();
        history = history(streamId, false);
        Set<String> distinct = new LinkedHashSet<>(history);
        if (distinct.size() >= count) {
          return new ArrayList<>(distinct);
        }
      } while (System.nanoTime() < deadline);
      throw new AssertionError(streamId + " on the topic: " + history);
    }

    List<String> replayed(String streamId) throws Exception {
      return history(streamId, true);
    }

    void awaitReplayed(long count) {
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      long seen;
      do {
        poll();
        seen = records.stream().filter(r -> r.headers().lastHeader("nrs-replay") != null).count();
        if (seen >= count) {
          return;
        }
      } while (System.nanoTime() < deadline);
      throw new AssertionError("replayed records on the topic: " + seen + " of " + count);
    }

    @Override
    public void close() {
      consumer.close();
    }
  }
}

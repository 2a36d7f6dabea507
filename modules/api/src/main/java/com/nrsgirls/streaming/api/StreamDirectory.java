package com.nrsgirls.streaming.api;

import static com.nrsgirls.streaming.core.stream.LiveStreamProtocol.*;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.nrsgirls.streaming.core.stream.LiveStreamProtocol;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.persistence.jdbc.query.javadsl.JdbcReadJournal;
import org.apache.pekko.persistence.query.PersistenceQuery;
import org.apache.pekko.stream.javadsl.Sink;

/**
 * Finds streams and their history: sharding asks for live state, the directory projection lists
 * streams, the journal's read side says which streams exist and gives a stream's events (analytics
 * replay).
 */
final class StreamDirectory {
  private static final String PERSISTENCE_PREFIX = ENTITY_TYPE_KEY.name() + "|";

  private final ActorSystem<?> system;
  private final ClusterSharding sharding;
  private final JdbcReadJournal journal;
  private final Duration askTimeout;
  private final ObjectMapper mapper;
  private final DirectoryProjection listing;

  StreamDirectory(
      ActorSystem<?> system,
      Duration askTimeout,
      ObjectMapper mapper,
      DirectoryProjection listing) {
    this.system = system;
    this.sharding = ClusterSharding.get(system);
    this.journal =
        PersistenceQuery.get(system)
            .getReadJournalFor(JdbcReadJournal.class, JdbcReadJournal.Identifier());
    this.askTimeout = askTimeout;
    this.mapper = mapper;
    this.listing = listing;
  }

  CompletionStage<OperatorReply> ask(
      String streamId,
      org.apache.pekko.japi.function.Function<
              org.apache.pekko.actor.typed.ActorRef<OperatorReply>, LiveStreamProtocol.Command>
          command) {
    return ask(streamId, command, askTimeout);
  }

  /** {@link #ask(String, org.apache.pekko.japi.function.Function)} with its own timeout. */
  CompletionStage<OperatorReply> ask(
      String streamId,
      org.apache.pekko.japi.function.Function<
              org.apache.pekko.actor.typed.ActorRef<OperatorReply>, LiveStreamProtocol.Command>
          command,
      Duration timeout) {
    return sharding.entityRefFor(ENTITY_TYPE_KEY, streamId).ask(command, timeout);
  }

  /** Whether the journal holds any event of the stream: one indexed read, no entity started. */
  CompletionStage<Boolean> exists(String streamId) {
    return journal
        .currentEventsByPersistenceId(PERSISTENCE_PREFIX + streamId, 0, Long.MAX_VALUE)
        .take(1)
        .runWith(Sink.headOption(), system)
        .thenApply(Optional::isPresent);
  }

  /**
   * Every created stream as the directory projection has it (not its entity: listing wakes none),
   * optionally only those with the given status.
   */
  CompletionStage<List<Map<String, Object>>> list(Optional<String> status) {
    return listing.list(status);
  }

  /**
   * A stream's persisted events from {@code fromSequenceNr} on, at most {@code limit} of them, as
   * the API shows them.
   */
  CompletionStage<List<Map<String, Object>>> events(
      String streamId, long fromSequenceNr, int limit) {
    return journal
        .currentEventsByPersistenceId(
            PERSISTENCE_PREFIX + streamId, fromSequenceNr, fromSequenceNr + limit - 1)
        .map(envelope -> EventJson.fields(mapper, envelope))
        .runWith(Sink.seq(), system);
  }
}

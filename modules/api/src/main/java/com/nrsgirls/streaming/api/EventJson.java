package com.nrsgirls.streaming.api;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.pekko.persistence.query.EventEnvelope;

/**
 * A LiveStream event as the operator API and the Kafka topic show it: its place in the stream's
 * history, when it was written, its type and its own fields (docs/kafka.md).
 */
final class EventJson {
  private EventJson() {}

  /** {@code sequenceNr}, {@code timestamp}, {@code type}, then the event's fields. */
  static Map<String, Object> fields(ObjectMapper mapper, EventEnvelope envelope) {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("sequenceNr", envelope.sequenceNr());
    out.put("timestamp", Instant.ofEpochMilli(envelope.timestamp()).toString());
    out.put("type", envelope.event().getClass().getSimpleName());
    @SuppressWarnings("unchecked")
    Map<String, Object> fields = mapper.convertValue(envelope.event(), Map.class);
    fields.remove("keyHash"); // harmless to anyone, but no reason to hand it out
    out.putAll(fields);
    return out;
  }

  /** As {@link #fields}, led by the record's {@code id} and {@code streamId} (the Kafka value). */
  static Map<String, Object> record(ObjectMapper mapper, String streamId, EventEnvelope envelope) {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("id", streamId + ":" + envelope.sequenceNr());
    out.put("streamId", streamId);
    out.putAll(fields(mapper, envelope));
    return out;
  }
}

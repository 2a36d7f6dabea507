package com.nrsgirls.streaming.api;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.nrsgirls.streaming.core.stream.LiveStreamProtocol;
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
    if (envelope.event() instanceof LiveStreamProtocol.AlertWebhooksSet set) {
      fields.put("urls", set.urls().stream().map(EventJson::withoutSecrets).toList());
    }
    out.putAll(fields);
    return out;
  }

  /** A URL without what may hold a credential: user info, query and fragment. */
  static String withoutSecrets(String url) {
    try {
      java.net.URI u = java.net.URI.create(url);
      return new java.net.URI(
              u.getScheme(), null, u.getHost(), u.getPort(), u.getPath(), null, null)
          .toString();
    } catch (IllegalArgumentException | java.net.URISyntaxException e) {
      return "(unreadable)";
    }
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

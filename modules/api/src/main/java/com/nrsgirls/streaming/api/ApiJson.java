package com.nrsgirls.streaming.api;

import static org.apache.pekko.http.javadsl.server.Directives.complete;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.type.LogicalType;
import java.util.Map;
import java.util.Optional;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.marshallers.jackson.Jackson;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCode;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.http.javadsl.unmarshalling.Unmarshaller;
import org.apache.pekko.serialization.jackson.JacksonObjectMapperProvider;

/**
 * JSON for the operator API through Pekko's configured Jackson mapper (Java time as ISO-8601
 * strings), and the API's error shape {@code {error, message}}.
 */
final class ApiJson {
  private final ObjectMapper mapper;

  ApiJson(ActorSystem<?> system) {
    // A copy of Pekko's mapper, stricter on input: a number or a boolean where the API expects
    // text is a bad request, not text.
    this.mapper =
        JacksonObjectMapperProvider.get(system)
            .getOrCreate("jackson-json", Optional.empty())
            .copy();
    for (CoercionInputShape shape :
        new CoercionInputShape[] {
          CoercionInputShape.Integer, CoercionInputShape.Float, CoercionInputShape.Boolean
        }) {
      mapper.coercionConfigFor(LogicalType.Textual).setCoercion(shape, CoercionAction.Fail);
    }
  }

  ObjectMapper mapper() {
    return mapper;
  }

  <T> Unmarshaller<org.apache.pekko.http.javadsl.model.HttpEntity, T> unmarshaller(Class<T> type) {
    return Jackson.unmarshaller(mapper, type);
  }

  Route ok(StatusCode status, Object body) {
    return complete(status, body, Jackson.marshaller(mapper));
  }

  HttpResponse response(StatusCode status, Object body) {
    try {
      return HttpResponse.create()
          .withStatus(status)
          .withEntity(
              HttpEntities.create(ContentTypes.APPLICATION_JSON, mapper.writeValueAsBytes(body)));
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException("cannot render JSON", e);
    }
  }

  HttpResponse error(StatusCode status, String error, String message) {
    return response(status, Map.of("error", error, "message", message));
  }

  HttpResponse notFound(String what) {
    return error(StatusCodes.NOT_FOUND, "not_found", what);
  }
}

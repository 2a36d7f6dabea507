package com.nrsgirls.streaming.api;

import static org.apache.pekko.http.javadsl.server.Directives.complete;

import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCode;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.Connection;
import org.apache.pekko.http.javadsl.server.ExceptionHandler;
import org.apache.pekko.http.javadsl.server.MalformedRequestContentRejection;
import org.apache.pekko.http.javadsl.server.RejectionHandler;
import org.apache.pekko.http.scaladsl.model.EntityStreamSizeException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every error the HTTP server answers is JSON {@code {error, message}}: the API's own, the routing
 * framework's rejections (unknown route, wrong method, malformed body, ...), exceptions, and
 * requests too malformed to route ({@link JsonParsingErrorHandler}). Messages are fixed per status:
 * they never echo the request or name an internal setting.
 */
final class HttpErrors {
  private static final Logger log = LoggerFactory.getLogger(HttpErrors.class);

  /** The error code and message a status is answered with. */
  record Described(String error, String message) {}

  private static final Map<Integer, Described> BY_STATUS =
      Map.ofEntries(
          Map.entry(400, new Described("bad_request", "the request is malformed")),
          Map.entry(401, new Described("unauthorized", "a valid bearer token is required")),
          Map.entry(403, new Described("forbidden", "not allowed")),
          Map.entry(404, new Described("not_found", "no such resource")),
          Map.entry(
              405, new Described("method_not_allowed", "this resource does not take that method")),
          Map.entry(406, new Described("not_acceptable", "this resource answers in JSON")),
          Map.entry(408, new Described("request_timeout", "the request did not arrive in time")),
          Map.entry(413, new Described("payload_too_large", "the request body is too large")),
          Map.entry(414, new Described("uri_too_long", "the request URI is too long")),
          Map.entry(
              415,
              new Described("unsupported_media_type", "send the request body as application/json")),
          Map.entry(
              416,
              new Described("range_not_satisfiable", "the requested range is not in the resource")),
          Map.entry(
              431,
              new Described(
                  "request_header_fields_too_large", "the request headers are too large")),
          Map.entry(500, new Described("internal", "internal error")),
          Map.entry(501, new Described("not_implemented", "the request method is not supported")),
          Map.entry(503, new Described("unavailable", "the service is unavailable, try again")),
          Map.entry(505, new Described("http_version_not_supported", "use HTTP/1.1 or HTTP/1.0")));

  private HttpErrors() {}

  /** The fixed error code and message of {@code status}. */
  static Described describe(int status) {
    Described d = BY_STATUS.get(status);
    if (d != null) {
      return d;
    }
    return status >= 500
        ? new Described("internal", "internal error")
        : new Described("bad_request", "the request was refused");
  }

  /**
   * {@code {"error":...,"message":...}} of fixed ASCII text (no escaping needed). Written by hand
   * rather than through {@link ApiJson}: {@link JsonParsingErrorHandler} is created by pekko-http,
   * with no mapper at hand.
   */
  static byte[] body(Described d) {
    return ("{\"error\":\"" + d.error() + "\",\"message\":\"" + d.message() + "\"}")
        .getBytes(java.nio.charset.StandardCharsets.US_ASCII);
  }

  static HttpResponse response(StatusCode status) {
    return HttpResponse.create()
        .withStatus(status)
        .withEntity(
            HttpEntities.create(ContentTypes.APPLICATION_JSON, body(describe(status.intValue()))));
  }

  /**
   * The framework's rejections as JSON: its default handler decides the status (and headers such as
   * {@code Allow} or {@code WWW-Authenticate}), the body becomes ours.
   */
  static RejectionHandler rejections() {
    // A body that stopped arriving or grew over the limit surfaces as malformed content when an
    // unmarshaller read it.
    RejectionHandler bodies =
        RejectionHandler.newBuilder()
            .handle(
                MalformedRequestContentRejection.class,
                r -> {
                  Throwable cause = unwrap(r.getCause());
                  if (cause instanceof RequestDeadlines.BodyTimeoutException) {
                    return complete(bodyTimedOut());
                  }
                  return complete(
                      response(
                          cause instanceof EntityStreamSizeException
                              ? StatusCodes.PAYLOAD_TOO_LARGE
                              : StatusCodes.BAD_REQUEST));
                })
            .build();
    return bodies.withFallback(
        RejectionHandler.defaultHandler()
            .mapRejectionResponse(
                response ->
                    response.entity().getContentType().equals(ContentTypes.APPLICATION_JSON)
                        ? response
                        : response.withEntity(
                            HttpEntities.create(
                                ContentTypes.APPLICATION_JSON,
                                body(describe(response.status().intValue()))))));
  }

  private static HttpResponse bodyTimedOut() {
    return response(StatusCodes.REQUEST_TIMEOUT).addHeader(Connection.create("close"));
  }

  /**
   * Exceptions as JSON: a body over the size limit is 413, a body that stopped arriving is 408 and
   * closes the connection, anything else is a 500 logged once (its type and message, not the
   * request).
   */
  static ExceptionHandler exceptions() {
    return ExceptionHandler.newBuilder()
        .matchAny(
            thrown -> {
              Throwable e = unwrap(thrown);
              if (e instanceof EntityStreamSizeException) {
                return complete(response(StatusCodes.PAYLOAD_TOO_LARGE));
              }
              if (e instanceof RequestDeadlines.BodyTimeoutException) {
                return complete(bodyTimedOut());
              }
              log.error("HTTP request failed: {}", e.toString(), e);
              return complete(response(StatusCodes.INTERNAL_SERVER_ERROR));
            })
        .build();
  }

  private static Throwable unwrap(Throwable e) {
    Throwable t = e;
    while ((t instanceof CompletionException || t instanceof ExecutionException)
        && t.getCause() != null) {
      t = t.getCause();
    }
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (c instanceof EntityStreamSizeException
          || c instanceof RequestDeadlines.BodyTimeoutException) {
        return c;
      }
    }
    return t;
  }
}

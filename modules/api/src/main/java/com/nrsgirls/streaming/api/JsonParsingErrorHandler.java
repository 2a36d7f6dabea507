package com.nrsgirls.streaming.api;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import org.apache.pekko.event.LoggingAdapter;
import org.apache.pekko.http.ParsingErrorHandler;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.scaladsl.model.ErrorInfo;
import org.apache.pekko.http.scaladsl.model.StatusCode;
import org.apache.pekko.http.scaladsl.settings.ServerSettings;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Answers requests too malformed to be routed (a bad request line, a URI or headers over the
 * limits, a declared body over the size limit) with the API's JSON error, instead of pekko-http's
 * text. Configured as {@code pekko.http.server.parsing.error-handler} (nrs-node.conf); pekko-http
 * creates it. The parse error's details are not logged: they can quote a header, and a header can
 * hold a token. Counted per status for {@code /metrics}.
 */
public final class JsonParsingErrorHandler extends ParsingErrorHandler {
  private static final Logger log = LoggerFactory.getLogger(JsonParsingErrorHandler.class);
  private static final ConcurrentHashMap<Integer, LongAdder> REFUSED = new ConcurrentHashMap<>();

  @Override
  public HttpResponse handle(
      StatusCode status, ErrorInfo error, LoggingAdapter adapter, ServerSettings settings) {
    REFUSED.computeIfAbsent(status.intValue(), s -> new LongAdder()).increment();
    log.debug("HTTP request refused before routing: {}", status.intValue());
    return HttpErrors.response(status);
  }

  /** Requests refused before routing, per status, since the JVM started. */
  static ConcurrentHashMap<Integer, LongAdder> refused() {
    return REFUSED;
  }
}

package com.nrsgirls.streaming.api;

import static org.apache.pekko.http.javadsl.server.Directives.*;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.function.BooleanSupplier;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;

/** Liveness, readiness and the Prometheus scrape endpoint; none needs a token. */
final class NodeRoutes {
  private final BooleanSupplier ready;
  private final PrometheusMeterRegistry registry;

  NodeRoutes(BooleanSupplier ready, PrometheusMeterRegistry registry) {
    this.ready = ready;
    this.registry = registry;
  }

  Route route() {
    return concat(
        path(
            PathMatchers.segment("health").slash("alive"),
            () -> get(() -> complete(StatusCodes.OK, "alive"))),
        path(
            PathMatchers.segment("health").slash("ready"),
            () ->
                get(
                    () ->
                        ready.getAsBoolean()
                            ? complete(StatusCodes.OK, "ready")
                            : complete(StatusCodes.SERVICE_UNAVAILABLE, "starting"))),
        path(
            "metrics",
            () ->
                get(
                    () ->
                        complete(
                            HttpEntities.create(
                                ContentTypes.TEXT_PLAIN_UTF8, registry.scrape())))));
  }
}

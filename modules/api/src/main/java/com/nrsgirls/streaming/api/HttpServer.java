package com.nrsgirls.streaming.api;

import static org.apache.pekko.http.javadsl.server.Directives.handleExceptions;
import static org.apache.pekko.http.javadsl.server.Directives.handleRejections;
import static org.apache.pekko.http.javadsl.server.Directives.withRequestTimeoutResponse;

import com.nrsgirls.streaming.core.net.AddressLimits;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.IncomingConnection;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.stream.KillSwitches;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.SharedKillSwitch;
import org.apache.pekko.stream.javadsl.BidiFlow;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's HTTP server (operator API, playback, health, metrics). It accepts connections itself
 * instead of letting pekko-http bind the routes, so that each connection is counted against its
 * address ({@link AddressLimits}: a client over {@code max-connections-per-address}, or any beyond
 * {@code max-connections}, is closed at once) and runs through {@link RequestDeadlines} (a request
 * head or body that does not arrive in time closes the connection). Every error it answers is JSON
 * ({@link HttpErrors}), a handler over pekko-http's request timeout included. The header-timeout
 * count in {@code /metrics} includes idle keep-alive connections: without reading the bytes, a
 * client that sends nothing and one that sends a header byte at a time look alike.
 */
final class HttpServer {
  private static final Logger log = LoggerFactory.getLogger(HttpServer.class);
  private static final Duration REFUSAL_LOG_INTERVAL = Duration.ofMinutes(1);

  /** What the server reports to metrics. */
  interface Listener {
    /** A connection was closed by the server: refused, or over a deadline. */
    void connectionClosed(String reason);
  }

  private final ServerBinding binding;
  private final SharedKillSwitch connections;
  private final AddressLimits limits;

  private HttpServer(ServerBinding binding, SharedKillSwitch connections, AddressLimits limits) {
    this.binding = binding;
    this.connections = connections;
    this.limits = limits;
  }

  /** Binds {@code settings}' address and port and serves {@code routes}. */
  static CompletionStage<HttpServer> start(
      ActorSystem<?> system, ApiSettings settings, Route routes, Listener listener) {
    Materializer materializer = Materializer.matFromSystem(system);
    SharedKillSwitch connections = KillSwitches.shared("http-connections");
    AddressLimits limits =
        new AddressLimits(
            "HTTP connection",
            log,
            settings.maxConnectionsPerAddress(),
            Duration.ZERO, // HTTP counts no failures
            REFUSAL_LOG_INTERVAL);
    Route sealed =
        withRequestTimeoutResponse(
            request -> HttpErrors.response(StatusCodes.SERVICE_UNAVAILABLE),
            () ->
                handleExceptions(
                    HttpErrors.exceptions(),
                    () -> handleRejections(HttpErrors.rejections(), () -> routes)));
    Flow<HttpRequest, HttpResponse, NotUsed> handler = sealed.flow(system);
    Flow<HttpRequest, HttpResponse, NotUsed> refuse =
        Flow.fromSinkAndSourceCoupled(Sink.cancelled(), Source.empty());
    return Http.get(system)
        .newServerAt(settings.bindAddress(), settings.port())
        .connectionSource()
        .to(
            Sink.foreach(
                connection ->
                    accept(
                        connection,
                        settings,
                        handler,
                        refuse,
                        connections,
                        limits,
                        listener,
                        materializer)))
        .run(materializer)
        .thenApply(binding -> new HttpServer(binding, connections, limits));
  }

  private static void accept(
      IncomingConnection connection,
      ApiSettings settings,
      Flow<HttpRequest, HttpResponse, NotUsed> handler,
      Flow<HttpRequest, HttpResponse, NotUsed> refuse,
      SharedKillSwitch connections,
      AddressLimits limits,
      Listener listener,
      Materializer materializer) {
    InetAddress address = connection.remoteAddress().getAddress();
    // Everything in here runs in the accepting stream: an exception would stop the server
    // accepting, so none may escape.
    boolean counted = false;
    try {
      String refusal =
          limits.open() >= settings.maxConnections()
              ? "too-many-connections"
              : limits.tryOpen(address) ? null : "too-many-connections-from-address";
      if (refusal != null) {
        listener.connectionClosed(refusal);
        limits.logRefusal(address, refusal);
        connection.handleWith(refuse, materializer);
        return;
      }
      counted = true;
      RequestDeadlines deadlines =
          new RequestDeadlines(
              settings.requestHeaderTimeout(),
              settings.requestBodyTimeout(),
              () -> listener.connectionClosed("header-timeout"));
      Flow<HttpRequest, HttpResponse, CompletionStage<Done>> flow =
          BidiFlow.fromGraph(deadlines)
              .join(handler)
              .via(connections.flow())
              .watchTermination((notUsed, done) -> done);
      connection
          .handleWith(flow, materializer)
          .whenComplete((done, error) -> limits.closed(address));
    } catch (RuntimeException e) {
      log.error("HTTP connection from {} could not start", address.getHostAddress(), e);
      if (counted) {
        limits.closed(address);
      }
    }
  }

  /** The address actually bound (with the real port when 0 was asked for). */
  InetSocketAddress localAddress() {
    return binding.localAddress();
  }

  /** Connections open right now. */
  int openConnections() {
    return limits.open();
  }

  /** Stops accepting connections; open ones carry on. */
  CompletionStage<Done> unbind() {
    return binding.unbind();
  }

  /** Closes every open connection, after what is in flight had {@code grace} to finish. */
  CompletionStage<Done> terminate(Duration grace) {
    return binding
        .terminate(grace)
        .handle(
            (terminated, error) -> {
              connections.shutdown();
              return Done.getInstance();
            });
  }
}

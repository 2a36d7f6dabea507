package com.nrsgirls.streaming.api;

import java.time.Duration;
import java.util.OptionalLong;
import java.util.concurrent.TimeoutException;
import org.apache.pekko.Done;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.RequestEntity;
import org.apache.pekko.http.javadsl.model.ResponseEntity;
import org.apache.pekko.japi.pf.PFBuilder;
import org.apache.pekko.stream.Attributes;
import org.apache.pekko.stream.BidiShape;
import org.apache.pekko.stream.Inlet;
import org.apache.pekko.stream.Outlet;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.stream.stage.AbstractInHandler;
import org.apache.pekko.stream.stage.AbstractOutHandler;
import org.apache.pekko.stream.stage.AsyncCallback;
import org.apache.pekko.stream.stage.GraphStage;
import org.apache.pekko.stream.stage.GraphStageLogic;
import org.apache.pekko.stream.stage.TimerGraphStageLogic;
import org.apache.pekko.util.ByteString;

/**
 * The deadlines of one HTTP connection, between pekko-http's server layer and the routes: while no
 * request is in flight (from the moment the connection opens, or its last response has been sent
 * whole: a slow viewer downloading a segment is not idle), the next request's head must arrive
 * within {@code headerTimeout}, or the connection is closed; and a request body that is not in
 * whole within {@code bodyTimeout} fails the request with {@link BodyTimeoutException} (answered
 * 408, connection closed). pekko-http's own idle timeout restarts with every byte, so a client
 * sending a header byte every few seconds would otherwise hold its connection forever.
 *
 * <p>Requests flow {@code in1 -> out1}, responses {@code in2 -> out2}. The header deadline also
 * ends idle keep-alive connections: players reuse theirs every target duration, far more often.
 */
final class RequestDeadlines
    extends GraphStage<BidiShape<HttpRequest, HttpRequest, HttpResponse, HttpResponse>> {

  /** A request body did not arrive in time. */
  static final class BodyTimeoutException extends RuntimeException {
    BodyTimeoutException(Duration timeout) {
      super("the request body did not arrive within " + timeout.toSeconds() + " s");
    }
  }

  /** What the connection's owner hears about the deadlines. */
  interface Listener {
    /** The connection was closed: no request head within the header timeout. */
    void headerTimedOut();
  }

  private static final String HEADER_TIMER = "header";

  private final Inlet<HttpRequest> requestsIn = Inlet.create("RequestDeadlines.requestsIn");
  private final Outlet<HttpRequest> requestsOut = Outlet.create("RequestDeadlines.requestsOut");
  private final Inlet<HttpResponse> responsesIn = Inlet.create("RequestDeadlines.responsesIn");
  private final Outlet<HttpResponse> responsesOut = Outlet.create("RequestDeadlines.responsesOut");
  private final BidiShape<HttpRequest, HttpRequest, HttpResponse, HttpResponse> shape =
      new BidiShape<>(requestsIn, requestsOut, responsesIn, responsesOut);

  private final Duration headerTimeout;
  private final Duration bodyTimeout;
  private final Listener listener;

  RequestDeadlines(Duration headerTimeout, Duration bodyTimeout, Listener listener) {
    this.headerTimeout = headerTimeout;
    this.bodyTimeout = bodyTimeout;
    this.listener = listener;
  }

  @Override
  public BidiShape<HttpRequest, HttpRequest, HttpResponse, HttpResponse> shape() {
    return shape;
  }

  @Override
  public GraphStageLogic createLogic(Attributes inheritedAttributes) {
    return new TimerGraphStageLogic(shape) {
      private int inFlight;

      {
        setHandler(
            requestsIn,
            new AbstractInHandler() {
              @Override
              public void onPush() {
                HttpRequest request = grab(requestsIn);
                inFlight++;
                cancelTimer(HEADER_TIMER);
                push(requestsOut, withBodyDeadline(request));
              }

              @Override
              public void onUpstreamFinish() {
                complete(requestsOut);
              }
            });
        setHandler(
            requestsOut,
            new AbstractOutHandler() {
              @Override
              public void onPull() {
                pull(requestsIn);
              }

              @Override
              public void onDownstreamFinish(Throwable cause) {
                cancel(requestsIn, cause);
              }
            });
        setHandler(
            responsesIn,
            new AbstractInHandler() {
              @Override
              public void onPush() {
                HttpResponse response = grab(responsesIn);
                if (response.entity().isStrict() || response.entity().isKnownEmpty()) {
                  push(responsesOut, response);
                  responded();
                } else {
                  push(responsesOut, withSentCallback(response));
                }
              }

              @Override
              public void onUpstreamFinish() {
                complete(responsesOut);
              }
            });
        setHandler(
            responsesOut,
            new AbstractOutHandler() {
              @Override
              public void onPull() {
                pull(responsesIn);
              }

              @Override
              public void onDownstreamFinish(Throwable cause) {
                cancel(responsesIn, cause);
              }
            });
      }

      private final AsyncCallback<Done> sent = createAsyncCallback(done -> responded());

      @Override
      public void preStart() {
        scheduleOnce(HEADER_TIMER, headerTimeout);
      }

      /** A response has been sent whole: the connection is idle once none is in flight. */
      private void responded() {
        inFlight--;
        if (inFlight == 0) {
          scheduleOnce(HEADER_TIMER, headerTimeout);
        }
      }

      /** The response, telling this stage when its streamed body has been sent (or failed). */
      private HttpResponse withSentCallback(HttpResponse response) {
        ResponseEntity entity = response.entity();
        Source<ByteString, ?> bytes =
            entity
                .getDataBytes()
                .watchTermination(
                    (mat, done) -> {
                      done.whenComplete((ok, error) -> sent.invoke(Done.getInstance()));
                      return mat;
                    });
        OptionalLong length = entity.getContentLengthOption();
        return response.withEntity(
            length.isPresent()
                ? HttpEntities.create(entity.getContentType(), length.getAsLong(), bytes)
                : HttpEntities.createChunked(entity.getContentType(), bytes));
      }

      @Override
      public void onTimer(Object key) {
        if (inFlight == 0) {
          listener.headerTimedOut();
          completeStage();
        }
      }
    };
  }

  private HttpRequest withBodyDeadline(HttpRequest request) {
    RequestEntity entity = request.entity();
    if (entity.isStrict()) {
      return request;
    }
    Flow<ByteString, ByteString, ?> deadline =
        Flow.<ByteString>create()
            .completionTimeout(bodyTimeout)
            .mapError(
                new PFBuilder<Throwable, Throwable>()
                    .match(TimeoutException.class, e -> new BodyTimeoutException(bodyTimeout))
                    .build());
    // getDataBytes keeps the entity's size limit; the new entity adds the deadline to it.
    Source<ByteString, ?> bytes = entity.getDataBytes().via(deadline);
    OptionalLong length = entity.getContentLengthOption();
    return request.withEntity(
        length.isPresent()
            ? HttpEntities.create(entity.getContentType(), length.getAsLong(), bytes)
            : HttpEntities.createChunked(entity.getContentType(), bytes));
  }
}

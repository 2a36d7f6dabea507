package com.nrsgirls.streaming.api;

import static org.apache.pekko.http.javadsl.server.Directives.*;

import com.nrsgirls.streaming.webrtc.sdp.Sdp;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.function.BiFunction;
import org.apache.pekko.http.javadsl.model.ContentType;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.Location;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.http.javadsl.unmarshalling.Unmarshaller;

/** What WHIP and WHEP share over HTTP: reading an SDP offer, answering one, refusing one. */
final class SdpOffers {
  private static final ContentType SDP = ContentTypes.parse("application/sdp"); // RFC 9725 §4.2

  private SdpOffers() {}

  /**
   * The request's {@code application/sdp} offer (415 otherwise; at most {@link Sdp#MAX_LENGTH}
   * bytes) and the client's address, handed to {@code inner}.
   */
  static Route offer(ApiJson json, BiFunction<String, String, Route> inner) {
    return extractRequestEntity(
        entity -> {
          String type = entity.getContentType().mediaType().toString().toLowerCase(Locale.ROOT);
          if (!type.equals("application/sdp")) {
            return complete(
                json.error(
                    StatusCodes.UNSUPPORTED_MEDIA_TYPE,
                    "unsupported_media_type",
                    "the offer must be application/sdp"));
          }
          return withSizeLimit(
              Sdp.MAX_LENGTH,
              () ->
                  entity(
                      Unmarshaller.entityToString(),
                      offer ->
                          extractClientIP(
                              client ->
                                  inner.apply(
                                      offer,
                                      client
                                          .getAddress()
                                          .map(a -> a.getHostAddress())
                                          .orElse("unknown")))));
        });
  }

  /** 201 with the answer and the session's {@code location}. */
  static Route created(String location, String sdp) {
    return complete(
        HttpResponse.create()
            .withStatus(StatusCodes.CREATED)
            .addHeader(Location.create(location))
            .withEntity(HttpEntities.create(SDP, sdp.getBytes(StandardCharsets.UTF_8))));
  }

  /** A refusal as JSON; a 503 says when to try again. */
  static HttpResponse refused(ApiJson json, int status, String error, String message) {
    HttpResponse response = json.error(StatusCodes.get(status), error, message);
    return status == 503 ? response.addHeader(RawHeader.create("Retry-After", "2")) : response;
  }
}

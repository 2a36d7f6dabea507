package com.nrsgirls.streaming.api;

import static org.apache.pekko.http.javadsl.server.Directives.*;

import com.nrsgirls.streaming.ingest.whip.WhipIngest;
import com.nrsgirls.streaming.webrtc.sdp.Sdp;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Optional;
import org.apache.pekko.http.javadsl.model.ContentType;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.Location;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.http.javadsl.unmarshalling.Unmarshaller;

/**
 * WHIP (RFC 9725) on the node's HTTP port: {@code POST /whip} with the stream key as the Bearer
 * token (as OBS and FFmpeg send it; never in the URL) and an {@code application/sdp} offer answers
 * {@code 201} with the SDP answer and the session's {@code Location}; {@code DELETE} on that
 * location ends the publish. Trickle ICE and ICE restarts ({@code PATCH}) are not offered: the node
 * is ICE-lite with one host candidate, all of it in the answer, so {@code PATCH} is {@code 405}.
 */
final class WhipRoutes {
  private static final ContentType SDP = ContentTypes.parse("application/sdp"); // RFC 9725 §4.2

  private final WhipIngest whip;
  private final ApiJson json;

  WhipRoutes(WhipIngest whip, ApiJson json) {
    this.whip = whip;
    this.json = json;
  }

  Route route() {
    return pathPrefix(
        "whip",
        () ->
            concat(
                pathEnd(
                    () ->
                        concat(
                            post(this::publish),
                            options(
                                () ->
                                    complete(
                                        HttpResponse.create()
                                            .withStatus(StatusCodes.NO_CONTENT)
                                            .addHeader(
                                                RawHeader.create("Allow", "POST, OPTIONS")))))),
                path(
                    PathMatchers.segment(),
                    resource ->
                        concat(
                            delete(
                                () ->
                                    whip.end(resource)
                                        ? complete(StatusCodes.OK)
                                        : complete(json.notFound("no such WHIP session"))),
                            patch(
                                () ->
                                    complete(
                                        json.error(
                                                StatusCodes.METHOD_NOT_ALLOWED,
                                                "method_not_allowed",
                                                "trickle ICE is not offered: the answer has every"
                                                    + " candidate")
                                            .addHeader(RawHeader.create("Allow", "DELETE"))))))));
  }

  private Route publish() {
    return optionalHeaderValueByName(
        "Authorization",
        authorization ->
            extractRequestEntity(
                entity -> {
                  String type =
                      entity.getContentType().mediaType().toString().toLowerCase(Locale.ROOT);
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
                                          onSuccess(
                                              whip.publish(
                                                  bearer(authorization),
                                                  offer,
                                                  client
                                                      .getAddress()
                                                      .map(a -> a.getHostAddress())
                                                      .orElse("unknown")),
                                              this::answer))));
                }));
  }

  private static Optional<String> bearer(Optional<String> authorization) {
    return authorization
        .filter(a -> a.regionMatches(true, 0, "Bearer ", 0, 7))
        .map(a -> a.substring(7).strip());
  }

  private Route answer(WhipIngest.Outcome outcome) {
    if (outcome instanceof WhipIngest.Created created) {
      return complete(
          HttpResponse.create()
              .withStatus(StatusCodes.CREATED)
              .addHeader(Location.create("/whip/" + created.resourceId()))
              .withEntity(
                  HttpEntities.create(SDP, created.sdp().getBytes(StandardCharsets.UTF_8))));
    }
    WhipIngest.Refused refused = (WhipIngest.Refused) outcome;
    HttpResponse response =
        json.error(StatusCodes.get(refused.status()), refused.error(), refused.message());
    if (refused.status() == 401) {
      response = response.addHeader(RawHeader.create("WWW-Authenticate", "Bearer"));
    } else if (refused.status() == 503) {
      response = response.addHeader(RawHeader.create("Retry-After", "2"));
    }
    return complete(response);
  }
}

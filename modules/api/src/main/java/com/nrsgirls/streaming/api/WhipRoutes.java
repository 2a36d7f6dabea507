package com.nrsgirls.streaming.api;

import static org.apache.pekko.http.javadsl.server.Directives.*;

import com.nrsgirls.streaming.ingest.whip.WhipIngest;
import java.util.Optional;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * WHIP (RFC 9725) on the node's HTTP port: {@code POST /whip} with the stream key as the Bearer
 * token (as OBS and FFmpeg send it; never in the URL) and an {@code application/sdp} offer answers
 * {@code 201} with the SDP answer and the session's {@code Location}; {@code DELETE} on that
 * location ends the publish. Trickle ICE and ICE restarts ({@code PATCH}) are not offered: the node
 * is ICE-lite with one host candidate, all of it in the answer, so {@code PATCH} is {@code 405}.
 */
final class WhipRoutes {
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
            SdpOffers.offer(
                json,
                (offer, client) ->
                    onSuccess(whip.publish(bearer(authorization), offer, client), this::answer)));
  }

  private static Optional<String> bearer(Optional<String> authorization) {
    return authorization
        .filter(a -> a.regionMatches(true, 0, "Bearer ", 0, 7))
        .map(a -> a.substring(7).strip());
  }

  private Route answer(WhipIngest.Outcome outcome) {
    if (outcome instanceof WhipIngest.Created created) {
      return SdpOffers.created("/whip/" + created.resourceId(), created.sdp());
    }
    WhipIngest.Refused refused = (WhipIngest.Refused) outcome;
    HttpResponse response =
        SdpOffers.refused(json, refused.status(), refused.error(), refused.message());
    if (refused.status() == 401) {
      response = response.addHeader(RawHeader.create("WWW-Authenticate", "Bearer"));
    }
    return complete(response);
  }
}

package com.nrsgirls.streaming.api;

import static org.apache.pekko.http.javadsl.server.Directives.*;

import com.nrsgirls.streaming.core.stream.StreamId;
import com.nrsgirls.streaming.pipeline.webrtc.WhepHub;
import java.util.List;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * WHEP (WebRTC playback) on the node's HTTP port: {@code POST /whep/{streamId}} with an {@code
 * application/sdp} offer answers {@code 201} with the SDP answer and the viewer's {@code Location}
 * ({@code /whep/{streamId}/{resource}}); {@code DELETE} there ends it. Playback is public, as HLS
 * is: no token. Players on other origins may call it (CORS, with {@code Location} exposed). {@code
 * PATCH} (trickle ICE) is 405: the answer has the node's one candidate. In a cluster, a viewer's
 * requests go to the node running the stream's graph ({@link ClusterPlayback}), whose answer names
 * its own UDP candidate; the {@code Location} works through any node.
 */
final class WhepRoutes {
  private static final List<HttpHeader> CORS =
      List.of(
          RawHeader.create("Access-Control-Allow-Origin", "*"),
          RawHeader.create("Access-Control-Allow-Methods", "POST, DELETE, OPTIONS"),
          RawHeader.create("Access-Control-Allow-Headers", "Content-Type, Authorization"),
          RawHeader.create("Access-Control-Expose-Headers", "Location"));

  private final WhepHub whep;
  private final ApiJson json;
  private final ClusterPlayback cluster;

  /**
   * @param cluster forwards a viewer's requests to the node running the stream, in a cluster
   */
  WhepRoutes(WhepHub whep, ApiJson json, ClusterPlayback cluster) {
    this.whep = whep;
    this.json = json;
    this.cluster = cluster;
  }

  Route route() {
    return pathPrefix(
        "whep",
        () ->
            respondWithHeaders(
                CORS,
                () ->
                    pathPrefix(
                        PathMatchers.segment(),
                        streamId ->
                            concat(
                                pathEnd(
                                    () ->
                                        concat(
                                            post(
                                                () ->
                                                    cluster.serve(streamId, () -> play(streamId))),
                                            options(() -> preflight("POST, OPTIONS")))),
                                path(
                                    PathMatchers.segment(),
                                    resource ->
                                        concat(
                                            delete(
                                                () ->
                                                    cluster.serve(
                                                        streamId,
                                                        () ->
                                                            whep.end(streamId, resource)
                                                                ? complete(StatusCodes.OK)
                                                                : complete(
                                                                    json.notFound(
                                                                        "no such WHEP viewer")))),
                                            options(() -> preflight("DELETE, OPTIONS")),
                                            patch(
                                                () ->
                                                    complete(
                                                        json.error(
                                                                StatusCodes.METHOD_NOT_ALLOWED,
                                                                "method_not_allowed",
                                                                "trickle ICE is not offered: the"
                                                                    + " answer has every"
                                                                    + " candidate")
                                                            .addHeader(
                                                                RawHeader.create(
                                                                    "Allow", "DELETE"))))))))));
  }

  private static Route preflight(String allow) {
    return complete(
        HttpResponse.create()
            .withStatus(StatusCodes.NO_CONTENT)
            .addHeader(RawHeader.create("Allow", allow)));
  }

  private Route play(String streamId) {
    if (!StreamId.isValid(streamId)) {
      return complete(json.notFound("no such stream"));
    }
    return SdpOffers.offer(
        json,
        (offer, client) -> {
          WhepHub.Outcome outcome = whep.play(streamId, offer, client);
          if (outcome instanceof WhepHub.Created created) {
            return SdpOffers.created(
                "/whep/" + streamId + "/" + created.resourceId(), created.sdp());
          }
          WhepHub.Refused refused = (WhepHub.Refused) outcome;
          return complete(
              SdpOffers.refused(json, refused.status(), refused.error(), refused.message()));
        });
  }
}

package com.nrsgirls.streaming.api;

import static com.nrsgirls.streaming.core.stream.LiveStreamProtocol.*;
import static org.apache.pekko.http.javadsl.server.Directives.*;

import com.nrsgirls.streaming.core.secret.SecretSeal;
import com.nrsgirls.streaming.core.stream.CreatorType;
import com.nrsgirls.streaming.core.stream.LadderRung;
import com.nrsgirls.streaming.core.stream.OutputSettings;
import com.nrsgirls.streaming.core.stream.RestreamTarget;
import com.nrsgirls.streaming.core.stream.StreamId;
import java.security.SecureRandom;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.HttpChallenge;
import org.apache.pekko.http.javadsl.model.headers.WWWAuthenticate;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The operator API under {@code /api/v1} (see docs/openapi.yaml): create streams, read their state
 * and history, rotate or revoke keys, stop a publisher, set what a stream outputs (ABR). Every
 * route needs the bearer token.
 */
final class StreamRoutes {
  private static final Logger log = LoggerFactory.getLogger(StreamRoutes.class);
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final int MAX_TEXT = 200;

  /** Events per page of {@code GET .../events} unless {@code limit} says otherwise; at most. */
  static final int EVENTS_PAGE = 1000;

  static final int EVENTS_PAGE_MAX = 10_000;

  /** Body of {@code POST /api/v1/streams}. */
  record CreateStreamRequest(String creatorId, String creatorType, String title) {}

  /**
   * Body of {@code PUT /api/v1/streams/{id}/outputs}: null (or absent) follows the node's default.
   */
  record OutputsRequest(
      Boolean abr, List<RungRequest> ladder, Boolean record, Integer recordingRetentionDays) {}

  /** One rung of {@link OutputsRequest#ladder()}. */
  record RungRequest(String name, Integer height, Integer videoKbps, Integer audioKbps) {}

  /**
   * Body of {@code PUT /api/v1/streams/{id}/restream-targets/{targetId}}: the URL may be left out
   * for youtube, twitch and facebook; the key may be left out when changing a target that has one.
   */
  record TargetRequest(
      String platform, String url, String streamKey, Boolean enabled, String accessToken) {}

  /** Body of {@code PUT /api/v1/streams/{id}/alert-webhooks}. */
  record AlertWebhooksRequest(List<String> urls) {}

  /** A stream's own alert webhook URLs at most. */
  static final int MAX_STREAM_WEBHOOKS = 5;

  /** Body of {@code POST /api/v1/analytics/replay}: ISO-8601 instants, {@code to} exclusive. */
  record ReplayRequest(String from, String to) {}

  private final StreamDirectory directory;
  private final KafkaEvents kafka;
  private final AlertWebhooks webhooks;
  private final ApiJson json;
  private final AdminToken token;
  private final Supplier<PublicUrls> urls;
  private final SecretSeal seal;

  /**
   * @param urls the node's public URLs; a supplier because the HTTP port is known only once bound
   * @param seal seals restream targets' stream keys before they reach the journal
   */
  private final ClusterStatus cluster;

  private final ChatRoutes chat;

  StreamRoutes(
      StreamDirectory directory,
      ApiJson json,
      AdminToken token,
      Supplier<PublicUrls> urls,
      SecretSeal seal,
      ClusterStatus cluster,
      KafkaEvents kafka,
      AlertWebhooks webhooks,
      ChatRoutes chat) {
    this.chat = chat;
    this.kafka = kafka;
    this.webhooks = webhooks;
    this.seal = seal;
    this.cluster = cluster;
    this.directory = directory;
    this.json = json;
    this.token = token;
    this.urls = urls;
  }

  Route route() {
    return pathPrefix(
        "api",
        () ->
            pathPrefix(
                "v1",
                () ->
                    authenticated(
                        () ->
                            concat(
                                path(
                                    PathMatchers.segment("analytics").slash("replay"),
                                    () ->
                                        post(
                                            () ->
                                                entity(
                                                    json.unmarshaller(ReplayRequest.class),
                                                    this::replay))),
                                path(
                                    "cluster",
                                    () ->
                                        get(
                                            () ->
                                                onSuccess(
                                                    cluster.view(),
                                                    view -> json.ok(StatusCodes.OK, view)))),
                                pathPrefix(
                                    "streams",
                                    () ->
                                        concat(
                                            pathEndOrSingleSlash(
                                                () ->
                                                    concat(
                                                        post(
                                                            () ->
                                                                entity(
                                                                    json.unmarshaller(
                                                                        CreateStreamRequest.class),
                                                                    this::create)),
                                                        get(
                                                            () ->
                                                                parameterOptional(
                                                                    "status", this::list)))),
                                            pathPrefix(PathMatchers.segment(), this::stream)))))));
  }

  private Route authenticated(Supplier<Route> inner) {
    return optionalHeaderValueByName(
        "Authorization",
        header -> {
          Optional<String> bearer =
              header
                  .filter(h -> h.regionMatches(true, 0, "Bearer ", 0, 7))
                  .map(h -> h.substring(7).strip());
          if (bearer.isPresent() && token.matches(bearer.get())) {
            return inner.get();
          }
          HttpHeader challenge =
              WWWAuthenticate.create(HttpChallenge.create("Bearer", "nrs-streaming"));
          return complete(
              json.error(
                      StatusCodes.UNAUTHORIZED, "unauthorized", "a valid bearer token is required")
                  .addHeader(challenge));
        });
  }

  private Route stream(String streamId) {
    if (!StreamId.isValid(streamId)) {
      return complete(json.notFound("no such stream")); // never echo what a client sent
    }
    return concat(
        chat.operator(streamId),
        pathEndOrSingleSlash(
            () ->
                get(
                    () ->
                        reply(
                            "state of stream=" + streamId,
                            directory.ask(streamId, GetState::new)))),
        path(
            PathMatchers.segment("key").slash("rotate"),
            () ->
                post(
                    () ->
                        reply(
                            "key rotation of stream=" + streamId,
                            directory.ask(streamId, RotateKey::new)))),
        path(
            "key",
            () ->
                delete(
                    () ->
                        reply(
                            "key revocation of stream=" + streamId,
                            directory.ask(streamId, RevokeKey::new),
                            StatusCodes.NO_CONTENT))),
        path(
            "alert-webhooks",
            () ->
                put(
                    () ->
                        entity(
                            json.unmarshaller(AlertWebhooksRequest.class),
                            request -> setAlertWebhooks(streamId, request)))),
        path(
            "outputs",
            () ->
                put(
                    () ->
                        entity(
                            json.unmarshaller(OutputsRequest.class),
                            request -> setOutputs(streamId, request)))),
        pathPrefix(
            "restream-targets",
            () ->
                concat(
                    pathEndOrSingleSlash(
                        () ->
                            get(
                                () ->
                                    onComplete(
                                        directory.ask(streamId, GetState::new),
                                        result ->
                                            complete(
                                                targetsAnswer(
                                                    "restream targets of stream=" + streamId,
                                                    result,
                                                    v ->
                                                        json.response(
                                                            StatusCodes.OK,
                                                            v.restreamTargets())))))),
                    path(
                        PathMatchers.segment(),
                        targetId ->
                            concat(
                                put(
                                    () ->
                                        entity(
                                            json.unmarshaller(TargetRequest.class),
                                            request -> putTarget(streamId, targetId, request))),
                                delete(() -> removeTarget(streamId, targetId)))))),
        path(
            "recordings",
            () ->
                get(
                    () ->
                        reply(
                            "recordings of stream=" + streamId,
                            directory.ask(streamId, GetRecordings::new)))),
        path(
            "stop",
            () ->
                post(
                    () -> reply("stop of stream=" + streamId, directory.ask(streamId, Stop::new)))),
        path(
            "events",
            () ->
                get(
                    () ->
                        parameterOptional(
                            "from",
                            from ->
                                parameterOptional(
                                    "limit",
                                    limit -> {
                                      long fromSeq;
                                      int max;
                                      try {
                                        fromSeq = from.map(Long::parseLong).orElse(1L);
                                        max = limit.map(Integer::parseInt).orElse(EVENTS_PAGE);
                                      } catch (NumberFormatException e) {
                                        return complete(
                                            json.error(
                                                StatusCodes.BAD_REQUEST,
                                                "bad_request",
                                                "from and limit must be numbers"));
                                      }
                                      if (max < 1 || max > EVENTS_PAGE_MAX) {
                                        return complete(
                                            json.error(
                                                StatusCodes.BAD_REQUEST,
                                                "bad_request",
                                                "limit must be 1 to " + EVENTS_PAGE_MAX));
                                      }
                                      return onSuccess(
                                          directory.events(streamId, Math.max(1, fromSeq), max),
                                          events -> json.ok(StatusCodes.OK, events));
                                    })))));
  }

  private Route replay(ReplayRequest request) {
    if (!kafka.enabled()) {
      return complete(
          json.error(
              StatusCodes.CONFLICT,
              "kafka_off",
              "Kafka is not configured on this node (NRS_KAFKA_BOOTSTRAP_SERVERS)"));
    }
    java.time.Instant from;
    java.time.Instant to;
    try {
      from = java.time.Instant.parse(request.from());
      to = java.time.Instant.parse(request.to());
    } catch (RuntimeException e) {
      return complete(
          json.error(
              StatusCodes.BAD_REQUEST,
              "bad_request",
              "from and to must be ISO-8601 instants, e.g. 2026-12-01T00:00:00Z"));
    }
    if (!from.isBefore(to)) {
      return complete(json.error(StatusCodes.BAD_REQUEST, "bad_request", "from must be before to"));
    }
    log.info("kafka: replay of the events written from {} to {} asked", from, to);
    return onSuccess(
        kafka.replay(from, to), count -> json.ok(StatusCodes.OK, Map.of("published", count)));
  }

  private Route create(CreateStreamRequest request) {
    if (request == null) {
      return complete(
          json.error(StatusCodes.BAD_REQUEST, "bad_request", "the body must be a JSON object"));
    }
    String problem = validate(request);
    if (problem != null) {
      return complete(json.error(StatusCodes.BAD_REQUEST, "bad_request", problem));
    }
    String streamId = StreamId.generate(RANDOM);
    CreatorType type = CreatorType.valueOf(request.creatorType());
    String title = request.title() == null ? "" : request.title().strip();
    return reply(
        "creation of stream=" + streamId,
        directory.ask(
            streamId, replyTo -> new Create(request.creatorId().strip(), type, title, replyTo)));
  }

  private Route setAlertWebhooks(String streamId, AlertWebhooksRequest request) {
    if (!webhooks.enabled()) {
      return complete(
          json.error(
              StatusCodes.CONFLICT,
              "webhooks_off",
              "alert webhooks need a signing secret on the node (NRS_ALERT_WEBHOOK_SECRET)"));
    }
    if (request == null || request.urls() == null) {
      return complete(
          json.error(StatusCodes.BAD_REQUEST, "bad_request", "the body must be {\"urls\": [...]}"));
    }
    if (request.urls().size() > MAX_STREAM_WEBHOOKS) {
      return complete(
          json.error(
              StatusCodes.BAD_REQUEST,
              "bad_request",
              "a stream has at most " + MAX_STREAM_WEBHOOKS + " alert webhooks"));
    }
    for (int i = 0; i < request.urls().size(); i++) {
      String problem = AlertWebhooks.problem(request.urls().get(i));
      if (problem != null) {
        // never echo the URL: it may hold a credential
        return complete(
            json.error(StatusCodes.BAD_REQUEST, "bad_request", "urls[" + i + "]: " + problem));
      }
    }
    List<String> urls = List.copyOf(new java.util.LinkedHashSet<>(request.urls()));
    return reply(
        "alert webhooks of stream=" + streamId,
        directory.ask(streamId, replyTo -> new SetAlertWebhooks(urls, replyTo)),
        StatusCodes.NO_CONTENT);
  }

  private Route setOutputs(String streamId, OutputsRequest request) {
    if (request == null) {
      return complete(
          json.error(StatusCodes.BAD_REQUEST, "bad_request", "the body must be a JSON object"));
    }
    List<LadderRung> ladder = null;
    if (request.ladder() != null) {
      if (request.ladder().size() > OutputSettings.MAX_RUNGS) {
        return complete(
            json.error(
                StatusCodes.BAD_REQUEST,
                "bad_request",
                "a ladder has at most " + OutputSettings.MAX_RUNGS + " rungs"));
      }
      ladder = new java.util.ArrayList<>();
      for (int i = 0; i < request.ladder().size(); i++) {
        RungRequest r = request.ladder().get(i);
        String problem = validate(r);
        if (problem != null) {
          return complete(
              json.error(StatusCodes.BAD_REQUEST, "bad_request", "ladder[" + i + "]: " + problem));
        }
        ladder.add(new LadderRung(r.name(), r.height(), r.videoKbps(), r.audioKbps()));
      }
      if (ladder.stream().map(LadderRung::name).distinct().count() != ladder.size()) {
        return complete(
            json.error(StatusCodes.BAD_REQUEST, "bad_request", "rung names must differ"));
      }
    }
    if (request.recordingRetentionDays() != null
        && (request.recordingRetentionDays() < 0 || request.recordingRetentionDays() > 36_500)) {
      return complete(
          json.error(
              StatusCodes.BAD_REQUEST,
              "bad_request",
              "recordingRetentionDays must be 0 (keep) to 36500"));
    }
    OutputSettings settings =
        new OutputSettings(
            request.abr(), ladder, request.record(), request.recordingRetentionDays());
    return reply(
        "outputs of stream=" + streamId,
        directory.ask(streamId, replyTo -> new SetOutputs(settings, replyTo)));
  }

  private Route putTarget(String streamId, String targetId, TargetRequest request) {
    if (request == null) {
      return complete(
          json.error(StatusCodes.BAD_REQUEST, "bad_request", "the body must be a JSON object"));
    }
    String platform = request.platform();
    String url;
    try {
      if (platform == null || !RestreamTarget.PLATFORMS.contains(platform)) {
        throw new IllegalArgumentException(
            "platform must be one of youtube, twitch, facebook, custom");
      }
      if (!targetId.matches("[a-z0-9-]{1,32}")) {
        throw new IllegalArgumentException("a target id is 1 to 32 of a-z, 0-9 and -");
      }
      url = RestreamPlatforms.serverUrl(platform, request.url());
      String key = request.streamKey();
      if (key != null && (key.isEmpty() || key.length() > 512 || !key.matches("[!-~]+"))) {
        throw new IllegalArgumentException(
            "streamKey must be 1 to 512 printable characters without spaces");
      }
      String token = request.accessToken();
      if (token != null) {
        if (platform.equals("custom")) {
          throw new IllegalArgumentException(
              "accessToken links a youtube, twitch or facebook account; a custom target takes a"
                  + " streamKey");
        }
        if (token.isEmpty() || token.length() > 4096 || !token.matches("[!-~]+")) {
          throw new IllegalArgumentException(
              "accessToken must be 1 to 4096 printable characters without spaces");
        }
      }
    } catch (IllegalArgumentException e) {
      return complete(json.error(StatusCodes.BAD_REQUEST, "bad_request", e.getMessage()));
    }
    boolean enabled = request.enabled() == null || request.enabled();
    boolean keepKey = request.streamKey() == null && request.accessToken() == null;
    // a change without a key or token keeps what the target has; the placeholder is never stored
    String sealed =
        keepKey
            ? "kept"
            : request.streamKey() == null
                ? null
                : seal.seal(request.streamKey(), RestreamTarget.sealContext(streamId, targetId));
    String sealedToken =
        request.accessToken() == null
            ? null
            : seal.seal(request.accessToken(), RestreamTarget.tokenSealContext(streamId, targetId));
    RestreamTarget target =
        new RestreamTarget(targetId, platform, url, sealed, enabled, sealedToken);
    return onComplete(
        directory.ask(streamId, replyTo -> new PutRestreamTarget(target, keepKey, replyTo)),
        result -> {
          if (result.isSuccess() && result.get() instanceof TargetNotFound) {
            return complete(
                json.error(
                    StatusCodes.BAD_REQUEST,
                    "bad_request",
                    "streamKey (or accessToken, for a linked account) is required for a new target"));
          }
          return complete(
              targetsAnswer(
                  "restream target of stream=" + streamId,
                  result,
                  v ->
                      v.restreamTargets().stream()
                          .filter(t -> t.targetId().equals(targetId))
                          .findFirst()
                          .map(t -> json.response(StatusCodes.OK, t))
                          .orElseThrow()));
        });
  }

  private Route removeTarget(String streamId, String targetId) {
    return onComplete(
        directory.ask(streamId, replyTo -> new RemoveRestreamTarget(targetId, replyTo)),
        result ->
            complete(
                targetsAnswer(
                    "restream target removal of stream=" + streamId,
                    result,
                    v -> HttpResponse.create().withStatus(StatusCodes.NO_CONTENT))));
  }

  /** The answer to a restream target request: {@code onView} of the stream's state, or an error. */
  private HttpResponse targetsAnswer(
      String what,
      scala.util.Try<OperatorReply> result,
      java.util.function.Function<StreamView, HttpResponse> onView) {
    if (result.isFailure()) {
      Throwable e = result.failed().get();
      log.warn("operator API: {} got no answer from the stream: {}", what, e.toString());
      return json.error(
          StatusCodes.SERVICE_UNAVAILABLE,
          "unavailable",
          e instanceof TimeoutException
              ? "the stream did not answer in time"
              : "the stream is unavailable");
    }
    OperatorReply reply = result.get();
    if (reply instanceof StateView v) {
      return onView.apply(v.stream());
    } else if (reply instanceof TargetNotFound) {
      return json.notFound("no such restream target");
    }
    return toResponse(reply, StatusCodes.OK);
  }

  /** What is wrong with a rung, in words that never repeat what the client sent; or null. */
  private static String validate(RungRequest r) {
    if (r == null) {
      return "a rung must be an object";
    }
    if (r.name() == null || !r.name().matches("[a-z0-9]{1,16}") || r.name().equals("source")) {
      return "name must be 1 to 16 of a-z and 0-9, and not source";
    }
    if (r.height() == null || r.height() < 64 || r.height() > 4320) {
      return "height must be 64 to 4320";
    }
    if (r.videoKbps() == null || r.videoKbps() < 50 || r.videoKbps() > 50_000) {
      return "videoKbps must be 50 to 50000";
    }
    if (r.audioKbps() == null || r.audioKbps() < 16 || r.audioKbps() > 512) {
      return "audioKbps must be 16 to 512";
    }
    return null;
  }

  private static String validate(CreateStreamRequest r) {
    if (r.creatorId() == null || r.creatorId().isBlank() || r.creatorId().length() > MAX_TEXT) {
      return "creatorId is required (at most " + MAX_TEXT + " characters)";
    }
    if (!printable(r.creatorId())) {
      return "creatorId must not contain control characters or unpaired surrogates";
    }
    if (r.creatorType() == null || !List.of("DJ", "PERFORMER").contains(r.creatorType())) {
      return "creatorType must be DJ or PERFORMER";
    }
    if (r.title() != null && r.title().length() > MAX_TEXT) {
      return "title must be at most " + MAX_TEXT + " characters";
    }
    if (r.title() != null && !printable(r.title())) {
      return "title must not contain control characters or unpaired surrogates";
    }
    return null;
  }

  /**
   * Whether {@code text} is printable Unicode: no control characters (they would end up in logs and
   * players' UIs) and no unpaired surrogate (it is not Unicode; the journal's CBOR refuses it).
   */
  static boolean printable(String text) {
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (Character.isISOControl(c) || c == '\u2028' || c == '\u2029') {
        return false;
      }
      if (Character.isHighSurrogate(c)) {
        if (i + 1 >= text.length() || !Character.isLowSurrogate(text.charAt(i + 1))) {
          return false;
        }
        i++;
      } else if (Character.isLowSurrogate(c)) {
        return false;
      }
    }
    return true;
  }

  private Route list(Optional<String> status) {
    if (status.isPresent() && !List.of("live", "idle").contains(status.get())) {
      return complete(
          json.error(StatusCodes.BAD_REQUEST, "bad_request", "status must be live or idle"));
    }
    return onSuccess(
        directory.list(status), streams -> json.ok(StatusCodes.OK, Map.of("streams", streams)));
  }

  /** Turns an entity's reply into the HTTP answer the API promises for it. */
  private Route reply(String what, CompletionStage<OperatorReply> answer) {
    return reply(what, answer, StatusCodes.ACCEPTED);
  }

  /**
   * @param acceptedStatus the status an {@code Accepted} reply becomes: 202 for asynchronous
   *     actions, 204 for ones already done
   */
  private Route reply(
      String what,
      CompletionStage<OperatorReply> answer,
      org.apache.pekko.http.javadsl.model.StatusCode acceptedStatus) {
    return onComplete(
        answer,
        result -> {
          if (result.isFailure()) {
            Throwable e = result.failed().get();
            log.warn("operator API: {} got no answer from the stream: {}", what, e.toString());
            return complete(
                json.error(
                    StatusCodes.SERVICE_UNAVAILABLE,
                    "unavailable",
                    e instanceof TimeoutException
                        ? "the stream did not answer in time"
                        : "the stream is unavailable"));
          }
          return complete(toResponse(result.get(), acceptedStatus));
        });
  }

  private HttpResponse toResponse(
      OperatorReply reply, org.apache.pekko.http.javadsl.model.StatusCode acceptedStatus) {
    if (reply instanceof Created c) {
      Map<String, Object> body = new LinkedHashMap<>();
      body.put("streamId", c.streamId());
      body.put("streamKey", c.streamKey().value().reveal());
      body.put("ingestUrl", urls.get().ingestUrl());
      body.put("playbackUrl", urls.get().playbackUrl(c.streamId()));
      body.put("keyExpiresAt", c.keyExpiresAt());
      return json.response(StatusCodes.CREATED, body);
    } else if (reply instanceof KeyIssued k) {
      Map<String, Object> body = new LinkedHashMap<>();
      body.put("streamKey", k.streamKey().value().reveal());
      body.put("keyExpiresAt", k.keyExpiresAt());
      return json.response(StatusCodes.OK, body);
    } else if (reply instanceof StateView v) {
      return json.response(StatusCodes.OK, withPlayback(v.stream()));
    } else if (reply instanceof Recordings r) {
      List<Map<String, Object>> list = new java.util.ArrayList<>();
      for (RecordingView v : r.recordings()) {
        list.add(recording(r.streamId(), v));
      }
      return json.response(StatusCodes.OK, list);
    } else if (reply instanceof Accepted) {
      return HttpResponse.create().withStatus(acceptedStatus);
    } else if (reply instanceof NotFound n) {
      return json.notFound("no stream " + n.streamId());
    } else if (reply instanceof Conflict c) {
      return json.error(StatusCodes.CONFLICT, "conflict", c.message());
    }
    throw new IllegalStateException("unexpected reply " + reply.getClass().getName());
  }

  private Map<String, Object> withPlayback(StreamView view) {
    @SuppressWarnings("unchecked")
    Map<String, Object> body = json.mapper().convertValue(view, LinkedHashMap.class);
    body.put("playbackUrl", urls.get().playbackUrl(view.streamId()));
    if (view.recording() != null) {
      body.put("recording", recording(view.streamId(), view.recording()));
    }
    return body;
  }

  /** A recording as api.md lists it, with the URL of its VOD playlist. */
  private Map<String, Object> recording(String streamId, RecordingView v) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("recordingId", v.recordingId());
    m.put("sessionId", v.sessionId());
    m.put("startedAt", v.startedAt());
    m.put("endedAt", v.endedAt());
    m.put("durationSeconds", v.durationMillis() / 1000.0);
    m.put("status", v.status());
    m.put("url", urls.get().recordingUrl(streamId, v.recordingId()));
    m.put("parts", v.parts());
    m.put("bytes", v.bytes());
    if (v.reason() != null) {
      m.put("reason", v.reason());
    }
    return m;
  }
}

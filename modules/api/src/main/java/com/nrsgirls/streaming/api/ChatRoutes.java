package com.nrsgirls.streaming.api;

import static org.apache.pekko.http.javadsl.server.Directives.*;

import com.nrsgirls.streaming.api.chat.ChatProtocol;
import com.nrsgirls.streaming.api.chat.ChatRole;
import com.nrsgirls.streaming.api.chat.ChatSockets;
import com.nrsgirls.streaming.api.chat.ChatToken;
import com.nrsgirls.streaming.api.chat.ChatUser;
import com.nrsgirls.streaming.core.stream.LiveStreamProtocol;
import com.nrsgirls.streaming.core.stream.StreamId;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.regex.Pattern;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.japi.function.Function;

/**
 * Chat over HTTP: the room's WebSocket ({@code GET /chat/{streamId}?token=...}) and the operator's
 * side under {@code /api/v1/streams/{id}}: chat tokens, the room's state, bans, deletions and slow
 * mode (docs/chat.md).
 */
final class ChatRoutes {
  /** Body of {@code POST .../chat-tokens}. */
  record TokenRequest(String userId, String displayName, String role, Long ttlSeconds) {}

  /**
   * Body of {@code PUT .../chat/bans/{userId}}: {@code seconds} absent or 0 is a ban without end.
   */
  record BanRequest(String reason, Long seconds) {}

  /** Body of {@code PUT .../chat/slow-mode}. */
  record SlowModeRequest(Integer seconds) {}

  private static final Pattern USER_ID = Pattern.compile("[A-Za-z0-9._:@-]{1,64}");
  static final int MAX_DISPLAY_NAME = 50;

  private final ChatSockets sockets;
  private final ChatToken tokens;
  private final StreamDirectory directory;
  private final ApiJson json;
  private final ClusterSharding sharding;
  private final Clock clock;

  ChatRoutes(
      ActorSystem<?> system,
      ChatSockets sockets,
      ChatToken tokens,
      StreamDirectory directory,
      ApiJson json,
      Clock clock) {
    this.sockets = sockets;
    this.tokens = tokens;
    this.directory = directory;
    this.json = json;
    this.clock = clock;
    this.sharding = ClusterSharding.get(system);
  }

  /** {@code GET /chat/{streamId}}: no operator token, the chat token (or none) says who it is. */
  Route socket() {
    return path(
        PathMatchers.segment("chat").slash(PathMatchers.segment()),
        streamId ->
            get(
                () ->
                    parameterOptional(
                        "token",
                        token ->
                            extractClientIP(
                                client -> {
                                  String remote =
                                      client
                                          .getAddress()
                                          .map(a -> a.getHostAddress())
                                          .orElse("unknown");
                                  return open(streamId, token, remote);
                                }))));
  }

  private Route open(String streamId, Optional<String> token, String remote) {
    if (!StreamId.isValid(streamId)) {
      return complete(json.notFound("no such stream"));
    }
    if (!sockets.admits(remote)) {
      return complete(
          json.error(
              StatusCodes.SERVICE_UNAVAILABLE,
              "too_many_sockets",
              "too many chat sockets on this node or from this address"));
    }
    if (token.isPresent()) {
      Optional<ChatToken.Claims> claims = tokens.verify(token.get(), clock.instant());
      if (claims.isEmpty()) {
        return complete(
            json.error(
                StatusCodes.UNAUTHORIZED, "unauthorized", "the chat token is invalid or expired"));
      }
      if (!claims.get().streamId().equals(streamId)) {
        return complete(
            json.error(StatusCodes.FORBIDDEN, "forbidden", "the chat token is for another stream"));
      }
      return handleWebSocketMessages(sockets.open(streamId, claims.get().user(), remote));
    }
    if (!sockets.settings().anonymousRead()) {
      return complete(
          json.error(StatusCodes.UNAUTHORIZED, "unauthorized", "a chat token is required"));
    }
    return onSuccess(
        directory.exists(streamId),
        exists ->
            exists
                ? handleWebSocketMessages(sockets.open(streamId, null, remote))
                : complete(json.notFound("no such stream")));
  }

  /** The chat routes of one stream inside the operator API (already authenticated). */
  Route operator(String streamId) {
    return concat(
        path(
            "chat-tokens",
            () ->
                post(
                    () ->
                        entity(
                            json.unmarshaller(TokenRequest.class),
                            request -> issue(streamId, request)))),
        pathPrefix(
            "chat",
            () ->
                concat(
                    pathEndOrSingleSlash(
                        () -> get(() -> room(streamId, ChatProtocol.GetInfo::new))),
                    path(
                        "slow-mode",
                        () ->
                            put(
                                () ->
                                    entity(
                                        json.unmarshaller(SlowModeRequest.class),
                                        r ->
                                            r == null || r.seconds() == null
                                                ? badRequest("seconds is required")
                                                : room(
                                                    streamId,
                                                    ref ->
                                                        new ChatProtocol.SetSlowMode(
                                                            ChatUser.OPERATOR,
                                                            r.seconds(),
                                                            ref))))),
                    path(
                        PathMatchers.segment("bans").slash(PathMatchers.segment()),
                        userId ->
                            concat(
                                put(
                                    () ->
                                        entity(
                                            json.unmarshaller(BanRequest.class),
                                            r ->
                                                room(
                                                    streamId,
                                                    ref ->
                                                        new ChatProtocol.Ban(
                                                            ChatUser.OPERATOR,
                                                            userId,
                                                            r == null ? null : r.reason(),
                                                            r == null || r.seconds() == null
                                                                ? 0
                                                                : r.seconds(),
                                                            ref)))),
                                delete(
                                    () ->
                                        room(
                                            streamId,
                                            ref ->
                                                new ChatProtocol.Unban(
                                                    ChatUser.OPERATOR, userId, ref))))),
                    path(
                        PathMatchers.segment("messages").slash(PathMatchers.longSegment()),
                        id ->
                            delete(
                                () ->
                                    room(
                                        streamId,
                                        ref ->
                                            new ChatProtocol.Delete(
                                                ChatUser.OPERATOR, id, ref)))))));
  }

  private Route issue(String streamId, TokenRequest r) {
    if (r == null) {
      return badRequest("the body must be a JSON object");
    }
    ChatRole role = r.role() == null ? ChatRole.VIEWER : ChatRole.parse(r.role());
    if (role == null) {
      return badRequest("role must be viewer, creator or moderator");
    }
    // a creator's id is the stream's creatorId as given (checked below), whatever its characters
    if (r.userId() == null
        || !(USER_ID.matcher(r.userId()).matches()
            || (role == ChatRole.CREATOR
                && !r.userId().isBlank()
                && r.userId().length() <= 200
                && r.userId().chars().noneMatch(Character::isISOControl)))) {
      return badRequest("userId must be 1 to 64 of A-Z a-z 0-9 . _ : @ -");
    }
    String name = r.displayName() == null ? r.userId() : r.displayName().strip();
    if (name.isEmpty()
        || name.codePointCount(0, name.length()) > MAX_DISPLAY_NAME
        || name.chars().anyMatch(Character::isISOControl)) {
      return badRequest("displayName must be 1 to " + MAX_DISPLAY_NAME + " printable characters");
    }
    Duration ttl = sockets.settings().tokenTtl();
    if (r.ttlSeconds() != null) {
      if (r.ttlSeconds() < 60 || r.ttlSeconds() > ttl.toSeconds()) {
        return badRequest("ttlSeconds must be 60 to " + ttl.toSeconds());
      }
      ttl = Duration.ofSeconds(r.ttlSeconds());
    }
    ChatUser user = new ChatUser(r.userId(), name, role);
    Instant expires = clock.instant().plus(ttl);
    return onSuccess(
        directory.ask(streamId, LiveStreamProtocol.GetState::new),
        reply -> {
          if (!(reply instanceof LiveStreamProtocol.StateView v)) {
            return complete(json.notFound("no such stream"));
          }
          if (role == ChatRole.CREATOR && !v.stream().creatorId().equals(r.userId())) {
            return badRequest("role creator is for the stream's creator (its creatorId) only");
          }
          Map<String, Object> body = new LinkedHashMap<>();
          body.put("token", tokens.issue(streamId, user, expires));
          body.put("expiresAt", expires.toString());
          body.put("streamId", streamId);
          body.put("userId", user.id());
          body.put("role", role.wire());
          return json.ok(StatusCodes.CREATED, body);
        });
  }

  private Route room(
      String streamId, Function<ActorRef<ChatProtocol.Reply>, ChatProtocol.Command> command) {
    CompletionStage<ChatProtocol.Reply> reply =
        directory
            .exists(streamId)
            .thenCompose(
                exists ->
                    exists
                        ? sharding
                            .entityRefFor(ChatProtocol.ENTITY_TYPE_KEY, streamId)
                            .ask(command, sockets.settings().askTimeout())
                        : java.util.concurrent.CompletableFuture.completedFuture(null));
    return onComplete(
        reply,
        result -> {
          if (result.isFailure()) {
            return complete(
                json.error(
                    StatusCodes.SERVICE_UNAVAILABLE,
                    "unavailable",
                    "the chat room did not answer"));
          }
          ChatProtocol.Reply r = result.get();
          if (r == null) {
            return complete(json.notFound("no such stream"));
          } else if (r instanceof ChatProtocol.Info info) {
            return json.ok(StatusCodes.OK, info);
          } else if (r instanceof ChatProtocol.Done) {
            return complete(HttpResponse.create().withStatus(StatusCodes.NO_CONTENT));
          }
          ChatProtocol.Rejected rejected = (ChatProtocol.Rejected) r;
          return complete(
              json.error(
                  rejected.error().equals("not-found")
                      ? StatusCodes.NOT_FOUND
                      : StatusCodes.BAD_REQUEST,
                  rejected.error().replace('-', '_'),
                  rejected.message()));
        });
  }

  private Route badRequest(String message) {
    return complete(json.error(StatusCodes.BAD_REQUEST, "bad_request", message));
  }
}

package com.nrsgirls.streaming.core.stream;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import com.nrsgirls.streaming.core.CborSerializable;
import com.nrsgirls.streaming.core.media.MediaPacket;
import java.time.Instant;
import java.util.List;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.stream.SinkRef;

/**
 * The messages of the sharded {@code LiveStream} entity, one per stream (channel), keyed by stream
 * id. They live here, not beside the behaviour in the pipeline module, because ingest and the API
 * send them too.
 */
public final class LiveStreamProtocol {
  public static final EntityTypeKey<Command> ENTITY_TYPE_KEY =
      EntityTypeKey.create(Command.class, "LiveStream");

  /**
   * How many tags a stream's events are spread over: every event of a stream carries the one tag
   * {@link #tag} gives it, so a projection can run one instance per tag, each in order per stream.
   * Fixed for the journal's life: a stream's tag must not change.
   */
  public static final int TAG_SLICES = 4;

  private LiveStreamProtocol() {}

  /** The tag of every event of the stream: {@code stream-0} to {@code stream-3}. */
  public static String tag(String streamId) {
    return "stream-" + Math.floorMod(streamId.hashCode(), TAG_SLICES);
  }

  // ---- commands ----------------------------------------------------------------------------

  public sealed interface Command extends CborSerializable {}

  /** Creates the stream and issues its first key. */
  public record Create(
      String creatorId, CreatorType creatorType, String title, ActorRef<OperatorReply> replyTo)
      implements Command {}

  public record GetState(ActorRef<OperatorReply> replyTo) implements Command {}

  /** Issues a new key; the old one stops working at once. */
  public record RotateKey(ActorRef<OperatorReply> replyTo) implements Command {}

  /** Revokes the current key without issuing a new one. */
  public record RevokeKey(ActorRef<OperatorReply> replyTo) implements Command {}

  /** Disconnects the publisher, if one is live. */
  public record Stop(ActorRef<OperatorReply> replyTo) implements Command {}

  /**
   * Replaces the stream's output settings. A live session attaches or detaches what changed (the
   * ABR branch) at once; the publisher and the other outputs do not notice.
   */
  public record SetOutputs(OutputSettings settings, ActorRef<OperatorReply> replyTo)
      implements Command {}

  /**
   * Adds or replaces one restream target (its key already sealed). A live session connects it, or
   * reconnects it if it changed, at once; the publisher and the other outputs do not notice.
   */
  public record PutRestreamTarget(
      RestreamTarget target, boolean keepKey, ActorRef<OperatorReply> replyTo) implements Command {}

  /** Removes a restream target; a live push to it ends. */
  public record RemoveRestreamTarget(String targetId, ActorRef<OperatorReply> replyTo)
      implements Command {}

  /**
   * A publisher asks to go live. The entity checks the key and, if it is good, materializes the
   * session's media graph and answers with the sink that ingest streams the packets into. A publish
   * while another session is live takes over: the old session's graph is closed first.
   */
  public record Publish(Key key, PublishSession session, ActorRef<PublishReply> replyTo)
      implements Command {}

  /** The session's graph read the codec configuration records of its tracks. */
  public record SessionMediaDetected(String sessionId, VideoInfo video, AudioInfo audio)
      implements Command {}

  /**
   * HLS viewers a node saw fetch a media playlist of the stream since its last report (about once a
   * second): their session ids, or hashes of address and user agent for players that came without
   * one.
   */
  public record ViewersSeen(List<String> viewers) implements Command {}

  /** A coarse health snapshot from the session's graph. */
  public record SessionHealth(String sessionId, HealthStats stats) implements Command {}

  /**
   * The stream's chat room's running totals (sent by the room while they change, about once a
   * minute): persisted as {@link ChatStats} for analytics.
   */
  public record RecordChatStats(long messages, long deleted, long bans) implements Command {}

  /** The session's graph finished: the publisher left, failed, or was disconnected. */
  public record SessionEnded(String sessionId, String reason) implements Command {}

  /**
   * Internal: what a waiting publish waited for (the previous session's graph flushing after a
   * takeover, or the stream's outputs being ended) is done, so it can go ahead. Sent by the entity
   * to itself.
   */
  public record PreviousSessionSettled() implements Command {}

  /**
   * Internal: a periodic check whether the entity is idle (not live, nothing asked of it lately)
   * and can be passivated. Sent by the entity to itself.
   */
  public record PassivateIfIdle() implements Command {}

  /**
   * Internal: the reconnect grace after a dropped publisher is over. If nobody came back, the
   * stream's outputs are ended. Sent by the entity to itself.
   */
  public record EndOutputsIfIdle(String sessionId) implements Command {}

  /**
   * Internal: after recovery the journal says a session is live, but no graph runs for it here (the
   * node restarted or the entity moved). Sent by the entity to itself.
   */
  public record CloseOrphanedSession(String sessionId) implements Command {}

  /**
   * Internal: ending the stream's outputs after the session {@code sessionId} is done (the
   * playlists got {@code EXT-X-ENDLIST}; {@code failure} is null) or failed. Once done, the entity
   * records that nothing is left to end. Sent by the entity to itself.
   */
  public record OutputsWereEnded(String sessionId, String failure) implements Command {}

  /**
   * The operator sets the stream's own alert webhook URLs (besides the node's), replacing any it
   * had; an empty list removes them. Validated by the API.
   */
  public record SetAlertWebhooks(List<String> urls, ActorRef<OperatorReply> replyTo)
      implements Command {}

  /** The operator asks for the stream's recordings. */
  public record GetRecordings(ActorRef<OperatorReply> replyTo) implements Command {}

  /** The node's recorder: a part of the recording is in the store. */
  public record RecordingPartUploaded(String recordingId, int part, long durationMillis, long bytes)
      implements Command {}

  /**
   * The node's recorder: the recording is over.
   *
   * @param status {@code completed}, {@code interrupted} (its node stopped while recording: what
   *     was stored plays) or {@code failed} (the store refused its parts for too long)
   */
  public record RecordingFinished(
      String recordingId, String status, String reason, long durationMillis) implements Command {}

  /** Deletes recordings older than the stream's retention (a timer while the entity is awake). */
  public record ApplyRetention() implements Command {}

  /**
   * A stream key inside a message. Serialized as the whole key, since the entity needs it to
   * compare; its {@code toString} stays masked.
   */
  public record Key(StreamKey value) {
    @JsonCreator(mode = JsonCreator.Mode.DELEGATING)
    public static Key fromJson(String text) {
      return new Key(
          StreamKey.parse(text).orElseThrow(() -> new IllegalArgumentException("not a key")));
    }

    @JsonValue
    public String toJson() {
      return value.reveal();
    }

    @Override
    public String toString() {
      return value.toString();
    }
  }

  /** Who publishes: one RTMP connection's publish. */
  public record PublishSession(String sessionId, String remoteAddress, String ingestNode)
      implements CborSerializable {}

  // ---- replies -----------------------------------------------------------------------------

  public sealed interface PublishReply extends CborSerializable {}

  /**
   * Go live: stream packets into {@code sink}; it closes when the stream stops or is taken over.
   */
  public record PublishAccepted(String streamId, SinkRef<MediaPacket> sink)
      implements PublishReply {}

  public record PublishRejected(PublishRejection reason) implements PublishReply {}

  public sealed interface OperatorReply extends CborSerializable {}

  /** The stream was created; the key is shown here once and never again. */
  public record Created(String streamId, Key streamKey, Instant keyExpiresAt)
      implements OperatorReply {}

  public record KeyIssued(Key streamKey, Instant keyExpiresAt) implements OperatorReply {}

  public record StateView(StreamView stream) implements OperatorReply {}

  public record Accepted() implements OperatorReply {}

  public record NotFound(String streamId) implements OperatorReply {}

  /** The stream has no restream target of that id. */
  public record TargetNotFound(String targetId) implements OperatorReply {}

  public record Conflict(String message) implements OperatorReply {}

  /** The stream's recordings, newest first. */
  public record Recordings(String streamId, List<RecordingView> recordings)
      implements OperatorReply {}

  /**
   * A recording as the operator API shows it.
   *
   * @param status {@code recording}, {@code completed}, {@code interrupted} or {@code failed}
   * @param durationMillis media stored so far
   * @param reason why it was interrupted or failed; null otherwise
   */
  public record RecordingView(
      String recordingId,
      String sessionId,
      Instant startedAt,
      Instant endedAt,
      long durationMillis,
      String status,
      int parts,
      long bytes,
      String reason)
      implements CborSerializable {}

  /**
   * A stream as the operator API shows it.
   *
   * @param ownerNode the cluster address ({@code host:port}) of the node the entity, and so the
   *     stream's graph and HLS, runs on
   * @param ownerHttpUrl that node's HTTP server as other nodes reach it (they proxy playback there)
   */
  public record StreamView(
      String streamId,
      String creatorId,
      CreatorType creatorType,
      String title,
      Instant createdAt,
      String status,
      String ownerNode,
      Instant keyExpiresAt,
      boolean keyRevoked,
      SessionView session,
      VideoInfo video,
      AudioInfo audio,
      List<String> renditions,
      HealthStats health,
      List<StreamAlert> alerts,
      ViewerView viewers,
      SessionView lastSession,
      OutputSettings outputs,
      List<RestreamTargetView> restreamTargets,
      RecordingView recording,
      String ownerHttpUrl)
      implements CborSerializable {}

  /**
   * A restream target as the operator API shows it: never its key.
   *
   * @param state {@code idle} (the stream is not live or the target is disabled), {@code
   *     connecting}, {@code live}, {@code retrying} or {@code failed}
   * @param since when it entered that state in the current session; null when idle
   * @param lastError why it last failed in the current session; null if it has not
   * @param bytesSent bytes sent to it in the current session
   * @param feed what it is fed: {@code source}, or the ABR rung within the platform's limits
   * @param detail why it is fed so, or which of the platform's limits the stream does not meet;
   *     null if nothing to say
   * @param accountLinked whether the creator linked an account: the platform's API says where to
   *     push before each broadcast
   */
  public record RestreamTargetView(
      String targetId,
      String platform,
      String url,
      boolean enabled,
      String state,
      Instant since,
      String lastError,
      long bytesSent,
      String feed,
      String detail,
      boolean accountLinked)
      implements CborSerializable {}

  public record SessionView(
      String sessionId,
      Instant startedAt,
      Instant endedAt,
      String endReason,
      String remoteAddress,
      String ingestNode)
      implements CborSerializable {}

  // ---- events ------------------------------------------------------------------------------

  /** What the journal keeps about a stream: lifecycle facts, never per-packet or per-segment. */
  public sealed interface Event extends CborSerializable {
    Instant at();
  }

  public record StreamCreated(
      String streamId,
      String creatorId,
      CreatorType creatorType,
      String title,
      String keyHash,
      Instant keyExpiresAt,
      Instant at)
      implements Event {}

  public record KeyRotated(String keyHash, Instant keyExpiresAt, Instant at) implements Event {}

  public record KeyRevoked(Instant at) implements Event {}

  /**
   * A publish session began.
   *
   * @param ingestNode the node its publisher is connected to
   * @param graphNode the node its graph (and so its playlists) runs on; null in events written
   *     before clusters
   */
  public record PublishStarted(
      String sessionId, String remoteAddress, String ingestNode, String graphNode, Instant at)
      implements Event {
    public PublishStarted(String sessionId, String remoteAddress, String ingestNode, Instant at) {
      this(sessionId, remoteAddress, ingestNode, null, at);
    }
  }

  /**
   * A live session's graph was lost with its node (it died, or left the cluster) and the session
   * goes on: its publisher's node handed it to the stream's entity on {@code graphNode}.
   */
  public record SessionMoved(String sessionId, String graphNode, Instant at) implements Event {}

  public record MediaDetected(String sessionId, VideoInfo video, AudioInfo audio, Instant at)
      implements Event {}

  public record PublishEnded(String sessionId, String reason, Instant at) implements Event {}

  /** The operator replaced the stream's output settings. */
  public record OutputsChanged(OutputSettings settings, Instant at) implements Event {}

  /** The operator added or changed a restream target (its key sealed). */
  public record RestreamTargetSet(RestreamTarget target, Instant at) implements Event {}

  /** The operator removed a restream target. */
  public record RestreamTargetRemoved(String targetId, Instant at) implements Event {}

  /**
   * A restream target's push changed state, as the session's health reported it (so a state that
   * lasted less than a health interval may not be recorded).
   *
   * @param state {@code connecting}, {@code live}, {@code retrying} or {@code failed}
   * @param lastError why it last failed, never holding its key; null if it has not
   */
  public record RestreamTargetStateChanged(
      String sessionId, String targetId, String state, String lastError, Instant at)
      implements Event {}

  /**
   * The stream's outputs were ended after the session {@code sessionId}: its playlists say {@code
   * EXT-X-ENDLIST}. Until this is in the journal a restarted entity ends them itself.
   */
  public record OutputsEnded(String sessionId, Instant at) implements Event {}

  /** A recording began with the session {@code sessionId}; later sessions may continue it. */
  public record RecordingStarted(String recordingId, String sessionId, Instant at)
      implements Event {}

  /**
   * A session's health crossed a threshold (see {@link StreamAlert}); delivered to the alert
   * webhooks.
   */
  public record AlertRaised(
      String sessionId, String alert, String detail, double value, double threshold, Instant at)
      implements Event {}

  /**
   * The stream's own alert webhook URLs from now on (the alert webhooks projection reads them from
   * the stream's history); empty: none. The events API and Kafka show them without query or user
   * info.
   */
  public record AlertWebhooksSet(List<String> urls, Instant at) implements Event {}

  /**
   * A raised alert is over: the health is back within its threshold ({@code reason} {@value
   * #ALERT_RECOVERED}) or the session ended ({@value #ALERT_SESSION_ENDED}).
   */
  public record AlertCleared(String sessionId, String alert, String reason, Instant at)
      implements Event {}

  /**
   * The live session's HLS viewers, persisted about once a minute while they change and when the
   * session ends (analytics; not per join or leave).
   *
   * @param current viewers watching now (seen within the viewer timeout)
   * @param peak the most at once in the session
   * @param unique distinct viewers in the session
   * @param watchSeconds time watched in the session, all viewers together
   */
  public record ViewerStats(
      String sessionId, int current, int peak, int unique, long watchSeconds, Instant at)
      implements Event {}

  /**
   * The chat room's running totals since the stream was created: messages posted, messages deleted
   * by moderators, bans issued.
   */
  public record ChatStats(long messages, long deleted, long bans, Instant at) implements Event {}

  /** The live session's HLS viewers as the state API shows them (see {@link ViewerStats}). */
  public record ViewerView(int current, int peak, int unique, long watchTimeSeconds)
      implements CborSerializable {}

  public static final String ALERT_RECOVERED = "recovered";
  public static final String ALERT_SESSION_ENDED = "session ended";

  /** Part {@code part} of a recording is in the object store. */
  public record RecordingPartStored(
      String recordingId, int part, long durationMillis, long bytes, Instant at) implements Event {}

  /** The recording ended with the stream's outputs (or was switched off): all of it is stored. */
  public record RecordingCompleted(String recordingId, long durationMillis, Instant at)
      implements Event {}

  /** Its node stopped while recording: the parts stored before make the recording. */
  public record RecordingInterrupted(
      String recordingId, String reason, long durationMillis, Instant at) implements Event {}

  /** The store refused the recording's parts for too long; what is left is on the node's disk. */
  public record RecordingFailed(String recordingId, String reason, Instant at) implements Event {}

  /** The recording's objects were deleted (retention). */
  public record RecordingDeleted(String recordingId, Instant at) implements Event {}
}

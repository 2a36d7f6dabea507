package com.nrsgirls.streaming.pipeline.stream;

import com.nrsgirls.streaming.core.CborSerializable;
import com.nrsgirls.streaming.core.stream.AudioInfo;
import com.nrsgirls.streaming.core.stream.CreatorType;
import com.nrsgirls.streaming.core.stream.LiveStreamProtocol.SessionView;
import com.nrsgirls.streaming.core.stream.OutputSettings;
import com.nrsgirls.streaming.core.stream.RestreamTarget;
import com.nrsgirls.streaming.core.stream.StreamAlert;
import com.nrsgirls.streaming.core.stream.VideoInfo;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The persistent state of a {@code LiveStream} entity, rebuilt from its events. */
public sealed interface LiveStreamState extends CborSerializable {

  /** No {@code StreamCreated} yet: the id names no stream. */
  record Uncreated() implements LiveStreamState {}

  /**
   * A created stream (channel).
   *
   * @param current the live session, or null when idle
   * @param last the most recent ended session, or null
   * @param outputs the stream's output settings; null in state from before they existed
   * @param targets the stream's restream targets, their keys sealed; null in state from before
   * @param recordings the stream's recordings, oldest first; null in state from before
   */
  record Channel(
      String streamId,
      String creatorId,
      CreatorType creatorType,
      String title,
      Instant createdAt,
      String keyHash,
      Instant keyExpiresAt,
      boolean keyRevoked,
      Session current,
      Session last,
      OutputSettings outputs,
      List<RestreamTarget> targets,
      List<Recording> recordings)
      implements LiveStreamState {

    boolean live() {
      return current != null;
    }

    Channel withKey(String hash, Instant expiresAt, boolean revoked) {
      return new Channel(
          streamId,
          creatorId,
          creatorType,
          title,
          createdAt,
          hash,
          expiresAt,
          revoked,
          current,
          last,
          outputs,
          targets,
          recordings);
    }

    Channel withSessions(Session newCurrent, Session newLast) {
      return new Channel(
          streamId,
          creatorId,
          creatorType,
          title,
          createdAt,
          keyHash,
          keyExpiresAt,
          keyRevoked,
          newCurrent,
          newLast,
          outputs,
          targets,
          recordings);
    }

    Channel withOutputs(OutputSettings settings) {
      return new Channel(
          streamId,
          creatorId,
          creatorType,
          title,
          createdAt,
          keyHash,
          keyExpiresAt,
          keyRevoked,
          current,
          last,
          settings,
          targets,
          recordings);
    }

    /** Adds {@code target}, or replaces the one with its id, keeping the order they were added. */
    Channel withTarget(RestreamTarget target) {
      List<RestreamTarget> next = new ArrayList<>(restreamTargets());
      int i = indexOf(target.targetId());
      if (i >= 0) {
        next.set(i, target);
      } else {
        next.add(target);
      }
      return withTargets(next);
    }

    Channel withoutTarget(String targetId) {
      List<RestreamTarget> next = new ArrayList<>(restreamTargets());
      next.removeIf(t -> t.targetId().equals(targetId));
      return withTargets(next);
    }

    private Channel withTargets(List<RestreamTarget> next) {
      return new Channel(
          streamId,
          creatorId,
          creatorType,
          title,
          createdAt,
          keyHash,
          keyExpiresAt,
          keyRevoked,
          current,
          last,
          outputs,
          List.copyOf(next),
          recordings);
    }

    Channel withRecordings(List<Recording> next) {
      return new Channel(
          streamId,
          creatorId,
          creatorType,
          title,
          createdAt,
          keyHash,
          keyExpiresAt,
          keyRevoked,
          current,
          last,
          outputs,
          targets,
          List.copyOf(next));
    }

    /** The recordings, none for a stream that never had any. */
    List<Recording> recordingList() {
      return recordings == null ? List.of() : recordings;
    }

    /** The recording still being written (continued by the next session), or null. */
    Recording openRecording() {
      for (Recording r : recordingList()) {
        if (r.open()) {
          return r;
        }
      }
      return null;
    }

    /** The recordings with {@code id}'s replaced by {@code change} applied to it. */
    Channel withRecording(String id, java.util.function.UnaryOperator<Recording> change) {
      List<Recording> next = new ArrayList<>(recordingList());
      for (int i = 0; i < next.size(); i++) {
        if (next.get(i).recordingId().equals(id)) {
          next.set(i, change.apply(next.get(i)));
          return withRecordings(next);
        }
      }
      return this;
    }

    int indexOf(String targetId) {
      List<RestreamTarget> list = restreamTargets();
      for (int i = 0; i < list.size(); i++) {
        if (list.get(i).targetId().equals(targetId)) {
          return i;
        }
      }
      return -1;
    }

    /** The restream targets, none for a stream that never had any. */
    List<RestreamTarget> restreamTargets() {
      return targets == null ? List.of() : targets;
    }

    /** The output settings, the node's defaults for a stream that never set any. */
    OutputSettings outputSettings() {
      return OutputSettings.orDefaults(outputs);
    }
  }

  /**
   * One recording: the sessions of a stream from a first publish until its outputs end.
   *
   * @param status {@code recording}, {@code completed}, {@code interrupted} or {@code failed}
   * @param parts the highest part number stored
   */
  record Recording(
      String recordingId,
      String sessionId,
      Instant startedAt,
      Instant endedAt,
      String status,
      String reason,
      int parts,
      long durationMillis,
      long bytes) {
    static final String RECORDING = "recording";

    boolean open() {
      return RECORDING.equals(status);
    }

    Recording withPart(int part, long duration, long partBytes) {
      if (part <= parts) {
        return this;
      }
      return new Recording(
          recordingId,
          sessionId,
          startedAt,
          endedAt,
          status,
          reason,
          part,
          durationMillis + duration,
          bytes + partBytes);
    }

    Recording ended(String newStatus, String why, long duration, Instant at) {
      return new Recording(
          recordingId,
          sessionId,
          startedAt,
          at,
          newStatus,
          why,
          parts,
          Math.max(duration, durationMillis),
          bytes);
    }

    com.nrsgirls.streaming.core.stream.LiveStreamProtocol.RecordingView view() {
      return new com.nrsgirls.streaming.core.stream.LiveStreamProtocol.RecordingView(
          recordingId, sessionId, startedAt, endedAt, durationMillis, status, parts, bytes, reason);
    }
  }

  /**
   * One publish session, live or ended.
   *
   * @param outputsEnded whether the stream's outputs were ended after this session (its playlists
   *     say EXT-X-ENDLIST); false while it is live or within its reconnect grace
   * @param graphNode the node its graph ran on last, which wrote its playlists; null if unknown
   * @param alerts the alerts raised on it and not cleared, in the order raised; null in state from
   *     before alerts
   */
  record Session(
      String sessionId,
      String remoteAddress,
      String ingestNode,
      Instant startedAt,
      Instant endedAt,
      String endReason,
      VideoInfo video,
      AudioInfo audio,
      boolean outputsEnded,
      String graphNode,
      List<StreamAlert> alerts) {

    Session withMedia(VideoInfo v, AudioInfo a) {
      return copy(endedAt, endReason, v, a, outputsEnded, graphNode, alerts);
    }

    Session ended(String reason, Instant at) {
      return copy(at, reason, video, audio, false, graphNode, List.of());
    }

    Session withOutputsEnded() {
      return copy(endedAt, endReason, video, audio, true, graphNode, alerts);
    }

    Session movedTo(String node) {
      return copy(endedAt, endReason, video, audio, outputsEnded, node, alerts);
    }

    /** The raised alerts by name, in the order raised. */
    Map<String, StreamAlert> alertMap() {
      Map<String, StreamAlert> map = new LinkedHashMap<>();
      if (alerts != null) {
        for (StreamAlert a : alerts) {
          map.put(a.alert(), a);
        }
      }
      return map;
    }

    Session withAlert(StreamAlert alert) {
      Map<String, StreamAlert> map = alertMap();
      map.put(alert.alert(), alert);
      return copy(
          endedAt, endReason, video, audio, outputsEnded, graphNode, List.copyOf(map.values()));
    }

    Session withoutAlert(String alert) {
      Map<String, StreamAlert> map = alertMap();
      map.remove(alert);
      return copy(
          endedAt, endReason, video, audio, outputsEnded, graphNode, List.copyOf(map.values()));
    }

    private Session copy(
        Instant ended,
        String reason,
        VideoInfo v,
        AudioInfo a,
        boolean outputs,
        String node,
        List<StreamAlert> raised) {
      return new Session(
          sessionId,
          remoteAddress,
          ingestNode,
          startedAt,
          ended,
          reason,
          v,
          a,
          outputs,
          node,
          raised);
    }

    SessionView view() {
      return new SessionView(sessionId, startedAt, endedAt, endReason, remoteAddress, ingestNode);
    }
  }
}

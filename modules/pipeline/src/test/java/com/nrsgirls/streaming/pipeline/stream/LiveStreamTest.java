package com.nrsgirls.streaming.pipeline.stream;

import static com.nrsgirls.streaming.core.stream.LiveStreamProtocol.*;
import static org.junit.jupiter.api.Assertions.*;

import com.nrsgirls.streaming.core.stream.CreatorType;
import com.nrsgirls.streaming.core.stream.HealthStats;
import com.nrsgirls.streaming.core.stream.OutputSettings;
import com.nrsgirls.streaming.core.stream.OutputStatus;
import com.nrsgirls.streaming.core.stream.PublishRejection;
import com.nrsgirls.streaming.core.stream.RestreamTarget;
import com.nrsgirls.streaming.core.stream.StreamKey;
import com.nrsgirls.streaming.pipeline.graph.SessionGraph;
import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.persistence.testkit.PersistenceTestKitPlugin;
import org.apache.pekko.persistence.testkit.PersistenceTestKitSnapshotPlugin;
import org.apache.pekko.persistence.testkit.javadsl.PersistenceTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The entity against the in-memory persistence testkit, with every message serialized as it would
 * be between nodes (so commands, replies, events and state must all serialize).
 */
class LiveStreamTest {
  private static final ActorTestKit testKit =
      ActorTestKit.create(
          ConfigFactory.parseString(
                  "pekko.actor.serialize-messages = on\n"
                      + "pekko.actor.no-serialization-verification-needed-class-prefix ="
                      + " [\"org.apache.pekko.\"]")
              .withFallback(PersistenceTestKitPlugin.getInstance().config())
              .withFallback(PersistenceTestKitSnapshotPlugin.config())
              .withFallback(ConfigFactory.load())
              .resolve());
  private static final AtomicInteger ids = new AtomicInteger();

  private final PersistenceTestKit journal = PersistenceTestKit.create(testKit.system());
  private final MutableClock clock = new MutableClock(Instant.parse("2026-11-25T12:00:00Z"));
  private FakeGraphs graphs;
  private LiveStream.Dependencies deps;
  private String streamId;

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  @BeforeEach
  void setUp() {
    journal.clearAll();
    graphs = new FakeGraphs(testKit.system());
    deps =
        new LiveStream.Dependencies(
            graphs,
            new LiveStreamSettings(
                Duration.ofDays(90),
                Duration.ofSeconds(3),
                Duration.ofMillis(300),
                100,
                Duration.ofMinutes(10)),
            clock,
            () -> "127.0.0.1:25520");
    streamId = "teststream" + ids.incrementAndGet();
  }

  private ActorRef<Command> spawn() {
    return testKit.spawn(LiveStream.create(streamId, deps));
  }

  private Created create(ActorRef<Command> entity) {
    TestProbe<OperatorReply> probe = testKit.createTestProbe();
    entity.tell(new Create("dj-42", CreatorType.DJ, "Friday set", probe.getRef()));
    return probe.expectMessageClass(Created.class);
  }

  private PublishReply publish(ActorRef<Command> entity, StreamKey key, String sessionId) {
    TestProbe<PublishReply> probe = testKit.createTestProbe();
    entity.tell(publishCommand(key, sessionId, probe.getRef()));
    return probe.receiveMessage(Duration.ofSeconds(5));
  }

  private static Publish publishCommand(
      StreamKey key, String sessionId, ActorRef<PublishReply> replyTo) {
    return new Publish(
        new Key(key), new PublishSession(sessionId, "10.0.0.7:50000", "127.0.0.1:25520"), replyTo);
  }

  private StreamView state(ActorRef<Command> entity) {
    TestProbe<OperatorReply> probe = testKit.createTestProbe();
    entity.tell(new GetState(probe.getRef()));
    return probe.expectMessageClass(StateView.class).stream();
  }

  @Test
  void createIssuesAKeyThatOnlyItsHashIsStoredFor() {
    ActorRef<Command> entity = spawn();
    Created created = create(entity);
    assertEquals(streamId, created.streamId());
    assertEquals(streamId, created.streamKey().value().streamId());
    assertEquals(clock.instant().plus(Duration.ofDays(90)), created.keyExpiresAt());
    StreamCreated event =
        (StreamCreated) journal.persistedInStorage("LiveStream|" + streamId).get(0);
    assertEquals(created.streamKey().value().hash(), event.keyHash());
    assertFalse(event.toString().contains(created.streamKey().value().reveal()));

    TestProbe<OperatorReply> probe = testKit.createTestProbe();
    entity.tell(new Create("dj-42", CreatorType.DJ, "again", probe.getRef()));
    probe.expectMessageClass(Conflict.class);
    assertEquals("idle", state(entity).status());
  }

  @Test
  void unknownStreamRefusesPublishAndAnswersNotFound() {
    ActorRef<Command> entity = spawn();
    StreamKey key = StreamKey.generate(streamId, new java.security.SecureRandom());
    assertEquals(new PublishRejected(PublishRejection.UNKNOWN_STREAM), publish(entity, key, "s1"));
    TestProbe<OperatorReply> probe = testKit.createTestProbe();
    entity.tell(new GetState(probe.getRef()));
    probe.expectMessage(new NotFound(streamId));
    assertTrue(graphs.started.isEmpty());
  }

  @Test
  void rightKeyGoesLiveAndWrongRevokedOrExpiredKeysAreRefused() {
    ActorRef<Command> entity = spawn();
    StreamKey key = create(entity).streamKey().value();
    StreamKey wrong = StreamKey.generate(streamId, new java.security.SecureRandom());

    assertEquals(new PublishRejected(PublishRejection.WRONG_KEY), publish(entity, wrong, "s0"));
    assertInstanceOf(PublishAccepted.class, publish(entity, key, "s1"));
    StreamView live = state(entity);
    assertEquals("live", live.status());
    assertEquals("s1", live.session().sessionId());
    assertEquals("10.0.0.7:50000", live.session().remoteAddress());

    graphs.last().finish("publisher disconnected");
    expectEvents(StreamCreated.class, PublishStarted.class, PublishEnded.class);
    assertEquals("idle", state(entity).status());
    assertEquals("publisher disconnected", state(entity).lastSession().endReason());

    clock.advance(Duration.ofDays(91));
    assertEquals(new PublishRejected(PublishRejection.KEY_EXPIRED), publish(entity, key, "s2"));

    TestProbe<OperatorReply> probe = testKit.createTestProbe();
    entity.tell(new RotateKey(probe.getRef()));
    StreamKey rotated = probe.expectMessageClass(KeyIssued.class).streamKey().value();
    assertEquals(new PublishRejected(PublishRejection.WRONG_KEY), publish(entity, key, "s3"));

    entity.tell(new RevokeKey(probe.getRef()));
    probe.expectMessageClass(Accepted.class);
    assertEquals(new PublishRejected(PublishRejection.KEY_REVOKED), publish(entity, rotated, "s4"));
    assertTrue(state(entity).keyRevoked());
    assertEquals(1, graphs.started.size());
  }

  @Test
  void outputSettingsArePersistedHandedToTheLiveGraphAndToTheNextSession() {
    ActorRef<Command> entity = spawn();
    StreamKey key = create(entity).streamKey().value();
    assertEquals(OutputSettings.NODE_DEFAULTS, state(entity).outputs());
    assertInstanceOf(PublishAccepted.class, publish(entity, key, "s1"));
    assertEquals(OutputSettings.NODE_DEFAULTS, graphs.startedWith.get(0));

    OutputSettings noAbr = new OutputSettings(false, null);
    TestProbe<OperatorReply> probe = testKit.createTestProbe();
    entity.tell(new SetOutputs(noAbr, probe.getRef()));
    assertEquals(noAbr, probe.expectMessageClass(StateView.class).stream().outputs());
    assertEquals(List.of(noAbr), graphs.last().changes);
    // the same settings again: nothing to record, nothing to change
    entity.tell(new SetOutputs(noAbr, probe.getRef()));
    probe.expectMessageClass(StateView.class);
    assertEquals(List.of(noAbr), graphs.last().changes);

    graphs.last().finish("publisher disconnected");
    expectEvents(
        StreamCreated.class, PublishStarted.class, OutputsChanged.class, PublishEnded.class);
    assertInstanceOf(PublishAccepted.class, publish(entity, key, "s2"));
    assertEquals(noAbr, graphs.startedWith.get(1));
    assertEquals(noAbr, state(entity).outputs());
  }

  @Test
  void restreamTargetsArePersistedHandedToTheGraphAndShownWithoutTheirKeys() {
    ActorRef<Command> entity = spawn();
    StreamKey key = create(entity).streamKey().value();
    TestProbe<OperatorReply> probe = testKit.createTestProbe();
    RestreamTarget yt =
        new RestreamTarget("yt", "youtube", "rtmp://a.rtmp.youtube.com/live2", "v1:sealed", true);
    entity.tell(new PutRestreamTarget(yt, false, probe.getRef()));
    StreamView view = probe.expectMessageClass(StateView.class).stream();
    assertEquals(1, view.restreamTargets().size());
    RestreamTargetView shown = view.restreamTargets().get(0);
    assertEquals("idle", shown.state());
    assertEquals("rtmp://a.rtmp.youtube.com/live2", shown.url());

    assertInstanceOf(PublishAccepted.class, publish(entity, key, "s1"));
    assertEquals(List.of(yt), graphs.startedWithTargets.get(0));
    // a change without a key keeps the sealed one
    RestreamTarget disabled =
        new RestreamTarget("yt", "youtube", "rtmp://a.rtmp.youtube.com/live2", "kept", false);
    entity.tell(new PutRestreamTarget(disabled, true, probe.getRef()));
    assertFalse(
        probe.expectMessageClass(StateView.class).stream().restreamTargets().get(0).enabled());
    RestreamTarget kept =
        new RestreamTarget("yt", "youtube", "rtmp://a.rtmp.youtube.com/live2", "v1:sealed", false);
    assertEquals(List.of(List.of(kept)), graphs.last().targetChanges);
    // keeping the key of a target that does not exist
    entity.tell(
        new PutRestreamTarget(
            new RestreamTarget("tw", "twitch", "rtmp://live.twitch.tv/app", "kept", true),
            true,
            probe.getRef()));
    probe.expectMessageClass(TargetNotFound.class);
    entity.tell(new RemoveRestreamTarget("tw", probe.getRef()));
    probe.expectMessageClass(TargetNotFound.class);
    entity.tell(new RemoveRestreamTarget("yt", probe.getRef()));
    assertEquals(List.of(), probe.expectMessageClass(StateView.class).stream().restreamTargets());
    assertEquals(List.of(List.of(kept), List.of()), graphs.last().targetChanges);
    expectEvents(
        StreamCreated.class,
        RestreamTargetSet.class,
        PublishStarted.class,
        RestreamTargetSet.class,
        RestreamTargetRemoved.class);

    // replayed after a restart
    entity.tell(new PutRestreamTarget(yt, false, probe.getRef()));
    probe.expectMessageClass(StateView.class);
    testKit.stop(entity);
    assertEquals(
        List.of("yt"),
        state(spawn()).restreamTargets().stream().map(RestreamTargetView::targetId).toList());
  }

  @Test
  void aTargetsStatusSaysWhenTheSourcesBitRateIsAboveItsPlatformsLimit() {
    ActorRef<Command> entity = spawn();
    StreamKey key = create(entity).streamKey().value();
    TestProbe<OperatorReply> probe = testKit.createTestProbe();
    entity.tell(
        new PutRestreamTarget(
            new RestreamTarget("yt", "youtube", "rtmp://a.rtmp.youtube.com/live2", "v1:k", true),
            false,
            probe.getRef()));
    probe.expectMessageClass(StateView.class);
    publish(entity, key, "s1");
    OutputStatus pushing =
        new OutputStatus(
            "restream-yt", OutputStatus.LIVE, 0, 0, Instant.EPOCH, null, 1000, "source", null);
    for (long kbps : new long[] {5000, 9000}) {
      entity.tell(
          new SessionHealth(
              "s1",
              new HealthStats(
                  kbps,
                  kbps - 128,
                  128,
                  30,
                  2000,
                  0,
                  0,
                  0,
                  -1,
                  1,
                  1,
                  1,
                  java.util.Map.of(),
                  List.of(),
                  List.of(pushing),
                  Instant.EPOCH)));
      RestreamTargetView yt = state(entity).restreamTargets().get(0);
      assertEquals("live", yt.state());
      if (kbps == 5000) {
        assertNull(yt.detail(), "within YouTube's 6000 kbit/s");
      } else {
        assertTrue(yt.detail().contains("9000 kbit/s is above youtube's 6000 kbit/s"), yt.detail());
      }
    }
  }

  @Test
  void aStreamHasAtMostTenRestreamTargets() {
    ActorRef<Command> entity = spawn();
    create(entity);
    TestProbe<OperatorReply> probe = testKit.createTestProbe();
    for (int i = 0; i < RestreamTarget.MAX_PER_STREAM; i++) {
      entity.tell(
          new PutRestreamTarget(
              new RestreamTarget("t" + i, "custom", "rtmp://h/app", "v1:k", true),
              false,
              probe.getRef()));
      probe.expectMessageClass(StateView.class);
    }
    entity.tell(
        new PutRestreamTarget(
            new RestreamTarget("one-more", "custom", "rtmp://h/app", "v1:k", true),
            false,
            probe.getRef()));
    probe.expectMessageClass(Conflict.class);
  }

  @Test
  void aSecondPublishTakesOverAfterTheOldGraphClosed() {
    ActorRef<Command> entity = spawn();
    StreamKey key = create(entity).streamKey().value();
    assertInstanceOf(PublishAccepted.class, publish(entity, key, "s1"));
    FakeGraphs.FakeGraph first = graphs.last();

    assertInstanceOf(PublishAccepted.class, publish(entity, key, "s2"));
    assertEquals("taken over by a new publish", first.stopReason);
    assertTrue(first.completion.isDone());
    assertEquals(2, graphs.started.size());
    assertEquals("s2", state(entity).session().sessionId());
    List<Object> events = journal.persistedInStorage("LiveStream|" + streamId);
    PublishEnded ended = (PublishEnded) events.get(2);
    assertEquals("s1", ended.sessionId());
    assertEquals("s2", ((PublishStarted) events.get(3)).sessionId());
  }

  @Test
  void theNewestOfSeveralReconnectsWinsAndTheOthersAreRefused() {
    ActorRef<Command> entity = spawn();
    StreamKey key = create(entity).streamKey().value();
    graphs.slowToStop = true;
    assertInstanceOf(PublishAccepted.class, publish(entity, key, "s1"));
    FakeGraphs.FakeGraph first = graphs.last();

    TestProbe<PublishReply> second = testKit.createTestProbe();
    TestProbe<PublishReply> third = testKit.createTestProbe();
    entity.tell(publishCommand(key, "s2", second.getRef()));
    entity.tell(publishCommand(key, "s3", third.getRef()));
    second.expectMessage(new PublishRejected(PublishRejection.UNAVAILABLE));
    third.expectNoMessage(Duration.ofMillis(200));

    first.finish("taken over by a new publish");
    assertInstanceOf(PublishAccepted.class, third.receiveMessage(Duration.ofSeconds(5)));
    assertEquals("s3", state(entity).session().sessionId());
    assertEquals(2, graphs.started.size());

    // and the stream is not stuck: a later reconnect takes over again
    TestProbe<PublishReply> fourth = testKit.createTestProbe();
    entity.tell(publishCommand(key, "s4", fourth.getRef()));
    graphs.last().finish("taken over by a new publish");
    assertInstanceOf(PublishAccepted.class, fourth.receiveMessage(Duration.ofSeconds(5)));
  }

  @Test
  void revokingTheKeyTakesThePublisherOffTheAir() throws Exception {
    ActorRef<Command> entity = spawn();
    StreamKey key = create(entity).streamKey().value();
    publish(entity, key, "s1");
    TestProbe<OperatorReply> probe = testKit.createTestProbe();
    entity.tell(new RevokeKey(probe.getRef()));
    probe.expectMessageClass(Accepted.class);
    assertEquals("key revoked", graphs.last().stopReason);
    expectEvents(StreamCreated.class, PublishStarted.class, KeyRevoked.class, PublishEnded.class);
    assertEquals(streamId, graphs.outputsEnded.poll(3, java.util.concurrent.TimeUnit.SECONDS));
    assertEquals(new PublishRejected(PublishRejection.KEY_REVOKED), publish(entity, key, "s2"));
  }

  @Test
  void stopClosesTheGraphAndEndsTheSession() throws Exception {
    ActorRef<Command> entity = spawn();
    StreamKey key = create(entity).streamKey().value();
    publish(entity, key, "s1");
    TestProbe<OperatorReply> probe = testKit.createTestProbe();
    entity.tell(new Stop(probe.getRef()));
    probe.expectMessageClass(Accepted.class);
    assertEquals("stopped by operator", graphs.last().stopReason);
    expectEvents(StreamCreated.class, PublishStarted.class, PublishEnded.class);
    assertEquals("stopped by operator", state(entity).lastSession().endReason());
    assertEquals(streamId, graphs.outputsEnded.poll(3, java.util.concurrent.TimeUnit.SECONDS));
  }

  @Test
  void outputsEndOnlyWhenADroppedPublisherDoesNotComeBack() throws Exception {
    ActorRef<Command> entity = spawn();
    StreamKey key = create(entity).streamKey().value();
    publish(entity, key, "s1");
    graphs.last().finish("publisher disconnected");
    expectEvents(StreamCreated.class, PublishStarted.class, PublishEnded.class);
    // back within the grace: the playlist stays live
    assertInstanceOf(PublishAccepted.class, publish(entity, key, "s2"));
    graphs.last().finish("publisher disconnected");
    expectEvents(PublishStarted.class, PublishEnded.class);
    // gone for good: once the grace is over the outputs are ended
    assertEquals(streamId, graphs.outputsEnded.poll(5, java.util.concurrent.TimeUnit.SECONDS));
    assertNull(graphs.outputsEnded.poll(500, java.util.concurrent.TimeUnit.MILLISECONDS));
  }

  @Test
  void restartRecoversStateAndEndsTheOrphanedSession() {
    ActorRef<Command> entity = spawn();
    Created created = create(entity);
    publish(entity, created.streamKey().value(), "s1");
    testKit.stop(entity);

    ActorRef<Command> again = spawn();
    expectEvents(StreamCreated.class, PublishStarted.class, PublishEnded.class);
    StreamView view = state(again);
    assertEquals("Friday set", view.title());
    assertEquals("idle", view.status());
    assertEquals("s1", view.lastSession().sessionId());
    assertEquals("node restarted or stream moved", view.lastSession().endReason());
    assertInstanceOf(PublishAccepted.class, publish(again, created.streamKey().value(), "s2"));
  }

  @Test
  void revokingARevokedKeyRecordsNothing() {
    ActorRef<Command> entity = spawn();
    create(entity);
    TestProbe<OperatorReply> probe = testKit.createTestProbe();
    entity.tell(new RevokeKey(probe.getRef()));
    probe.expectMessageClass(Accepted.class);
    entity.tell(new RevokeKey(probe.getRef()));
    probe.expectMessageClass(Accepted.class);
    expectEvents(StreamCreated.class, KeyRevoked.class);
    journal.expectNothingPersisted("LiveStream|" + streamId);
  }

  @Test
  void aRestartEndsOutputsLeftOpenOnceTheirReconnectGraceIsOver() throws Exception {
    // a grace long enough that the first incarnation is surely stopped before it is over
    deps =
        new LiveStream.Dependencies(
            graphs,
            new LiveStreamSettings(
                Duration.ofDays(90),
                Duration.ofSeconds(3),
                Duration.ofSeconds(5),
                100,
                Duration.ofMinutes(10)),
            clock,
            () -> "127.0.0.1:25520");
    ActorRef<Command> entity = spawn();
    StreamKey key = create(entity).streamKey().value();
    publish(entity, key, "s1");
    graphs.last().finish("publisher disconnected");
    expectEvents(StreamCreated.class, PublishStarted.class, PublishEnded.class);
    testKit.stop(entity); // the node dies within the reconnect grace

    // The grace counts from the session's end, on the entity's clock: 300 ms are left.
    clock.advance(Duration.ofMillis(4700));
    ActorRef<Command> again = spawn();
    assertNull(graphs.outputsEnded.poll(100, java.util.concurrent.TimeUnit.MILLISECONDS));
    assertEquals(streamId, graphs.outputsEnded.poll(3, java.util.concurrent.TimeUnit.SECONDS));
    expectEvents(OutputsEnded.class);
    testKit.stop(again);

    // recorded: a later incarnation has nothing left to end
    spawn();
    assertNull(graphs.outputsEnded.poll(500, java.util.concurrent.TimeUnit.MILLISECONDS));
  }

  @Test
  void aStoppedStreamRecordsThatItsOutputsEnded() throws Exception {
    ActorRef<Command> entity = spawn();
    StreamKey key = create(entity).streamKey().value();
    publish(entity, key, "s1");
    TestProbe<OperatorReply> probe = testKit.createTestProbe();
    entity.tell(new Stop(probe.getRef()));
    probe.expectMessageClass(Accepted.class);
    expectEvents(StreamCreated.class, PublishStarted.class, PublishEnded.class, OutputsEnded.class);
    assertEquals(
        "s1",
        ((OutputsEnded) journal.persistedInStorage("LiveStream|" + streamId).get(3)).sessionId());
  }

  @Test
  void passivatesItselfOnlyWhenIdleAndNotLive() throws Exception {
    TestProbe<ClusterSharding.ShardCommand> shard = testKit.createTestProbe();
    LiveStream.Dependencies quick =
        new LiveStream.Dependencies(
            graphs,
            new LiveStreamSettings(
                Duration.ofDays(90),
                Duration.ofSeconds(3),
                Duration.ofMillis(600),
                100,
                Duration.ofMillis(200)),
            clock,
            () -> "127.0.0.1:25520");
    ActorRef<Command> entity = testKit.spawn(LiveStream.create(streamId, quick, shard.getRef()));
    StreamKey key = create(entity).streamKey().value();
    publish(entity, key, "s1");
    // live: no passivation however long nobody asks anything
    shard.expectNoMessage(Duration.ofMillis(700));
    graphs.last().finish("publisher disconnected");
    // not before the reconnect grace is over and the outputs are ended
    shard.expectNoMessage(Duration.ofMillis(400));
    assertEquals(streamId, graphs.outputsEnded.poll(3, java.util.concurrent.TimeUnit.SECONDS));
    ClusterSharding.Passivate<?> passivate =
        (ClusterSharding.Passivate<?>)
            shard.expectMessageClass(ClusterSharding.Passivate.class, Duration.ofSeconds(3));
    assertEquals(entity, passivate.entity());
  }

  @Test
  void mediaDetectedIsPersistedOncePerChange() {
    ActorRef<Command> entity = spawn();
    StreamKey key = create(entity).streamKey().value();
    publish(entity, key, "s1");
    var video = new com.nrsgirls.streaming.core.stream.VideoInfo("h264", "avc1.64001f", 1280, 720);
    entity.tell(new SessionMediaDetected("s1", video, null));
    entity.tell(new SessionMediaDetected("s1", video, null));
    entity.tell(new SessionMediaDetected("other", video, null));
    assertEquals(1280, state(entity).video().width());
    expectEvents(StreamCreated.class, PublishStarted.class, MediaDetected.class);
    journal.expectNothingPersisted("LiveStream|" + streamId);
  }

  /** Awaits the stream's events, in order, from the first one not yet awaited. */
  private void expectEvents(Class<?>... types) {
    for (Class<?> type : types) {
      journal.expectNextPersistedClass("LiveStream|" + streamId, type);
    }
  }

  private LiveStream.Dependencies recording(Duration retention) {
    return new LiveStream.Dependencies(
        graphs,
        new LiveStreamSettings(
            Duration.ofDays(90),
            Duration.ofSeconds(3),
            Duration.ofSeconds(5),
            100,
            Duration.ofMinutes(10),
            true,
            retention,
            Duration.ofMillis(300)),
        clock,
        () -> "127.0.0.1:25520");
  }

  private List<RecordingView> recordings(ActorRef<Command> entity) {
    TestProbe<OperatorReply> probe = testKit.createTestProbe();
    entity.tell(new GetRecordings(probe.getRef()));
    return probe.expectMessageClass(Recordings.class).recordings();
  }

  @Test
  void aRecordingSpansAReconnectAndEndsWithTheOutputs() throws Exception {
    deps = recording(Duration.ZERO);
    ActorRef<Command> entity = spawn();
    StreamKey key = create(entity).streamKey().value();
    publish(entity, key, "s1");
    String id = graphs.startedWithRecording.get(0);
    assertTrue(id.startsWith("rec_"), id);
    graphs.last().finish("publisher disconnected");
    publish(entity, key, "s2"); // within the grace: the same recording goes on
    assertEquals(id, graphs.startedWithRecording.get(1));
    expectEvents(
        StreamCreated.class,
        PublishStarted.class,
        RecordingStarted.class,
        PublishEnded.class,
        PublishStarted.class);
    entity.tell(new RecordingPartUploaded(id, 1, 10_000, 1_000));
    entity.tell(new RecordingPartUploaded(id, 1, 10_000, 1_000)); // twice: recorded once
    expectEvents(RecordingPartStored.class);
    assertEquals("recording", recordings(entity).get(0).status());

    TestProbe<OperatorReply> probe = testKit.createTestProbe();
    entity.tell(new Stop(probe.getRef()));
    probe.expectMessageClass(Accepted.class);
    assertEquals(id, graphs.recordingsEnded.poll(3, java.util.concurrent.TimeUnit.SECONDS));
    expectEvents(PublishEnded.class, OutputsEnded.class);
    entity.tell(new RecordingFinished(id, "completed", null, 10_500));
    expectEvents(RecordingCompleted.class);
    RecordingView done = recordings(entity).get(0);
    assertEquals("completed", done.status());
    assertEquals(1, done.parts());
    assertEquals(10_500, done.durationMillis());
    assertEquals(id, state(entity).recording().recordingId());

    // the next publish, after the outputs ended, is a new recording
    publish(entity, key, "s3");
    assertNotEquals(id, graphs.startedWithRecording.get(2));
    assertEquals(2, recordings(entity).size());
  }

  /**
   * The entity's node died (or left) with the session live; ingest, whose publisher is on another
   * node, hands the same session to the entity's next incarnation, on another node: it goes on
   * without a new session, and its segments are numbered above anything the old node listed.
   */
  @Test
  void aLiveSessionIsResumedByItsIngestOnTheStreamsNextNode() throws Exception {
    ActorRef<Command> entity = spawn();
    StreamKey key = create(entity).streamKey().value();
    publish(entity, key, "s1");
    expectEvents(StreamCreated.class, PublishStarted.class);
    assertEquals(0L, graphs.startedWithFloor.get(0));
    testKit.stop(entity);

    deps =
        new LiveStream.Dependencies(
            graphs, deps.settings(), clock, () -> "127.0.0.1:25521", () -> "http://127.0.0.1:8081");
    ActorRef<Command> again = spawn();
    assertInstanceOf(PublishAccepted.class, publish(again, key, "s1"));
    SessionMoved moved =
        journal.expectNextPersistedClass("LiveStream|" + streamId, SessionMoved.class);
    assertEquals("127.0.0.1:25521", moved.graphNode());
    assertEquals(
        clock.millis() / 500, graphs.startedWithFloor.get(1), "numbered above the old node");
    StreamView view = state(again);
    assertEquals("live", view.status());
    assertEquals("s1", view.session().sessionId());
    assertEquals("http://127.0.0.1:8081", view.ownerHttpUrl());

    // a resume of a session that has ended is refused; a new session here numbers on as usual
    TestProbe<OperatorReply> probe = testKit.createTestProbe();
    again.tell(new Stop(probe.getRef()));
    probe.expectMessageClass(Accepted.class);
    PublishReply late = publish(again, key, "s1");
    assertEquals(PublishRejection.UNAVAILABLE, ((PublishRejected) late).reason());
    publish(again, key, "s2");
    assertEquals(0L, graphs.startedWithFloor.get(graphs.startedWithFloor.size() - 1));
  }

  /**
   * Ingest's attach to the session's graph was lost (the graph ends, never attached to): the
   * session is not ended but kept for ingest, which resumes it on a new graph; when ingest does not
   * come back it is ended after the moved-session grace.
   */
  @Test
  void aGraphIngestNeverAttachedToIsResumedOnANewOne() throws Exception {
    deps =
        new LiveStream.Dependencies(
            graphs,
            new LiveStreamSettings(
                Duration.ofDays(90),
                Duration.ofSeconds(3),
                Duration.ofSeconds(3),
                100,
                Duration.ofMinutes(10),
                false,
                Duration.ZERO,
                Duration.ofMillis(500)),
            clock,
            () -> "127.0.0.1:25520");
    ActorRef<Command> entity = spawn();
    StreamKey key = create(entity).streamKey().value();
    publish(entity, key, "s1");
    graphs.last().finish(SessionGraph.INGEST_NEVER_ATTACHED);
    assertInstanceOf(PublishAccepted.class, publish(entity, key, "s1"), "ingest attaches again");
    expectEvents(StreamCreated.class, PublishStarted.class, SessionMoved.class);
    assertEquals(2, graphs.started.size(), "a new graph");
    assertEquals("live", state(entity).status());
    assertEquals("s1", state(entity).session().sessionId());

    graphs.last().finish(SessionGraph.INGEST_NEVER_ATTACHED);
    PublishEnded ended =
        journal.expectNextPersistedClass("LiveStream|" + streamId, PublishEnded.class);
    assertEquals("node restarted or stream moved", ended.reason(), "nobody came back");
  }

  /**
   * Its publisher's node stopped while the cluster goes on: the publisher reconnects elsewhere, so
   * the outputs wait for the reconnect grace instead of ending at once as a lone node's do.
   */
  @Test
  void aNodeLeavingTheClusterLeavesItsPublishersTheReconnectGrace() throws Exception {
    deps =
        new LiveStream.Dependencies(
            graphs, deps.settings(), clock, () -> "127.0.0.1:25520", () -> null, () -> true);
    ActorRef<Command> entity = spawn();
    StreamKey key = create(entity).streamKey().value();
    publish(entity, key, "s1");
    entity.tell(new SessionEnded("s1", SessionGraph.NODE_SHUT_DOWN));
    expectEvents(StreamCreated.class, PublishStarted.class);
    PublishEnded ended =
        journal.expectNextPersistedClass("LiveStream|" + streamId, PublishEnded.class);
    assertEquals(LiveStream.NODE_LEFT, ended.reason());
    assertNull(
        graphs.outputsEnded.poll(100, java.util.concurrent.TimeUnit.MILLISECONDS), "not at once");
    assertEquals(
        streamId,
        graphs.outputsEnded.poll(3, java.util.concurrent.TimeUnit.SECONDS),
        "after the grace");
  }

  @Test
  void aRestartedEntityEndsTheRecordingItsNodeLeftOpen() throws Exception {
    deps = recording(Duration.ZERO);
    ActorRef<Command> entity = spawn();
    StreamKey key = create(entity).streamKey().value();
    publish(entity, key, "s1");
    String id = graphs.startedWithRecording.get(0);
    testKit.stop(entity); // the node dies while recording
    ActorRef<Command> again = spawn();
    assertEquals(id, graphs.recordingsEnded.poll(3, java.util.concurrent.TimeUnit.SECONDS));
    again.tell(new RecordingFinished(id, "interrupted", "its node stopped while recording", 4_000));
    assertEquals("interrupted", recordings(again).get(0).status());
    assertEquals("its node stopped while recording", recordings(again).get(0).reason());
  }

  @Test
  void recordingsPastTheirRetentionAreDeleted() throws Exception {
    deps = recording(Duration.ofDays(7));
    ActorRef<Command> entity = spawn();
    StreamKey key = create(entity).streamKey().value();
    publish(entity, key, "s1");
    String id = graphs.startedWithRecording.get(0);
    TestProbe<OperatorReply> probe = testKit.createTestProbe();
    entity.tell(new Stop(probe.getRef()));
    probe.expectMessageClass(Accepted.class);
    entity.tell(new RecordingFinished(id, "completed", null, 1_000));
    assertEquals(1, recordings(entity).size());
    clock.advance(Duration.ofDays(8));
    assertEquals(List.of(), recordings(entity), "past its retention it is not listed");
    entity.tell(new ApplyRetention());
    boolean deleted = false;
    for (int i = 0; i < 60 && !deleted; i++) {
      Thread.sleep(50); // poll interval of a probe
      for (Object e : journal.persistedInStorage("LiveStream|" + streamId)) {
        deleted |= e instanceof RecordingDeleted d && d.recordingId().equals(id);
      }
    }
    assertTrue(deleted, "RecordingDeleted persisted");
  }

  @Test
  void recordingSwitchedOffIsNotStarted() {
    deps = recording(Duration.ZERO);
    ActorRef<Command> entity = spawn();
    StreamKey key = create(entity).streamKey().value();
    TestProbe<OperatorReply> probe = testKit.createTestProbe();
    entity.tell(
        new SetOutputs(
            new com.nrsgirls.streaming.core.stream.OutputSettings(null, null, false, null),
            probe.getRef()));
    probe.expectMessageClass(StateView.class);
    publish(entity, key, "s1");
    assertEquals("", graphs.startedWithRecording.get(0));
    assertEquals(List.of(), recordings(entity));
  }
}

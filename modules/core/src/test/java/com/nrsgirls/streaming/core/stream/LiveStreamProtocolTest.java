package com.nrsgirls.streaming.core.stream;

import static com.nrsgirls.streaming.core.stream.LiveStreamProtocol.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nrsgirls.streaming.core.media.MediaPacket;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.Serializer;
import org.apache.pekko.serialization.Serializers;
import org.apache.pekko.serialization.jackson.JacksonCborSerializer;
import org.apache.pekko.stream.SinkRef;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.StreamRefs;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The LiveStream protocol through the Jackson CBOR serializer that core's reference.conf binds to
 * {@code CborSerializable}: what crosses nodes and what the journal stores must come back equal.
 */
@ExtendWith(LogCapturingExtension.class)
class LiveStreamProtocolTest {
  private static final ActorTestKit testKit = ActorTestKit.create();
  private static final Serialization serialization =
      SerializationExtension.get(testKit.system().classicSystem());
  private static final TestProbe<PublishReply> publisher = testKit.createTestProbe();
  private static final TestProbe<OperatorReply> operator = testKit.createTestProbe();

  private static final String STREAM_ID = "abc123def456";
  private static final StreamKey KEY = StreamKey.generate(STREAM_ID, new SecureRandom());
  private static final Instant T0 = Instant.parse("2026-11-25T12:00:00.123456789Z");
  private static final Instant T1 = Instant.parse("2026-11-25T12:05:00Z");

  private static final VideoInfo VIDEO = new VideoInfo("h264", "avc1.64001f", 1280, 720);
  private static final AudioInfo AUDIO = new AudioInfo("aac", "mp4a.40.2", 48000, 2);
  private static final HealthStats HEALTH =
      new HealthStats(
          4500,
          4372,
          128,
          29.97,
          8333,
          -21,
          40,
          310,
          850,
          1_234_567_890_123L,
          900,
          1400,
          Map.of("hls", 3L),
          List.of(HealthStats.keyframeIntervalWarning(8333, 4000).orElseThrow()),
          List.of(
              new OutputStatus("hls-source", OutputStatus.LIVE, 0, 0),
              new OutputStatus("abr", OutputStatus.RETRYING, 2, 310)),
          T1);
  private static final PublishSession SESSION =
      new PublishSession("s-1", "203.0.113.7:50123", "node-a");
  private static final SessionView SESSION_VIEW =
      new SessionView("s-1", T0, null, null, "203.0.113.7:50123", "node-a");

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  @Test
  void publishCarriesTheWholeKeyAndComesBackEqual() {
    Publish publish = new Publish(new Key(KEY), SESSION, publisher.getRef());
    byte[] bytes = serialization.serialize(publish).get();
    assertTrue(
        contains(bytes, KEY.reveal().getBytes(StandardCharsets.UTF_8)),
        "the entity compares the whole key, so the wire carries it");

    Publish copy = (Publish) roundTrip(publish);
    assertEquals(publish, copy);
    assertEquals(KEY.reveal(), copy.key().value().reveal());
    assertTrue(copy.key().value().matches(KEY.hash()));
    assertEquals(publisher.getRef(), copy.replyTo());
  }

  @Test
  void deserializedReplyToReachesTheProbe() {
    Publish copy = (Publish) roundTrip(new Publish(new Key(KEY), SESSION, publisher.getRef()));
    copy.replyTo().tell(new PublishRejected(PublishRejection.WRONG_KEY));
    assertEquals(
        new PublishRejected(PublishRejection.WRONG_KEY),
        publisher.expectMessageClass(PublishRejected.class));
  }

  @Test
  void createdRoundTripsWithItsKeyAndExpiry() {
    Created created = new Created(STREAM_ID, new Key(KEY), T0);
    Created copy = (Created) roundTrip(created);
    assertEquals(created, copy);
    assertEquals(KEY.reveal(), copy.streamKey().value().reveal());
    assertEquals(T0, copy.keyExpiresAt(), "nanoseconds survive");
  }

  @Test
  void aMalformedKeyOnTheWireFailsToDeserialize() {
    Created created = new Created(STREAM_ID, new Key(KEY), T0);
    Serializer serializer = serialization.findSerializerFor(created);
    byte[] bytes = serialization.serialize(created).get();
    byte[] prefix = "live_".getBytes(StandardCharsets.UTF_8);
    int at = indexOf(bytes, prefix);
    assertTrue(at >= 0);
    bytes[at] = 'L';
    assertTrue(
        serialization
            .deserialize(
                bytes, serializer.identifier(), Serializers.manifestFor(serializer, created))
            .isFailure());
  }

  @Test
  void streamViewRoundTripsWithNulls() {
    StreamView view =
        new StreamView(
            STREAM_ID,
            "creator-1",
            CreatorType.DJ,
            null,
            T0,
            "IDLE",
            null,
            null,
            false,
            null,
            null,
            null,
            null,
            null,
            null,
            null,
            null,
            null,
            null,
            null,
            null);
    StreamView copy = (StreamView) roundTrip(view);
    assertEquals(view, copy);
    assertNull(copy.session());
    assertNull(copy.renditions());
    assertNull(copy.health());
  }

  @Test
  void fullStreamViewRoundTrips() {
    StreamView view =
        new StreamView(
            STREAM_ID,
            "creator-1",
            CreatorType.PERFORMER,
            "Friday night",
            T0,
            "LIVE",
            "node-a",
            T1,
            true,
            SESSION_VIEW,
            VIDEO,
            AUDIO,
            List.of("source", "720p"),
            HEALTH,
            List.of(
                new StreamAlert(
                    StreamAlert.LONG_KEYFRAME_INTERVAL,
                    "keyframe interval is 8.3 s",
                    8333,
                    4000,
                    T1)),
            new ViewerView(12, 40, 95, 3600),
            new SessionView("s-0", T0, T1, "publisher left", "198.51.100.1:1935", "node-b"),
            new OutputSettings(true, List.of(new LadderRung("360p", 360, 600, 64)), false, 30),
            List.of(
                new RestreamTargetView(
                    "yt",
                    "youtube",
                    "rtmp://a.rtmp.youtube.com/live2",
                    true,
                    "live",
                    T1,
                    null,
                    42,
                    "source",
                    null,
                    false),
                new RestreamTargetView(
                    "fb",
                    "facebook",
                    "rtmps://f/rtmp",
                    true,
                    "retrying",
                    T0,
                    "refused",
                    0,
                    "720p",
                    "fed from the 720p rung: facebook takes at most 720p",
                    true)),
            new RecordingView("rec_1", "s-0", T0, null, 12_345, "recording", 2, 1_000_000, null),
            "http://127.0.0.1:8080");
    StreamView copy = ((StateView) roundTrip(new StateView(view))).stream();
    assertEquals(view, copy);
    assertEquals(3L, copy.health().branchDrops().get("hls"));
  }

  @Test
  void outputSettingsRoundTripAndRefuseWhatCannotRun() {
    OutputsChanged changed =
        new OutputsChanged(
            new OutputSettings(
                false,
                List.of(
                    new LadderRung("720p", 720, 2500, 128), new LadderRung("480p", 480, 1000, 96))),
            T1);
    assertEquals(changed, roundTrip(changed));
    OutputsChanged defaults = new OutputsChanged(OutputSettings.NODE_DEFAULTS, T1);
    assertEquals(defaults, roundTrip(defaults));
    assertEquals(OutputSettings.NODE_DEFAULTS, OutputSettings.orDefaults(null));
    assertThrows(IllegalArgumentException.class, () -> new LadderRung("source", 720, 2500, 128));
    assertThrows(IllegalArgumentException.class, () -> new LadderRung("a/b", 720, 2500, 128));
    assertThrows(IllegalArgumentException.class, () -> new LadderRung("tall", 9000, 2500, 128));
    LadderRung r = new LadderRung("r", 720, 2500, 128);
    assertThrows(IllegalArgumentException.class, () -> new OutputSettings(true, List.of(r, r)));
  }

  static Stream<Arguments> events() {
    return Stream.of(
        Arguments.of(
            new StreamCreated(STREAM_ID, "creator-1", CreatorType.DJ, "t", KEY.hash(), T1, T0)),
        Arguments.of(new KeyRotated(KEY.hash(), T1, T0)),
        Arguments.of(new KeyRevoked(T0)),
        Arguments.of(new PublishStarted("s-1", "203.0.113.7:50123", "node-a", T0)),
        Arguments.of(new PublishStarted("s-1", "203.0.113.7:50123", "node-a", "node-b", T0)),
        Arguments.of(new SessionMoved("s-1", "node-c", T1)),
        Arguments.of(new MediaDetected("s-1", VIDEO, AUDIO, T0)),
        Arguments.of(new MediaDetected("s-1", VIDEO, null, T0)),
        Arguments.of(new PublishEnded("s-1", "publisher left", T1)),
        Arguments.of(
            new RestreamTargetSet(
                new RestreamTarget(
                    "yt-main", "youtube", "rtmp://a.rtmp.youtube.com/live2", "v1:x", true),
                T1)),
        Arguments.of(new RestreamTargetRemoved("yt-main", T1)),
        Arguments.of(new RestreamTargetStateChanged("s-1", "yt-main", "retrying", "refused", T1)),
        Arguments.of(new RestreamTargetStateChanged("s-1", "yt-main", "live", null, T1)),
        Arguments.of(new OutputsEnded("s-1", T1)),
        Arguments.of(
            new AlertRaised(
                "s-1", StreamAlert.NO_MEDIA, "no audio or video for 5.0 s", 5000, 5000, T1)),
        Arguments.of(new AlertCleared("s-1", StreamAlert.NO_MEDIA, ALERT_RECOVERED, T1)),
        Arguments.of(new ViewerStats("s-1", 12, 40, 95, 3600, T1)),
        Arguments.of(new AlertWebhooksSet(List.of("https://ops.example/hook?token=t"), T1)),
        Arguments.of(new AlertWebhooksSet(List.of(), T1)));
  }

  @ParameterizedTest
  @MethodSource("events")
  void eventsRoundTrip(Event event) {
    assertInstanceOf(JacksonCborSerializer.class, serialization.findSerializerFor(event));
    assertEquals(event, roundTrip(event));
  }

  static Stream<Arguments> messages() {
    Publish publish = new Publish(new Key(KEY), SESSION, publisher.getRef());
    return Stream.of(
            new Create("creator-1", CreatorType.PERFORMER, "title", operator.getRef()),
            new GetState(operator.getRef()),
            new RotateKey(operator.getRef()),
            new RevokeKey(operator.getRef()),
            new Stop(operator.getRef()),
            publish,
            new SessionMediaDetected("s-1", VIDEO, AUDIO),
            new SessionHealth("s-1", HEALTH),
            new ViewersSeen(List.of("abcdefgh01234567", "h0011223344556677")),
            new SetAlertWebhooks(List.of("https://ops.example/hook"), operator.getRef()),
            new SessionEnded("s-1", "idle timeout"),
            new PreviousSessionSettled(),
            new PassivateIfIdle(),
            new EndOutputsIfIdle("s-1"),
            new CloseOrphanedSession("s-1"),
            new PublishRejected(PublishRejection.KEY_EXPIRED),
            new KeyIssued(new Key(KEY), T1),
            new Accepted(),
            new NotFound(STREAM_ID),
            new Conflict("already live"),
            SESSION_VIEW)
        .map(m -> Arguments.of(m.getClass().getSimpleName(), m));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("messages")
  void commandsAndRepliesRoundTrip(String name, Object message) {
    assertInstanceOf(JacksonCborSerializer.class, serialization.findSerializerFor(message));
    assertEquals(message, roundTrip(message));
  }

  @Test
  void publishAcceptedCarriesAWorkingSinkRef() {
    SinkRef<MediaPacket> sink =
        StreamRefs.<MediaPacket>sinkRef().to(Sink.ignore()).run(testKit.system());
    PublishAccepted accepted = new PublishAccepted(STREAM_ID, sink);
    assertEquals(accepted, roundTrip(accepted));
  }

  @Test
  void keysInMessagesPrintMasked() {
    String secret = KEY.reveal().substring(("live_" + STREAM_ID + "_").length());
    Key key = new Key(KEY);
    assertEquals("live_" + STREAM_ID + "_***", key.toString());
    assertEquals(key.toString(), key.value().toString());
    assertEquals(KEY.reveal(), key.toJson());
    for (Object message :
        List.of(
            new Publish(key, SESSION, publisher.getRef()),
            new Created(STREAM_ID, key, T0),
            new KeyIssued(key, T0))) {
      assertFalse(message.toString().contains(secret), message.toString());
      assertTrue(message.toString().contains(STREAM_ID + "_***"), message.toString());
    }
  }

  @Test
  void entityTypeKeyNamesTheEntity() {
    assertEquals("LiveStream", ENTITY_TYPE_KEY.name());
  }

  private static Object roundTrip(Object message) {
    Serializer serializer = serialization.findSerializerFor(message);
    byte[] bytes = serialization.serialize(message).get();
    return serialization
        .deserialize(bytes, serializer.identifier(), Serializers.manifestFor(serializer, message))
        .get();
  }

  private static boolean contains(byte[] haystack, byte[] needle) {
    return indexOf(haystack, needle) >= 0;
  }

  private static int indexOf(byte[] haystack, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= haystack.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (haystack[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }
}

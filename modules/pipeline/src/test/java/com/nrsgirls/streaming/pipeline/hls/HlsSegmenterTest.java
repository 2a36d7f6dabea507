package com.nrsgirls.streaming.pipeline.hls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nrsgirls.streaming.core.media.Codec;
import com.nrsgirls.streaming.core.media.MediaPacket;
import com.nrsgirls.streaming.pipeline.ts.TestMedia;
import com.nrsgirls.streaming.pipeline.ts.TsMuxer;
import com.nrsgirls.streaming.pipeline.ts.TsReader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The segmenter on synthetic packets: where it cuts, what it lists, what it deletes. */
class HlsSegmenterTest {
  private static final Instant START = Instant.parse("2024-03-01T12:00:00Z");

  @TempDir Path root;
  private LocalSegmentStore store;
  private Path dir;
  private final List<PublishedSegment> published = new ArrayList<>();
  private final List<String> ignored = new ArrayList<>();
  private final HlsSegmenter.Listener listener =
      new HlsSegmenter.Listener() {
        @Override
        public void segmentPublished(PublishedSegment segment) {
          published.add(segment);
        }

        @Override
        public void trackIgnored(Codec codec, String reason) {
          ignored.add(codec + ": " + reason);
        }
      };

  @BeforeEach
  void setUp() {
    store = new LocalSegmentStore(root);
    dir = root.resolve("s1/source");
  }

  private HlsSegmenter open(HlsSettings settings, Instant now) throws IOException {
    return HlsSegmenter.open(
        store, "s1", "source", settings, Clock.fixed(now, ZoneOffset.UTC), listener);
  }

  /** Video at 30 fps with a keyframe every {@code gop} frames, AAC at 48 kHz, in DTS order. */
  static List<MediaPacket> av(long startMillis, long millis, int gop, boolean audio) {
    List<MediaPacket> packets = new ArrayList<>();
    int frames = (int) (millis * 30 / 1000);
    int audioFrame = 0;
    for (int i = 0; i < frames; i++) {
      long dts = startMillis + i * 1000L / 30;
      while (audio && startMillis + audioFrame * 1024L * 1000 / 48000 <= dts) {
        packets.add(TestMedia.audioFrame(startMillis + audioFrame * 1024L * 1000 / 48000, 300));
        audioFrame++;
      }
      packets.add(TestMedia.videoFrame(dts, 0, i % gop == 0, 2000));
    }
    return packets;
  }

  private static void feed(HlsSegmenter segmenter, List<MediaPacket> packets) throws Exception {
    for (MediaPacket p : packets) {
      segmenter.accept(p);
    }
  }

  private static void configs(HlsSegmenter segmenter) throws Exception {
    segmenter.accept(TestMedia.videoConfig(0));
    segmenter.accept(TestMedia.audioConfig(0));
  }

  @Test
  void cutsAtTheFirstKeyframePastTheTargetAndEverySegmentStartsWithAnIdr() throws Exception {
    HlsSegmenter segmenter = open(HlsSettings.DEFAULT, START);
    configs(segmenter);
    segmenter.accept(TestMedia.videoFrame(0, 0, false, 100)); // before any keyframe: dropped
    segmenter.accept(TestMedia.audioFrame(10, 100)); // also dropped: no segment yet
    feed(segmenter, av(33, 7000, 30, true));
    segmenter.finish();

    // plus the audio frame at 33 ms that comes just before the keyframe at 33 ms
    assertEquals(3, segmenter.droppedPackets());
    MediaPlaylist playlist = MediaPlaylist.parse(Files.readString(dir.resolve("index.m3u8")));
    assertTrue(playlist.ended());
    assertEquals(2, playlist.targetDuration());
    assertDurations(List.of(2000L, 2000L, 2000L, 1000L), playlist.segments());
    assertEquals(START, playlist.segments().get(0).programDateTime());
    assertEquals(START.plusMillis(2000), playlist.segments().get(1).programDateTime());
    for (MediaPlaylist.Segment s : playlist.segments()) {
      TsReader.Stream ts = TsReader.read(Files.readAllBytes(dir.resolve(s.uri())));
      assertEquals(List.of(TsMuxer.PAT_PID, TsMuxer.PMT_PID), ts.packetPids().subList(0, 2));
      TsReader.Pes first = ts.pes(TsMuxer.VIDEO_PID).get(0);
      assertTrue(first.randomAccess(), s.uri() + " starts with a keyframe");
      assertTrue(first.payload()[4] == 9 && (first.payload()[10] & 0x1F) == 7, "AUD, SPS");
      assertFalse(ts.pes(TsMuxer.AUDIO_PID).isEmpty());
    }
    assertFalse(playlist.segments().get(0).discontinuity());
    assertEquals(4, published.size());
    assertEquals(List.of(0L, 1L, 2L, 3L), published.stream().map(p -> p.mediaSequence()).toList());
  }

  @Test
  void outputTimelineIsTheSourceTimelineMovedUpOnlyIfItStartsBelowTheMargin() throws Exception {
    HlsSegmenter segmenter = open(HlsSettings.DEFAULT, START);
    configs(segmenter);
    feed(segmenter, av(5000, 3000, 60, false));
    segmenter.accept(TestMedia.videoFrame(8000, 67, true, 100));
    segmenter.finish();
    List<MediaPlaylist.Segment> segments = segmenter.playlist().segments();
    List<TsReader.Pes> first = videoPes(segments.get(0));
    assertEquals(ticks(5000), first.get(0).pts(), "source timestamps kept");
    assertEquals(ticks(5033), first.get(1).pts());
    List<TsReader.Pes> second = videoPes(segments.get(1));
    TsReader.Pes last = second.get(second.size() - 1);
    assertEquals(ticks(8000), last.dts());
    assertEquals(ticks(8067), last.pts(), "composition offset kept");
    assertEquals(START.plusMillis(2000), segments.get(1).programDateTime());
    // the last frame lasts as long as the one before it: 8000 - 7966
    assertEquals(8034, segmenter.playlist().timelineEndMillis());

    HlsSegmenter zero = HlsSegmenter.open(store, "s2", "source", HlsSettings.DEFAULT, fixed());
    configs(zero);
    feed(zero, av(0, 3000, 60, false));
    zero.finish();
    String uri = zero.playlist().segments().get(0).uri();
    TsReader.Pes pes =
        TsReader.read(Files.readAllBytes(root.resolve("s2/source").resolve(uri)))
            .pes(TsMuxer.VIDEO_PID)
            .get(0);
    assertEquals(ticks(HlsSegmenter.START_MARGIN_MILLIS), pes.pts(), "a start at 0 is moved up");
  }

  private List<TsReader.Pes> videoPes(MediaPlaylist.Segment segment) throws IOException {
    return TsReader.read(Files.readAllBytes(dir.resolve(segment.uri()))).pes(TsMuxer.VIDEO_PID);
  }

  private static long ticks(long millis) {
    return (millis * 90) & ((1L << 33) - 1);
  }

  @Test
  void slidingWindowDeletesSegmentsOnceTheyAreOutOfTheGrace() throws Exception {
    HlsSettings settings = HlsSettings.DEFAULT.withPlaylistSize(3).withDeleteGrace(1);
    List<Set<String>> filesAtPublish = new ArrayList<>();
    HlsSegmenter segmenter =
        HlsSegmenter.open(
            store,
            "s1",
            "source",
            settings,
            fixed(),
            new HlsSegmenter.Listener() {
              @Override
              public void segmentPublished(PublishedSegment segment) {
                filesAtPublish.add(segmentFiles());
              }
            });
    configs(segmenter);
    feed(segmenter, av(0, 12_000, 60, true));
    MediaPlaylist live = MediaPlaylist.parse(Files.readString(dir.resolve("index.m3u8")));
    assertEquals(2, live.mediaSequence());
    assertEquals(3, live.segments().size());
    assertFalse(live.ended());
    // after segment 4 was listed: 2, 3, 4 listed, 1 within the grace, 0 deleted
    assertEquals(names(1, 2, 3, 4), numbers(filesAtPublish.get(4)));
    segmenter.finish();
    assertEquals(names(3, 4, 5), numbers(segmentFiles()), "finish deletes the grace segments");
  }

  @Test
  void reopeningContinuesThePlaylistWithADiscontinuityAndDropsTheEndList() throws Exception {
    HlsSegmenter first = open(HlsSettings.DEFAULT, START);
    configs(first);
    feed(first, av(0, 4000, 60, true));
    first.finish();
    assertTrue(Files.readString(dir.resolve("index.m3u8")).contains("#EXT-X-ENDLIST"));

    HlsSegmenter second = open(HlsSettings.DEFAULT, START.plusSeconds(60));
    configs(second);
    feed(second, av(0, 6000, 60, true)); // timestamps start over
    String live = Files.readString(dir.resolve("index.m3u8"));
    assertFalse(live.contains("#EXT-X-ENDLIST"), live);
    second.finish();

    MediaPlaylist playlist = MediaPlaylist.parse(Files.readString(dir.resolve("index.m3u8")));
    assertEquals(0, playlist.mediaSequence());
    assertEquals(5, playlist.segments().size());
    List<Boolean> discontinuities =
        playlist.segments().stream().map(MediaPlaylist.Segment::discontinuity).toList();
    assertEquals(List.of(false, false, true, false, false), discontinuities);
    assertEquals(START.plusSeconds(60), playlist.segments().get(2).programDateTime());
    long firstEnd = HlsSegmenter.START_MARGIN_MILLIS + 3966 + 33; // last frame at 3966
    assertEquals(
        ticks(firstEnd + HlsSegmenter.TIMELINE_GAP_MILLIS),
        videoPes(playlist.segments().get(2)).get(0).pts(),
        "the reopened playlist's timestamps continue after the old ones");
    assertNotEquals(
        playlist.segments().get(0).uri().substring(2),
        playlist.segments().get(2).uri().substring(2),
        "session tags differ");
    assertEquals(names(0, 1, 2, 3, 4), numbers(segmentFiles()));
  }

  @Test
  void timestampsJumpingBackwardsEndTheSegmentAndStartADiscontinuity() throws Exception {
    HlsSegmenter segmenter = open(HlsSettings.DEFAULT, START);
    configs(segmenter);
    feed(segmenter, av(0, 3000, 60, true));
    // the encoder restarts: timestamps from 0 again, first a P-frame (dropped), then a keyframe
    segmenter.accept(TestMedia.videoFrame(0, 0, false, 100));
    feed(segmenter, av(33, 2000, 60, true));
    segmenter.finish();

    assertEquals(1, segmenter.timestampDiscontinuities());
    List<MediaPlaylist.Segment> segments = segmenter.playlist().segments();
    assertEquals(3, segments.size());
    assertDurations(List.of(2000L, 1000L, 2000L), segments);
    assertTrue(segments.get(2).discontinuity());
    assertEquals(
        segments.get(1).programDateTime().plusMillis(segments.get(1).durationMillis()),
        segments.get(2).programDateTime(),
        "the fixed clock is behind the media, so the new timeline starts where the old one ended");
    long oldEnd = HlsSegmenter.START_MARGIN_MILLIS + 3000 - 1; // 2999 + 33 - 33
    assertEquals(
        ticks(oldEnd + HlsSegmenter.TIMELINE_GAP_MILLIS),
        videoPes(segments.get(2)).get(0).pts(),
        "the new timeline starts just after the old one");
  }

  @Test
  void smallBackwardStepsAreJitterAndKeepEachTracksTimestampsRising() throws Exception {
    List<MediaPacket> packets = new ArrayList<>(av(0, 6000, 60, true));
    // audio 1 ms before the frame before it, video 40 ms before, and an audio frame repeating the
    // timestamp of the one before
    stepBack(packets, Codec.AAC, 100, 1);
    stepBack(packets, Codec.H264, 75, 40);
    stepBack(packets, Codec.AAC, 200, 0);
    HlsSegmenter segmenter = open(HlsSettings.DEFAULT, START);
    configs(segmenter);
    feed(segmenter, packets);
    segmenter.finish();

    assertEquals(0, segmenter.timestampDiscontinuities());
    assertEquals(3, segmenter.timestampsMoved());
    assertEquals(1, segmenter.droppedPackets(), "only the audio frame before the first keyframe");
    List<MediaPlaylist.Segment> segments = segmenter.playlist().segments();
    assertDurations(List.of(2000L, 2000L, 2000L), segments);
    assertTrue(segments.stream().noneMatch(MediaPlaylist.Segment::discontinuity));
    List<TsReader.Pes> video = new ArrayList<>();
    List<TsReader.Pes> audio = new ArrayList<>();
    for (MediaPlaylist.Segment s : segments) {
      TsReader.Stream ts = TsReader.read(Files.readAllBytes(dir.resolve(s.uri())));
      video.addAll(ts.pes(TsMuxer.VIDEO_PID));
      audio.addAll(ts.pes(TsMuxer.AUDIO_PID));
    }
    assertEquals(180, video.size(), "every video frame is in the output");
    for (int i = 1; i < video.size(); i++) {
      long before = video.get(i - 1).dts() >= 0 ? video.get(i - 1).dts() : video.get(i - 1).pts();
      long dts = video.get(i).dts() >= 0 ? video.get(i).dts() : video.get(i).pts();
      assertTrue(dts > before, "video DTS rises at PES " + i);
      assertTrue(video.get(i).pts() >= dts, "PTS is never before DTS at PES " + i);
    }
    for (int i = 1; i < audio.size(); i++) {
      assertTrue(audio.get(i).pts() > audio.get(i - 1).pts(), "audio PTS rises at PES " + i);
    }
    assertAudioAsReadRises(segments);
  }

  @Test
  void audioThatAPlayerWouldReadBeforeTheFrameBeforeItIsLeftOut() throws Exception {
    List<MediaPacket> packets = new ArrayList<>(av(0, 6000, 60, true));
    // an AAC frame 9 ms early (it still joins the PES before it, so a player reads it on time)
    // and the next one 2 ms after it (a new PES, read before the early one), at four places
    for (int n : new int[] {100, 141, 182, 223}) {
      long early = audioTime(packets, n) - 9;
      setAudioTime(packets, n, early);
      setAudioTime(packets, n + 1, early + 2);
    }
    HlsSegmenter segmenter = open(HlsSettings.DEFAULT, START);
    configs(segmenter);
    feed(segmenter, packets);
    segmenter.finish();

    assertEquals(0, segmenter.timestampDiscontinuities());
    assertAudioAsReadRises(segmenter.playlist().segments());
    assertTrue(segmenter.droppedPackets() > 1, "frames a player would read back in time left out");
  }

  /** The AAC frames of these segments, at the times a demuxer gives them, rise strictly. */
  private void assertAudioAsReadRises(List<MediaPlaylist.Segment> segments) throws IOException {
    List<TsReader.Pes> audio = new ArrayList<>();
    for (MediaPlaylist.Segment s : segments) {
      audio.addAll(TsReader.read(Files.readAllBytes(dir.resolve(s.uri()))).pes(TsMuxer.AUDIO_PID));
    }
    List<Long> read = TsReader.aacReadTimes(audio, 48_000);
    assertTrue(read.size() > 200, "the audio is in the output");
    for (int i = 1; i < read.size(); i++) {
      assertTrue(
          read.get(i) > read.get(i - 1),
          "audio frame "
              + i
              + " as a player reads it: "
              + read.get(i - 1)
              + " then "
              + read.get(i));
    }
  }

  private static long audioTime(List<MediaPacket> packets, int n) {
    return packets.stream()
        .filter(p -> p.codec() == Codec.AAC)
        .skip(n)
        .findFirst()
        .orElseThrow()
        .dts();
  }

  private static void setAudioTime(List<MediaPacket> packets, int n, long millis) {
    int seen = 0;
    for (int i = 0; i < packets.size(); i++) {
      if (packets.get(i).codec() == Codec.AAC && seen++ == n) {
        packets.set(i, TestMedia.audioFrame(millis, 300));
        return;
      }
    }
    throw new IllegalArgumentException("no audio frame " + n);
  }

  @Test
  void aStepBackBeyondTheToleranceIsStillADiscontinuity() throws Exception {
    List<MediaPacket> packets = new ArrayList<>(av(0, 6000, 60, true));
    stepBack(packets, Codec.AAC, 100, HlsSegmenter.MAX_BACKWARD_STEP_MILLIS + 1);
    HlsSegmenter segmenter = open(HlsSettings.DEFAULT, START);
    configs(segmenter);
    feed(segmenter, packets);
    segmenter.finish();
    assertEquals(1, segmenter.timestampDiscontinuities());
    assertEquals(0, segmenter.timestampsMoved());
  }

  /**
   * Gives the {@code n}th frame of {@code codec} a timestamp {@code millis} before the frame of
   * that codec before it, keeping its place in the list.
   */
  private static void stepBack(List<MediaPacket> packets, Codec codec, int n, long millis) {
    long previous = -1;
    int seen = 0;
    for (int i = 0; i < packets.size(); i++) {
      MediaPacket p = packets.get(i);
      if (p.codec() != codec) {
        continue;
      }
      if (seen++ == n) {
        packets.set(
            i,
            codec == Codec.AAC
                ? TestMedia.audioFrame(previous - millis, 300)
                : TestMedia.videoFrame(previous - millis, 0, p.isKeyframe(), 2000));
        return;
      }
      previous = p.dts();
    }
    throw new IllegalArgumentException("no frame " + n + " of " + codec);
  }

  @Test
  void aLongFirstGopSetsTheTargetDurationAndIsNeverSplit() throws Exception {
    // 250 frames at 30 fps: an 8.3 s GOP, OBS's "auto" keyframe interval
    HlsSettings settings = HlsSettings.DEFAULT.withPlaylistSize(20);
    HlsSegmenter segmenter = open(settings, START);
    configs(segmenter);
    feed(segmenter, av(0, 25_000, 250, true));
    segmenter.finishLive();

    String text = Files.readString(dir.resolve("index.m3u8"));
    assertTrue(text.contains("#EXT-X-TARGETDURATION:9\n"), text);
    MediaPlaylist playlist = MediaPlaylist.parse(text);
    assertEquals(1, segmenter.droppedPackets(), "only the audio frame before the first keyframe");
    List<Long> durations = published.stream().map(PublishedSegment::durationMillis).toList();
    assertEquals(3, durations.size(), durations.toString());
    for (long d : durations.subList(0, 2)) {
      assertTrue(Math.abs(d - 8333) <= 1, "one GOP per segment: " + durations);
    }
    for (MediaPlaylist.Segment s : playlist.segments()) {
      assertTrue(s.roundedSeconds() <= 9, "the target duration covers " + s);
      assertTrue(videoPes(s).get(0).randomAccess(), s.uri() + " starts with a keyframe");
    }
    assertEquals(0, segmenter.splitSegments());

    // a later session with a short GOP continues under the same target duration
    HlsSegmenter next = open(settings, START.plusSeconds(60));
    configs(next);
    feed(next, av(0, 4000, 60, true));
    next.finish();
    assertEquals(9, next.playlist().targetDuration());
    assertEquals(
        9, MediaPlaylist.parse(Files.readString(dir.resolve("index.m3u8"))).targetDuration());
  }

  @Test
  void aGopThatDoesNotFitAContinuedPlaylistIsSplitInEqualParts() throws Exception {
    HlsSettings settings = HlsSettings.DEFAULT.withPlaylistSize(30);
    HlsSegmenter first = open(settings, START);
    configs(first);
    feed(first, av(0, 4000, 60, true));
    first.finishLive();
    assertEquals(2, first.playlist().targetDuration());

    // the encoder came back with OBS's "auto" keyframe interval: the listed 2 s cannot change
    published.clear();
    HlsSegmenter second = open(settings, START.plusSeconds(30));
    configs(second);
    feed(second, av(0, 25_000, 250, true));
    second.finishLive();
    assertEquals(2, second.playlist().targetDuration());
    List<Long> durations = published.stream().map(PublishedSegment::durationMillis).toList();
    for (long d : durations) {
      assertTrue(d < 2500, "every segment rounds to at most 2 s: " + durations);
    }
    // once the GOP is known (from the second keyframe at 8333 ms) each one is cut in as few equal
    // parts as fit the listed target: four of 2083 ms (within two frames), each rounding to 2 s
    List<PublishedSegment> secondGop =
        published.stream()
            .filter(p -> p.programDateTime().isAfter(START.plusMillis(38_000)))
            .filter(p -> p.programDateTime().isBefore(START.plusMillis(46_600)))
            .toList();
    assertEquals(4, secondGop.size(), durations.toString());
    for (PublishedSegment p : secondGop) {
      assertTrue(Math.abs(p.durationMillis() - 2083) <= 67, durations.toString());
    }
    assertEquals(published.size() - 3, second.splitSegments());
  }

  @Test
  void aGopLongerThanTheMaximumIsSplitAtTheMaximum() throws Exception {
    HlsSettings settings =
        HlsSettings.DEFAULT.withMaxTargetDuration(Duration.ofSeconds(4)).withPlaylistSize(20);
    HlsSegmenter segmenter = open(settings, START);
    configs(segmenter);
    feed(segmenter, av(0, 17_000, 250, true));
    segmenter.finishLive();
    assertEquals(4, segmenter.playlist().targetDuration());
    for (MediaPlaylist.Segment s : segmenter.playlist().segments()) {
      assertTrue(s.roundedSeconds() <= 4, "the target duration covers " + s);
    }
    assertTrue(segmenter.splitSegments() > 0);
  }

  @Test
  void aKeyframeIsTakenEarlyWhenWaitingForTheNextWouldOverrunTheTarget() throws Exception {
    // a 1.5 s GOP: cutting at 3 s would need a target duration of 3
    HlsSegmenter segmenter = open(HlsSettings.DEFAULT, START);
    configs(segmenter);
    feed(segmenter, av(0, 9000, 45, true));
    segmenter.finish();
    assertEquals(2, segmenter.playlist().targetDuration());
    assertDurations(
        List.of(1500L, 1500L, 1500L, 1500L, 1500L, 1500L), segmenter.playlist().segments());
    assertEquals(0, segmenter.splitSegments());
    for (MediaPlaylist.Segment s : segmenter.playlist().segments()) {
      assertTrue(videoPes(s).get(0).randomAccess(), s.uri() + " starts with a keyframe");
    }
  }

  @Test
  void aContinuedPlaylistKeepsItsTargetDurationEvenIfTheSettingsDiffer() throws Exception {
    HlsSettings oneSecond = HlsSettings.DEFAULT.withTargetDuration(Duration.ofSeconds(1));
    HlsSegmenter first = open(oneSecond, START);
    configs(first);
    feed(first, av(0, 3000, 30, true));
    first.finishLive();
    assertEquals(1, first.playlist().targetDuration());

    HlsSegmenter second = open(HlsSettings.DEFAULT, START.plusSeconds(30));
    configs(second);
    feed(second, av(0, 4000, 30, true));
    second.finish();
    MediaPlaylist playlist = MediaPlaylist.parse(Files.readString(dir.resolve("index.m3u8")));
    assertEquals(1, playlist.targetDuration(), "RFC 8216 6.2.1: it must not change");
    for (MediaPlaylist.Segment s : playlist.segments()) {
      assertTrue(s.durationMillis() < 1500, "fits the listed target duration: " + s);
    }
  }

  @Test
  void aForwardJumpBeyondTheGapLimitIsADiscontinuityToo() throws Exception {
    HlsSegmenter segmenter = open(HlsSettings.DEFAULT, START);
    configs(segmenter);
    feed(segmenter, av(0, 2000, 60, false));
    feed(segmenter, av(60_000, 2000, 60, false));
    segmenter.finish();
    assertEquals(1, segmenter.timestampDiscontinuities());
    assertDurations(List.of(2000L, 2000L), segmenter.playlist().segments());
    assertTrue(segmenter.playlist().segments().get(1).discontinuity());
  }

  @Test
  void audioOnlyStreamsCutOnTime() throws Exception {
    HlsSegmenter segmenter = open(HlsSettings.DEFAULT, START);
    segmenter.accept(TestMedia.audioConfig(0));
    for (int i = 0; i < 48000 * 5 / 1024; i++) {
      segmenter.accept(TestMedia.audioFrame(i * 1024L * 1000 / 48000, 300));
    }
    segmenter.finish();
    List<MediaPlaylist.Segment> segments = segmenter.playlist().segments();
    assertEquals(3, segments.size());
    for (MediaPlaylist.Segment s : segments.subList(0, 2)) {
      assertTrue(Math.abs(s.durationMillis() - 1813) <= 22, "cut after 90% of 2 s: " + s);
      TsReader.Stream ts = TsReader.read(Files.readAllBytes(dir.resolve(s.uri())));
      assertTrue(ts.pes(TsMuxer.VIDEO_PID).isEmpty());
      assertTrue(ts.pes(TsMuxer.AUDIO_PID).get(0).pcr() >= 0, "PCR on the audio PID");
    }
    RenditionInfo info = segmenter.renditionInfo().orElseThrow();
    assertEquals("mp4a.40.2", info.codecs());
    assertEquals(0, info.width());
  }

  @Test
  void otherCodecsAreLeftOutWithAReason() throws Exception {
    HlsSegmenter segmenter = open(HlsSettings.DEFAULT, START);
    byte[] junk = {1, 2, 3};
    segmenter.accept(TestMedia.audioConfig(0));
    for (int i = 0; i < 3; i++) {
      segmenter.accept(new MediaPacket(Codec.HEVC, i * 33, 0, 1, junk, 0, 3));
      segmenter.accept(new MediaPacket(Codec.MP3, i * 33, 0, 1, junk, 0, 3));
    }
    feed(segmenter, av(0, 3000, 60, true).stream().filter(MediaPacket::isAudio).toList());
    segmenter.finish();
    assertEquals(2, ignored.size(), "told once per codec: " + ignored);
    assertTrue(segmenter.ignoredTracks().get(Codec.HEVC).contains("H.264 only"));
    assertTrue(segmenter.ignoredTracks().containsKey(Codec.MP3));
    assertEquals(6, segmenter.droppedPackets());
    assertFalse(segmenter.playlist().segments().isEmpty(), "the AAC track still goes out");
  }

  @Test
  void renditionInfoAndPublishedSegmentsReportWhatWasMeasured() throws Exception {
    HlsSegmenter segmenter = open(HlsSettings.DEFAULT, START);
    assertTrue(segmenter.renditionInfo().isEmpty());
    configs(segmenter);
    feed(segmenter, av(0, 6000, 60, true));
    segmenter.finish();

    long bytes = 0;
    long millis = 0;
    long max = 0;
    for (PublishedSegment p : published) {
      millis += p.durationMillis();
      assertEquals(Files.size(dir.resolve(p.name())), p.bytes());
      assertEquals(START, p.listedAt());
      bytes += p.bytes();
      max = Math.max(max, p.bytes() * 8000 / p.durationMillis());
    }
    RenditionInfo info = segmenter.renditionInfo().orElseThrow();
    assertEquals("source", info.rendition());
    assertEquals(320, info.width());
    assertEquals(240, info.height());
    assertEquals("avc1.64000d,mp4a.40.2", info.codecs());
    assertEquals(30.0, info.frameRate(), 0.01);
    assertEquals(bytes * 8000 / millis, info.averageBandwidth());
    assertEquals(max, info.bandwidth());
  }

  @Test
  void finishLiveLeavesThePlaylistOpenUntilEndPlaylist() throws Exception {
    HlsSegmenter segmenter = open(HlsSettings.DEFAULT, START);
    configs(segmenter);
    feed(segmenter, av(0, 3000, 60, true));
    segmenter.finishLive();
    MediaPlaylist playlist = MediaPlaylist.parse(Files.readString(dir.resolve("index.m3u8")));
    assertFalse(playlist.ended());
    assertEquals(2, playlist.segments().size(), "the open segment was published");
    assertThrows(IllegalStateException.class, () -> segmenter.accept(TestMedia.audioConfig(0)));

    HlsSegmenter.endPlaylist(store, "s1", "source");
    assertTrue(MediaPlaylist.parse(Files.readString(dir.resolve("index.m3u8"))).ended());
  }

  @Test
  void abortDiscardsTheOpenSegment() throws Exception {
    HlsSegmenter segmenter = open(HlsSettings.DEFAULT, START);
    configs(segmenter);
    feed(segmenter, av(0, 3000, 60, true));
    segmenter.abort();
    assertEquals(
        1, MediaPlaylist.parse(Files.readString(dir.resolve("index.m3u8"))).segments().size());
    assertEquals(1, segmentFiles().size());
    try (Stream<Path> files = Files.list(dir)) {
      assertTrue(files.noneMatch(f -> f.getFileName().toString().endsWith(".tmp")));
    }
  }

  @Test
  void anUnreadablePlaylistStartsOverAndSaysWhy() throws Exception {
    store.writeMediaPlaylist("s1", "source", "not a playlist");
    List<String> reasons = new ArrayList<>();
    HlsSegmenter segmenter =
        HlsSegmenter.open(
            store,
            "s1",
            "source",
            HlsSettings.DEFAULT,
            fixed(),
            new HlsSegmenter.Listener() {
              @Override
              public void playlistReset(String reason) {
                reasons.add(reason);
              }
            });
    assertEquals(1, reasons.size());
    configs(segmenter);
    feed(segmenter, av(0, 3000, 60, true));
    segmenter.finish();
    assertEquals(0, segmenter.playlist().mediaSequence());
    assertEquals(2, segmenter.playlist().segments().size());
  }

  @Test
  void timestampsPastThe33BitWrapKeepTheirDurations() throws Exception {
    long wrap = (1L << 33) / 90 + 1; // 2^33 ticks is about 26.5 h
    HlsSegmenter segmenter = open(HlsSettings.DEFAULT, START);
    configs(segmenter);
    feed(segmenter, av(wrap - 3000, 8000, 60, true));
    segmenter.finish();
    List<MediaPlaylist.Segment> segments = segmenter.playlist().segments();
    assertDurations(List.of(2000L, 2000L, 2000L, 2000L), segments);
    assertEquals(0, segmenter.timestampDiscontinuities());
    assertTrue(videoPes(segments.get(0)).get(0).pts() > (1L << 33) - 90_000 * 4);
    long after = videoPes(segments.get(2)).get(0).pts();
    assertTrue(after < 90_000 * 2, "wrapped: " + after);
  }

  private Clock fixed() {
    return Clock.fixed(START, ZoneOffset.UTC);
  }

  private Set<String> segmentFiles() {
    try (Stream<Path> files = Files.list(dir)) {
      return new TreeSet<>(
          files
              .map(f -> f.getFileName().toString())
              .filter(n -> n.endsWith(".ts") && !n.startsWith("."))
              .toList());
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }

  private static Set<String> numbers(Set<String> files) {
    Set<String> numbers = new TreeSet<>();
    for (String f : files) {
      numbers.add(f.substring(0, f.indexOf('-')));
    }
    return numbers;
  }

  private static Set<String> names(int... sequences) {
    Set<String> names = new TreeSet<>();
    for (int s : sequences) {
      names.add(Integer.toString(s));
    }
    return names;
  }

  /**
   * Durations to the millisecond, except the last segment of a session, whose last frame lasts as
   * long as the frame before it (33 or 34 ms at 30 fps on a millisecond clock).
   */
  private static void assertDurations(List<Long> expected, List<MediaPlaylist.Segment> segments) {
    List<Long> actual = segments.stream().map(MediaPlaylist.Segment::durationMillis).toList();
    assertEquals(expected.size(), actual.size(), actual.toString());
    for (int i = 0; i < expected.size(); i++) {
      assertTrue(Math.abs(expected.get(i) - actual.get(i)) <= 1, expected + " vs " + actual);
    }
  }
}

package com.nrsgirls.streaming.pipeline.recording;

import com.nrsgirls.streaming.core.media.AacConfig;
import com.nrsgirls.streaming.core.media.AvcDecoderConfig;
import com.nrsgirls.streaming.core.media.Codec;
import com.nrsgirls.streaming.core.media.MediaFormatException;
import com.nrsgirls.streaming.core.media.MediaPacket;
import com.nrsgirls.streaming.core.stream.LiveStreamProtocol;
import com.nrsgirls.streaming.pipeline.mp4.Fmp4Muxer;
import com.nrsgirls.streaming.pipeline.store.ObjectStore;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Scheduler;
import org.apache.pekko.util.ByteString;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One recording being written on this node. The stream side ({@link #offer}, on the session's
 * stream thread) keeps the frames of the part being cut, on the recording's own timeline (each
 * session's timestamps shifted so it follows the one before without a gap), and hands a part over
 * at the first keyframe past the part duration. The store side, one step after another on the
 * blocking dispatcher, muxes a part into a spool file (written under a temporary name and renamed,
 * so a file under its name is whole), uploads its init segment if new, the part and the playlist,
 * each retried with backoff, deletes the spool file once the store confirmed the part, and tells
 * the entity. A node crash loses the part being cut and nothing the spool already holds: the next
 * {@link #salvage} uploads it.
 */
final class RecordingRun {
  private static final Logger log = LoggerFactory.getLogger(RecordingRun.class);
  private static final Pattern SPOOLED = Pattern.compile("part-(\\d+)\\.i(\\d+)\\.d(\\d+)\\.m4s");
  private static final String INTERRUPTED = "its node stopped while recording";

  /** A frame on the recording's timeline. */
  private record Sample(MediaPacket packet, long dts, long pts) {}

  /** A part handed from the stream side to the store side. */
  private record Part(
      int index,
      int init,
      boolean newInit,
      AvcDecoderConfig video,
      byte[] videoRaw,
      AacConfig audio,
      byte[] audioRaw,
      List<Sample> samples,
      long start,
      long duration) {}

  private final String streamId;
  private final String recordingId;
  private final String prefix;
  private final RecordingSettings settings;
  private final ObjectStore store;
  private final Executor blocking;
  private final Scheduler scheduler;
  private final Path spool;
  private volatile ActorRef<LiveStreamProtocol.Command> entity;
  private volatile String logContext;

  // ---- stream side, guarded by this
  private AvcDecoderConfig video;
  private byte[] videoRaw;
  private AacConfig audio;
  private byte[] audioRaw;
  private boolean configChanged = true;
  private int init;
  private int nextPart = 1;
  private List<Sample> samples = new ArrayList<>();
  private long partStart;
  private long partBytes;
  private boolean awaitingStart = true;
  private long offset;
  private long end = -1;
  private long lastVideoDts = -1;
  private long frameMillis = 33;
  private boolean finished;

  // ---- store side: only touched by the steps of the chain, one at a time
  private CompletableFuture<Void> chain = CompletableFuture.completedFuture(null);
  private final Fmp4Muxer muxer = new Fmp4Muxer();
  private final List<VodPlaylist.Entry> stored = new ArrayList<>();
  private volatile String failure;

  RecordingRun(
      String streamId,
      String recordingId,
      RecordingSettings settings,
      ObjectStore store,
      Executor blocking,
      Scheduler scheduler,
      ActorRef<LiveStreamProtocol.Command> entity) {
    this.streamId = streamId;
    this.recordingId = recordingId;
    this.prefix = Recorder.prefix(streamId, recordingId);
    this.settings = settings;
    this.store = store;
    this.blocking = blocking;
    this.scheduler = scheduler;
    this.entity = entity;
    this.spool = settings.spoolDir().resolve(streamId).resolve(recordingId);
    this.logContext = "stream=" + streamId + " recording=" + recordingId;
    // a session's context (feedStarted) adds its session id
  }

  void entity(ActorRef<LiveStreamProtocol.Command> entity) {
    this.entity = entity;
  }

  // ---- stream side -------------------------------------------------------------------------

  /** A session's recording branch (re)started: it continues at its first keyframe. */
  synchronized void feedStarted(String context) {
    logContext = context;
    awaitingStart = true;
    lastVideoDts = -1;
  }

  /** A session's recording branch ended: the part so far is cut, so a crash cannot lose it. */
  synchronized void feedEnded() {
    if (!finished && !samples.isEmpty()) {
      cut(-1);
    }
  }

  synchronized void offer(MediaPacket p) {
    if (finished) {
      return;
    }
    if (p.isConfig()) {
      config(p);
      return;
    }
    boolean isVideo = p.isVideo();
    if (isVideo
        ? video == null || p.codec() != Codec.H264
        : audio == null || p.codec() != Codec.AAC) {
      return; // a track the recording cannot carry, or before its config
    }
    if (awaitingStart) {
      if (video != null ? !(isVideo && p.isKeyframe()) : !p.isAudio()) {
        return;
      }
      offset = Math.max(end, 0) - p.dts();
      awaitingStart = false;
    }
    long dts = p.dts() + offset;
    if (dts < 0 || !samples.isEmpty() && dts < partStart - 1000) {
      return; // audio from before the keyframe a session starts at, or a jump back
    }
    if (isVideo) {
      if (lastVideoDts >= 0 && dts > lastVideoDts) {
        frameMillis = Math.min(dts - lastVideoDts, 1000);
      }
      boolean due =
          p.isKeyframe() && dts - partStart >= settings.partDuration().toMillis()
              || partBytes >= settings.maxPartBytes();
      if (!samples.isEmpty() && due) {
        cut(dts);
      }
      lastVideoDts = dts;
      end = Math.max(end, dts + frameMillis);
    } else {
      if (video == null
          && !samples.isEmpty()
          && dts - partStart >= settings.partDuration().toMillis()) {
        cut(dts); // audio only: any frame starts a part
      }
      end = Math.max(end, dts + 1024_000L / audio.sampleRate());
    }
    if (samples.isEmpty()) {
      partStart = dts;
    }
    samples.add(new Sample(p, dts, isVideo ? dts + p.compositionOffset() : dts));
    partBytes += p.length();
  }

  private void config(MediaPacket p) {
    byte[] raw = p.payloadCopy();
    try {
      if (p.isVideo() && p.codec() == Codec.H264) {
        if (!Arrays.equals(raw, videoRaw)) {
          AvcDecoderConfig parsed = AvcDecoderConfig.parse(raw, 0, raw.length);
          if (!samples.isEmpty()) {
            cut(-1); // the frames so far belong to the old init segment
          }
          video = parsed;
          videoRaw = raw;
          configChanged = true;
        }
      } else if (p.isAudio() && p.codec() == Codec.AAC) {
        if (!Arrays.equals(raw, audioRaw)) {
          AacConfig parsed = AacConfig.parse(raw, 0, raw.length);
          if (!samples.isEmpty()) {
            cut(-1);
          }
          audio = parsed;
          audioRaw = raw;
          configChanged = true;
        }
      }
    } catch (MediaFormatException e) {
      log.warn("{} codec configuration not recorded: {}", logContext, e.getMessage());
    }
  }

  /** Hands the part so far to the store side; {@code next} is where the next part starts. */
  private void cut(long next) {
    boolean newInit = configChanged;
    if (newInit) {
      init++;
      configChanged = false;
    }
    long duration = Math.max(1, (next >= 0 ? next : end) - partStart);
    Part part =
        new Part(
            nextPart++,
            init,
            newInit,
            video,
            videoRaw,
            audio,
            audioRaw,
            samples,
            partStart,
            duration);
    samples = new ArrayList<>();
    partBytes = 0;
    chain = chain.thenComposeAsync(v -> store(part), blocking).exceptionally(this::stepFailed);
  }

  /** Ends the recording: the last part is cut and stored, then the playlist says it is over. */
  synchronized void finish() {
    if (finished) {
      return;
    }
    finished = true;
    if (!samples.isEmpty()) {
      cut(-1);
    }
    chain =
        chain
            .thenComposeAsync(v -> finalPlaylist("completed", null), blocking)
            .exceptionally(this::stepFailed);
  }

  private Void stepFailed(Throwable e) {
    log.error("{} recording step failed: {}", logContext, e.toString(), e);
    return null;
  }

  // ---- store side --------------------------------------------------------------------------

  private CompletionStage<Void> store(Part part) {
    Path file;
    try {
      file = spoolPart(part);
    } catch (IOException e) {
      throw new IllegalStateException(
          "part " + part.index() + " could not be written to " + spool + ": " + e, e);
    }
    if (failure != null) {
      return CompletableFuture.completedFuture(null); // kept in the spool, see failRecording
    }
    CompletionStage<Done> up = CompletableFuture.completedFuture(Done.getInstance());
    if (part.newInit()) {
      Path initFile = spool.resolve(VodPlaylist.initName(part.init()));
      up =
          up.thenCompose(d -> uploadFile(VodPlaylist.initName(part.init()), initFile, "video/mp4"));
    }
    return up.thenCompose(
            d -> uploadFile(VodPlaylist.partName(part.index()), file, "video/iso.segment"))
        .thenCompose(
            d -> {
              stored.add(new VodPlaylist.Entry(part.index(), part.init(), part.duration()));
              long bytes = sizeAndDelete(file);
              entity.tell(
                  new LiveStreamProtocol.RecordingPartUploaded(
                      recordingId, part.index(), part.duration(), bytes));
              return putPlaylist(false);
            })
        .handle(
            (d, e) -> {
              if (e != null) {
                failRecording(e);
              }
              return null;
            });
  }

  /** Muxes a part (and its init segment, if new) into the spool; returns the part's file. */
  private Path spoolPart(Part part) throws IOException {
    Files.createDirectories(spool);
    if (part.newInit()) {
      muxer.setVideoConfig(part.video(), part.videoRaw());
      muxer.setAudioConfig(part.audio(), part.audioRaw());
      writeAtomically(
          spool.resolve(VodPlaylist.initName(part.init())), out -> out.write(muxer.initSegment(0)));
    }
    String name =
        VodPlaylist.partName(part.index()).replace(".m4s", "")
            + ".i"
            + part.init()
            + ".d"
            + part.duration()
            + ".m4s";
    Path file = spool.resolve(name);
    writeAtomically(
        file,
        out -> {
          muxer.startSegment(out::write);
          try {
            for (Sample s : part.samples()) {
              if (s.packet().isVideo()) {
                if (muxer.videoConfig() != null) {
                  muxer.writeVideo(s.packet(), s.dts(), s.pts());
                }
              } else if (muxer.audioConfig() != null) {
                muxer.writeAudio(s.packet(), s.pts());
              }
            }
          } finally {
            muxer.endSegment(part.start() + part.duration());
          }
        });
    return file;
  }

  private interface Writing {
    void write(OutputStream out) throws IOException;
  }

  private static void writeAtomically(Path target, Writing writing) throws IOException {
    Path temp = target.resolveSibling("." + target.getFileName() + ".tmp");
    try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(temp), 1 << 16)) {
      writing.write(out);
    }
    Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  private static long sizeAndDelete(Path file) {
    try {
      long size = Files.size(file);
      Files.deleteIfExists(file);
      return size;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private CompletionStage<Done> uploadFile(String name, Path file, String contentType) {
    return retrying(name, () -> store.putFile(prefix + name, file, contentType));
  }

  private CompletionStage<Void> putPlaylist(boolean ended) {
    ByteString text = ByteString.fromString(VodPlaylist.render(stored, ended));
    return retrying(
            VodPlaylist.NAME,
            () -> store.put(prefix + VodPlaylist.NAME, text, "application/vnd.apple.mpegurl"))
        .thenApply(d -> null);
  }

  private CompletionStage<Void> finalPlaylist(String status, String reason) {
    if (failure != null) {
      return CompletableFuture.completedFuture(null); // the entity heard of the failure
    }
    return putPlaylist(true)
        .handle(
            (d, e) -> {
              if (e != null) {
                failRecording(e);
                return null;
              }
              long duration = VodPlaylist.durationMillis(stored);
              log.info(
                  "{} {}: {} parts, {} s in {}",
                  logContext,
                  status,
                  stored.size(),
                  duration / 1000,
                  store.describe());
              entity.tell(
                  new LiveStreamProtocol.RecordingFinished(recordingId, status, reason, duration));
              try {
                if (Files.isDirectory(spool)) {
                  try (DirectoryStream<Path> inits =
                      Files.newDirectoryStream(spool, "init-*.mp4")) {
                    for (Path f : inits) {
                      Files.deleteIfExists(f);
                    }
                  }
                }
                Files.deleteIfExists(spool); // only if empty: a part left behind stays
                Files.deleteIfExists(spool.getParent());
              } catch (IOException cleanup) {
                log.debug("{} spool directory kept: {}", logContext, cleanup.toString());
              }
              return null;
            });
  }

  /** The store refused for longer than the settings allow: the recording is marked failed. */
  private void failRecording(Throwable e) {
    if (failure != null) {
      return;
    }
    Throwable cause =
        e.getCause() != null && e instanceof java.util.concurrent.CompletionException
            ? e.getCause()
            : e;
    failure =
        "the store refused its parts for "
            + settings.giveUpAfter().toSeconds()
            + " s: "
            + cause.getMessage();
    log.error("{} failed: {}; its remaining parts stay in {}", logContext, failure, spool);
    entity.tell(new LiveStreamProtocol.RecordingFinished(recordingId, "failed", failure, 0));
  }

  /**
   * Runs {@code call} until it succeeds, waiting longer after each failure, up to give-up-after.
   */
  private CompletionStage<Done> retrying(String what, Supplier<CompletionStage<Done>> call) {
    CompletableFuture<Done> result = new CompletableFuture<>();
    attempt(what, call, result, 0, null);
    return result;
  }

  private void attempt(
      String what,
      Supplier<CompletionStage<Done>> call,
      CompletableFuture<Done> result,
      int tries,
      Instant firstFailure) {
    CompletionStage<Done> stage;
    try {
      stage = call.get();
    } catch (RuntimeException e) {
      stage = CompletableFuture.failedFuture(e);
    }
    stage.whenComplete(
        (ok, err) -> {
          if (err == null) {
            if (tries > 0) {
              log.info("{} {} stored after {} failed tries", logContext, what, tries);
            }
            result.complete(ok);
            return;
          }
          Instant now = Instant.now();
          Instant first = firstFailure != null ? firstFailure : now;
          if (Duration.between(first, now).compareTo(settings.giveUpAfter()) > 0) {
            result.completeExceptionally(err);
            return;
          }
          long backoff = settings.retryMin().toMillis() << Math.min(tries, 20);
          Duration wait = Duration.ofMillis(Math.min(backoff, settings.retryMax().toMillis()));
          if (tries == 0 || tries % 10 == 0) {
            log.warn(
                "{} {} not stored ({}), trying again in {} ms",
                logContext,
                what,
                err.getCause() != null ? err.getCause().getMessage() : err.getMessage(),
                wait.toMillis());
          }
          CompletableFuture.delayedExecutor(wait.toMillis(), TimeUnit.MILLISECONDS, blocking)
              .execute(() -> attempt(what, call, result, tries + 1, first));
        });
  }

  // ---- salvage -----------------------------------------------------------------------------

  /**
   * Ends a recording whose node stopped while writing it: the parts the spool still holds (newer
   * than what the store's playlist lists) are uploaded, the playlist is ended, and the entity hears
   * {@code interrupted}.
   */
  static void salvage(
      String streamId,
      String recordingId,
      int partsStored,
      RecordingSettings settings,
      ObjectStore store,
      Executor blocking,
      Scheduler scheduler,
      ActorRef<LiveStreamProtocol.Command> entity) {
    RecordingRun run =
        new RecordingRun(streamId, recordingId, settings, store, blocking, scheduler, entity);
    run.finished = true;
    run.chain =
        run.retrying(
                VodPlaylist.NAME,
                () ->
                    store
                        .get(run.prefix + VodPlaylist.NAME)
                        .thenApply(
                            text -> {
                              text.ifPresent(
                                  t -> run.stored.addAll(VodPlaylist.parse(t.utf8String())));
                              return Done.getInstance();
                            }))
            .thenComposeAsync(d -> run.uploadSpooled(partsStored), blocking)
            .thenCompose(v -> run.finalPlaylist("interrupted", INTERRUPTED))
            .<Void>handle(
                (v, e) -> {
                  if (e != null) {
                    run.failRecording(e);
                  }
                  return null;
                })
            .toCompletableFuture();
  }

  private CompletionStage<Void> uploadSpooled(int partsStored) {
    int known = partsStored;
    for (VodPlaylist.Entry e : stored) {
      known = Math.max(known, e.part());
    }
    List<Path> files = new ArrayList<>();
    if (Files.isDirectory(spool)) {
      try (DirectoryStream<Path> dir = Files.newDirectoryStream(spool, "part-*.m4s")) {
        dir.forEach(files::add);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    files.sort(Comparator.comparing(p -> p.getFileName().toString()));
    CompletionStage<Void> step = CompletableFuture.completedFuture(null);
    int initUploaded = -1;
    for (Path file : files) {
      Matcher m = SPOOLED.matcher(file.getFileName().toString());
      if (!m.matches()) {
        continue;
      }
      int index = Integer.parseInt(m.group(1));
      int initNumber = Integer.parseInt(m.group(2));
      long duration = Long.parseLong(m.group(3));
      if (index <= known) {
        // stored before the node stopped; one stored (the entity counted it) whose playlist
        // update the node did not live to write is listed now
        if (index <= partsStored && stored.stream().noneMatch(e -> e.part() == index)) {
          stored.add(new VodPlaylist.Entry(index, initNumber, duration));
        }
        step = step.thenRun(() -> sizeAndDelete(file));
        continue;
      }
      Path initFile = spool.resolve(VodPlaylist.initName(initNumber));
      if (initNumber != initUploaded && Files.exists(initFile)) {
        initUploaded = initNumber;
        step =
            step.thenCompose(
                    v -> uploadFile(VodPlaylist.initName(initNumber), initFile, "video/mp4"))
                .thenApply(d -> null);
      }
      step =
          step.thenCompose(v -> uploadFile(VodPlaylist.partName(index), file, "video/iso.segment"))
              .thenApply(
                  d -> {
                    stored.add(new VodPlaylist.Entry(index, initNumber, duration));
                    long bytes = sizeAndDelete(file);
                    log.info("{} part {} salvaged from the spool", logContext, index);
                    entity.tell(
                        new LiveStreamProtocol.RecordingPartUploaded(
                            recordingId, index, duration, bytes));
                    return null;
                  });
    }
    return step;
  }

  /** The spool directory of a recording (for tests and operators). */
  Path spool() {
    return spool;
  }
}

package com.nrsgirls.streaming.api;

import static org.apache.pekko.http.javadsl.server.Directives.*;

import com.nrsgirls.streaming.core.stream.StreamId;
import com.nrsgirls.streaming.pipeline.hls.HlsPackager;
import com.nrsgirls.streaming.pipeline.hls.LowLatencyPlaylist;
import com.nrsgirls.streaming.pipeline.hls.LowLatencyPlaylists;
import com.nrsgirls.streaming.pipeline.hls.PlaylistCachingStore;
import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import org.apache.pekko.http.javadsl.model.ContentType;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.DateTime;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.HttpMethods;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.MediaTypes;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.AccessControlAllowHeaders;
import org.apache.pekko.http.javadsl.model.headers.AccessControlAllowMethods;
import org.apache.pekko.http.javadsl.model.headers.AccessControlAllowOrigin;
import org.apache.pekko.http.javadsl.model.headers.AccessControlMaxAge;
import org.apache.pekko.http.javadsl.model.headers.CacheControl;
import org.apache.pekko.http.javadsl.model.headers.CacheDirectives;
import org.apache.pekko.http.javadsl.model.headers.EntityTag;
import org.apache.pekko.http.javadsl.model.headers.HttpOriginRanges;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.stream.javadsl.FileIO;
import org.apache.pekko.util.ByteString;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * HLS playback by public stream id: {@code /live/{streamId}/index.m3u8} (master), {@code
 * /live/{streamId}/{rendition}/index.m3u8} and the segments it lists, read from the segment
 * directory (playlists from memory when this node wrote them), or forwarded to the node that writes
 * them ({@link ClusterPlayback}). Playlists get a short cache lifetime, segments are immutable, any
 * origin may fetch. Names are checked against strict patterns before they touch the file system.
 * HEAD is answered like GET without the body (the server's transparent HEAD), and every file and
 * playlist carries an {@code ETag} and {@code Last-Modified} so CDNs and players can revalidate
 * (304) and fetch byte ranges (206).
 */
final class PlaybackRoutes {
  private static final Logger log = LoggerFactory.getLogger(PlaybackRoutes.class);
  private static final Pattern RENDITION = Pattern.compile("[a-z0-9]{1,16}");
  private static final Pattern SEGMENT =
      Pattern.compile("[A-Za-z0-9_-][A-Za-z0-9_.-]{0,63}\\.(ts|m4s|mp4)");
  private static final Pattern NUMBER = Pattern.compile("[0-9]{1,18}");

  /** A low-latency part: {@code {msn}-{tag}.{part}.m4s}, a byte range of its segment's file. */
  private static final Pattern PART =
      Pattern.compile("[0-9]{1,18}-[a-z0-9]{1,16}\\.[0-9]{1,6}\\.m4s");

  private static final ContentType.Binary PLAYLIST =
      ContentTypes.create(MediaTypes.customBinary("application", "vnd.apple.mpegurl", true));
  private static final ContentType.Binary SEGMENT_TYPE =
      ContentTypes.create(MediaTypes.customBinary("video", "mp2t", false));
  private static final ContentType.Binary PART_TYPE =
      ContentTypes.create(MediaTypes.customBinary("video", "iso.segment", false));
  private static final ContentType.Binary INIT_TYPE =
      ContentTypes.create(MediaTypes.customBinary("video", "mp4", false));
  private static final HttpHeader MASTER_CACHE =
      CacheControl.create(CacheDirectives.NO_STORE, CacheDirectives.PRIVATE());
  private static final HttpHeader PLAYLIST_CACHE =
      CacheControl.create(CacheDirectives.MAX_AGE(1), CacheDirectives.PUBLIC);

  /**
   * A low-latency playlist without a blocking request: revalidated every time. A second's caching
   * would put a joining viewer up to a second behind for good (hls.js does not catch up at its
   * defaults).
   */
  private static final HttpHeader LOW_LATENCY_CACHE =
      CacheControl.create(CacheDirectives.NO_CACHE, CacheDirectives.PUBLIC);

  /** Errors (404 before a stream starts, 400, 503) are never cached: the next try may succeed. */
  private static final HttpHeader ERROR_CACHE = CacheControl.create(CacheDirectives.NO_STORE);

  private static final HttpHeader SEGMENT_CACHE =
      CacheControl.create(
          CacheDirectives.PUBLIC, CacheDirectives.MAX_AGE(31_536_000), CacheDirectives.IMMUTABLE);

  /** Any origin may fetch playback (HLS and recordings). */
  static final List<HttpHeader> CORS =
      List.of(
          AccessControlAllowOrigin.create(HttpOriginRanges.ALL),
          AccessControlAllowMethods.create(HttpMethods.GET, HttpMethods.HEAD, HttpMethods.OPTIONS),
          AccessControlAllowHeaders.create("Range", "Origin", "Accept"),
          AccessControlMaxAge.create(86_400));

  private static final int STRICT_LIMIT = 64 * 1024;
  private static final int CHUNK = 256 * 1024;

  private final Path segmentDir;
  private final PlaylistCachingStore playlists;
  private final Executor blocking;
  private final ApiJson json;
  private final ClusterPlayback cluster;
  private final ViewerTracker viewers;
  private final LowLatencyPlaylists lowLatency;
  private final boolean lowLatencyDefault;
  private final PartCache parts;

  /**
   * Serves files under {@code segmentDir}; playlists come from {@code playlists} when it has them,
   * files are read on {@code blocking}; streams whose graph runs on another node are forwarded
   * there by {@code cluster}. With {@code lowLatencyDefault} (low-latency HLS on), {@code
   * index.m3u8} is the low-latency master and {@code classic.m3u8} the TS one; without, both are
   * the TS one. Low-latency parts are served from {@code parts}.
   */
  PlaybackRoutes(
      Path segmentDir,
      PlaylistCachingStore playlists,
      Executor blocking,
      ApiJson json,
      ClusterPlayback cluster,
      ViewerTracker viewers,
      LowLatencyPlaylists lowLatency,
      boolean lowLatencyDefault,
      PartCache parts) {
    this.viewers = viewers;
    this.lowLatency = lowLatency;
    this.lowLatencyDefault = lowLatencyDefault;
    this.parts = parts;
    this.segmentDir = segmentDir;
    this.playlists = playlists;
    this.blocking = blocking;
    this.json = json;
    this.cluster = cluster;
  }

  Route route() {
    return pathPrefix(
        "live",
        () ->
            mapResponse(
                PlaybackRoutes::errorsNotCached,
                () ->
                    respondWithHeaders(
                        CORS,
                        () ->
                            concat(
                                options(() -> complete(StatusCodes.NO_CONTENT)),
                                get(
                                    () ->
                                        pathPrefix(
                                            PathMatchers.segment(),
                                            streamId ->
                                                concat(
                                                    path(
                                                        "index.m3u8",
                                                        () ->
                                                            cluster.serve(
                                                                streamId,
                                                                () ->
                                                                    lowLatencyDefault
                                                                        ? lowLatencyMaster(streamId)
                                                                        : master(streamId))),
                                                    path(
                                                        "classic.m3u8",
                                                        () ->
                                                            cluster.serve(
                                                                streamId, () -> master(streamId))),
                                                    path(
                                                        "ll.m3u8",
                                                        () ->
                                                            cluster.serve(
                                                                streamId,
                                                                () -> lowLatencyMaster(streamId))),
                                                    path(
                                                        PathMatchers.segment()
                                                            .slash(PathMatchers.segment()),
                                                        (rendition, name) ->
                                                            counted(
                                                                streamId,
                                                                name,
                                                                () ->
                                                                    cluster.serve(
                                                                        streamId,
                                                                        () ->
                                                                            renditionFile(
                                                                                streamId, rendition,
                                                                                name)))))))))));
  }

  private static HttpResponse errorsNotCached(HttpResponse response) {
    return response.status().intValue() >= 400 && response.getHeader(CacheControl.class).isEmpty()
        ? response.addHeader(ERROR_CACHE)
        : response;
  }

  /** Under a rendition: its low-latency playlist, a low-latency part, or a file. */
  private Route renditionFile(String streamId, String rendition, String name) {
    if (name.equals("ll.m3u8")) {
      return lowLatencyPlaylist(streamId, rendition);
    }
    if (PART.matcher(name).matches()
        && StreamId.isValid(streamId)
        && RENDITION.matcher(rendition).matches()) {
      return hintedPart(streamId, rendition, name, () -> part(streamId, rendition, name));
    }
    return file(streamId, rendition, name);
  }

  /**
   * A media playlist answered 200 to a client (not to another node forwarding it: that node counted
   * it) is a sighting of its viewer, reported to the stream's entity.
   */
  private Route counted(String streamId, String name, Supplier<Route> inner) {
    if (!name.equals("index.m3u8") && !name.equals("ll.m3u8")) {
      return inner.get();
    }
    return optionalHeaderValueByName(
        ClusterPlayback.FORWARDED,
        forwarded ->
            forwarded.isPresent()
                ? inner.get()
                : parameterOptional(
                    ViewerTracker.PARAMETER,
                    session ->
                        extractClientIP(
                            client ->
                                optionalHeaderValueByName(
                                    "User-Agent",
                                    agent ->
                                        mapResponse(
                                            response -> {
                                              if (response.status().intValue() == 200) {
                                                viewers.seen(
                                                    streamId,
                                                    viewers.viewer(
                                                        streamId,
                                                        session.orElse(null),
                                                        client
                                                            .getAddress()
                                                            .map(a -> a.getHostAddress())
                                                            .orElse("unknown"),
                                                        agent.orElse("")));
                                              }
                                              return response;
                                            },
                                            inner)))));
  }

  /**
   * The master playlist with a new viewer session id on every media playlist URL it lists: never
   * cached by anyone (each viewer gets its own), while media playlists are keyed on their URL and
   * segments stay the same for all.
   */
  private Route master(String streamId) {
    if (!StreamId.isValid(streamId)) {
      return complete(json.notFound("no such playlist or segment"));
    }
    return masterWith(streamId, classic -> classic);
  }

  /**
   * The low-latency master playlist: the classic one with each rendition's {@code ll.m3u8} in place
   * of its {@code index.m3u8}, for a stream whose renditions write low-latency output on this node.
   */
  private Route lowLatencyMaster(String streamId) {
    if (!StreamId.isValid(streamId) || lowLatency.latest(streamId, HlsPackager.SOURCE).isEmpty()) {
      return complete(json.notFound("no such playlist or segment"));
    }
    return masterWith(
        streamId,
        classic ->
            new String(classic, StandardCharsets.UTF_8)
                .replace("/index.m3u8", "/ll.m3u8")
                .getBytes(StandardCharsets.UTF_8));
  }

  /**
   * The stream's master playlist (from memory when this node wrote it, else read on the blocking
   * dispatcher), changed by {@code transform}, with a new viewer session id on its URLs.
   */
  private Route masterWith(String streamId, java.util.function.UnaryOperator<byte[]> transform) {
    String session = viewers.newSession(streamId);
    Optional<PlaylistCachingStore.CachedPlaylist> cached = playlists.cachedPlaylist(streamId, null);
    if (cached.isPresent()) {
      return complete(
          ok(PLAYLIST, MASTER_CACHE, withSession(transform.apply(cached.get().bytes()), session)));
    }
    Path file = segmentDir.resolve(streamId).resolve("index.m3u8");
    return onSuccess(
        CompletableFuture.supplyAsync(
            () -> {
              try {
                byte[] classic = Files.readAllBytes(file);
                return ok(PLAYLIST, MASTER_CACHE, withSession(transform.apply(classic), session));
              } catch (NoSuchFileException | AccessDeniedException e) {
                return json.notFound("no such playlist or segment");
              } catch (IOException e) {
                log.warn(
                    "playback: reading {} failed: {}", segmentDir.relativize(file), e.toString());
                return json.error(
                    StatusCodes.INTERNAL_SERVER_ERROR, "read_failed", "could not read the file");
              }
            },
            blocking),
        response -> complete(response));
  }

  /**
   * A rendition's low-latency media playlist, from memory, with the siblings' rendition reports. A
   * blocking request ({@code _HLS_msn}, optionally {@code _HLS_part}) is parked until the playlist
   * lists that segment or part, at most three target durations (then 503); one for a segment more
   * than two ahead of the newest, or a part past what a segment can have, is refused with 400, as
   * is {@code _HLS_part} alone (draft-pantos-hls-rfc8216bis §6.2.5.2).
   */
  private Route lowLatencyPlaylist(String streamId, String rendition) {
    if (!StreamId.isValid(streamId) || !RENDITION.matcher(rendition).matches()) {
      return complete(json.notFound("no such playlist or segment"));
    }
    return parameterOptional(
        "_HLS_skip",
        skipText ->
            parameterOptional(
                "_HLS_msn",
                msnText ->
                    parameterOptional(
                        "_HLS_part",
                        partText -> {
                          Optional<LowLatencyPlaylist> latest =
                              lowLatency.latest(streamId, rendition);
                          if (latest.isEmpty()) {
                            return complete(json.notFound("no such playlist or segment"));
                          }
                          LowLatencyPlaylist now = latest.get();
                          if (skipText.isPresent()
                              && !skipText.get().equals("YES")
                              && !skipText.get().equals("v2")) {
                            return complete(blockingRefused("_HLS_skip is YES or v2"));
                          }
                          // v2 would skip date ranges too: there are none
                          boolean delta = skipText.isPresent();
                          if (msnText.isEmpty()) {
                            return partText.isPresent()
                                ? complete(blockingRefused("_HLS_part needs _HLS_msn"))
                                : complete(
                                    lowLatencyResponse(streamId, rendition, now, delta, false));
                          }
                          if (!NUMBER.matcher(msnText.get()).matches()
                              || (partText.isPresent()
                                  && !NUMBER.matcher(partText.get()).matches())) {
                            return complete(blockingRefused("_HLS_msn and _HLS_part are numbers"));
                          }
                          long msn = Long.parseLong(msnText.get());
                          long part = partText.map(Long::parseLong).orElse(-1L);
                          long partsPerSegment =
                              (now.targetDurationSeconds() * 1000L + now.partTargetMillis() - 1)
                                  / now.partTargetMillis();
                          if (msn > now.lastSequence() + 2) {
                            return complete(
                                blockingRefused(
                                    "segment "
                                        + msn
                                        + " is more than two past "
                                        + now.lastSequence()));
                          }
                          if (part > 3 * partsPerSegment) {
                            return complete(
                                blockingRefused("part " + part + " is past any segment's"));
                          }
                          CompletableFuture<LowLatencyPlaylist> reached =
                              lowLatency
                                  .await(streamId, rendition, msn, (int) part)
                                  .orElse(CompletableFuture.completedFuture(now))
                                  .toCompletableFuture();
                          long limit = 3L * now.targetDurationSeconds() * 1000;
                          return onComplete(
                              reached.orTimeout(limit, TimeUnit.MILLISECONDS),
                              result ->
                                  complete(
                                      result.isSuccess()
                                          ? lowLatencyResponse(
                                              streamId, rendition, result.get(), delta, true)
                                          : json.error(
                                              StatusCodes.SERVICE_UNAVAILABLE,
                                              "not_yet",
                                              "segment "
                                                  + msn
                                                  + (part >= 0 ? " part " + part : "")
                                                  + " was not listed within three target durations")));
                        })));
  }

  private HttpResponse blockingRefused(String why) {
    return json.error(StatusCodes.BAD_REQUEST, "bad_blocking_request", why);
  }

  /**
   * A low-latency playlist. One answering a blocking request may be cached by a CDN for six target
   * durations, keyed on its query: it lists at least what was asked for, and a later state is asked
   * for with a later query.
   */
  private HttpResponse lowLatencyResponse(
      String streamId,
      String rendition,
      LowLatencyPlaylist playlist,
      boolean deltaUpdate,
      boolean blocking) {
    HttpHeader cache =
        blocking
            ? CacheControl.create(
                CacheDirectives.PUBLIC,
                CacheDirectives.MAX_AGE(6L * playlist.targetDurationSeconds()))
            : LOW_LATENCY_CACHE;
    return ok(PLAYLIST, cache, lowLatency.text(streamId, rendition, playlist, deltaUpdate));
  }

  /**
   * A request for the part a rendition's playlist hints at ({@code EXT-X-PRELOAD-HINT}) is held
   * until that part is listed, when its file is whole (Safari asks for it at once; hls.js 1.4 does
   * not), at most three target durations; then it is served as any other. Part names are {@code
   * {msn}-{tag}.{part}.m4s}.
   */
  private Route hintedPart(String streamId, String rendition, String name, Supplier<Route> file) {
    Optional<LowLatencyPlaylist> latest = lowLatency.latest(streamId, rendition);
    if (latest.isEmpty() || !name.equals(latest.get().preloadHint())) {
      return file.get();
    }
    int dash = name.indexOf('-');
    int lastDot = name.lastIndexOf('.');
    int partDot = name.lastIndexOf('.', lastDot - 1);
    if (dash <= 0 || partDot <= dash) {
      return file.get();
    }
    long msn = Long.parseLong(name.substring(0, dash));
    int part = Integer.parseInt(name.substring(partDot + 1, lastDot));
    CompletableFuture<LowLatencyPlaylist> listed =
        lowLatency
            .await(streamId, rendition, msn, part)
            .orElse(CompletableFuture.completedFuture(latest.get()))
            .toCompletableFuture();
    long limit = 3L * latest.get().targetDurationSeconds() * 1000;
    return onComplete(
        listed.orTimeout(limit, TimeUnit.MILLISECONDS).exceptionally(e -> null),
        ignored -> file.get());
  }

  /**
   * A low-latency part: the byte range of its segment's file that the rendition's latest state
   * gives it (read on the blocking dispatcher), immutable; 404 when no state lists it.
   */
  private Route part(String streamId, String rendition, String name) {
    Optional<LowLatencyPlaylists.PartRange> range = lowLatency.part(streamId, rendition, name);
    if (range.isEmpty()) {
      return complete(json.notFound("no such playlist or segment"));
    }
    LowLatencyPlaylists.PartRange r = range.get();
    Path file = segmentDir.resolve(streamId).resolve(rendition).resolve(r.file());
    EntityTag etag =
        EntityTag.create(
            name + "-" + Long.toHexString(r.offset()) + "-" + Integer.toHexString(r.length()),
            false);
    String key = file + "@" + r.offset() + "+" + r.length();
    return onSuccess(
        CompletableFuture.supplyAsync(() -> parts.get(key, () -> readRange(file, r)), blocking)
            .thenCompose(read -> read)
            .handle(
                (bytes, failure) -> {
                  if (failure == null) {
                    return new Served(
                        HttpResponse.create()
                            .withEntity(HttpEntities.create(PART_TYPE, bytes))
                            .addHeader(SEGMENT_CACHE),
                        etag,
                        null);
                  }
                  Throwable cause =
                      failure instanceof CompletionException && failure.getCause() != null
                          ? failure.getCause()
                          : failure;
                  if (cause instanceof UncheckedIOException io
                      && (io.getCause() instanceof NoSuchFileException
                          || io.getCause() instanceof AccessDeniedException
                          || io.getCause() instanceof EOFException)) {
                    return new Served(json.notFound("no such playlist or segment"), null, null);
                  }
                  log.warn(
                      "playback: stream {}: reading part {} failed: {}",
                      streamId,
                      name,
                      cause.toString());
                  return new Served(
                      json.error(
                          StatusCodes.INTERNAL_SERVER_ERROR,
                          "read_failed",
                          "could not read the file"),
                      null,
                      null);
                }),
        this::validated);
  }

  /** {@code range}'s bytes of {@code file}; an {@link EOFException} when the file is shorter. */
  private static ByteString readRange(Path file, LowLatencyPlaylists.PartRange range) {
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
      ByteBuffer bytes = ByteBuffer.allocate(range.length());
      while (bytes.hasRemaining()) {
        if (channel.read(bytes, range.offset() + bytes.position()) < 0) {
          throw new EOFException(file.getFileName() + " ends before the part");
        }
      }
      return ByteString.fromArrayUnsafe(bytes.array()); // never written again
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The playlist with {@code ?vs=session} on each URI line and {@code URI="..."} attribute. */
  static byte[] withSession(byte[] playlist, String session) {
    String suffix = ViewerTracker.PARAMETER + "=" + session;
    StringBuilder out = new StringBuilder(playlist.length + 64);
    for (String line : new String(playlist, StandardCharsets.UTF_8).split("\n", -1)) {
      if (!line.isEmpty() && !line.startsWith("#")) {
        out.append(line.strip()).append(line.contains("?") ? "&" : "?").append(suffix);
      } else if (line.startsWith("#") && line.contains("URI=\"")) {
        int start = line.indexOf("URI=\"") + 5;
        int end = line.indexOf('"', start);
        String uri = line.substring(start, end);
        out.append(line, 0, start)
            .append(uri)
            .append(uri.contains("?") ? "&" : "?")
            .append(suffix)
            .append(line.substring(end));
      } else {
        out.append(line);
      }
      out.append('\n');
    }
    out.setLength(out.length() - 1);
    return out.toString().getBytes(StandardCharsets.UTF_8);
  }

  private Route file(String streamId, String rendition, String name) {
    boolean playlist = name.equals("index.m3u8");
    if (!StreamId.isValid(streamId)
        || (rendition != null && !RENDITION.matcher(rendition).matches())
        || (rendition == null && !playlist)
        || (!playlist && !SEGMENT.matcher(name).matches())) {
      return complete(json.notFound("no such playlist or segment"));
    }
    if (playlist) {
      Optional<PlaylistCachingStore.CachedPlaylist> cached =
          playlists.cachedPlaylist(streamId, rendition);
      if (cached.isPresent()) {
        PlaylistCachingStore.CachedPlaylist c = cached.get();
        return validated(
            new Served(
                ok(PLAYLIST, PLAYLIST_CACHE, c.bytes()), EntityTag.create(c.etag(), false), null));
      }
    }
    Path dir = segmentDir.resolve(streamId);
    Path file = rendition == null ? dir.resolve(name) : dir.resolve(rendition).resolve(name);
    ContentType type =
        playlist
            ? PLAYLIST
            : name.endsWith(".ts") ? SEGMENT_TYPE : name.endsWith(".m4s") ? PART_TYPE : INIT_TYPE;
    HttpHeader cache = playlist ? PLAYLIST_CACHE : SEGMENT_CACHE;
    // On the blocking dispatcher: a small file is read whole into a strict entity; a segment is
    // streamed in large chunks (a streamed file entity defaults to 8 KiB chunks; a whole segment in
    // one array would be a humongous allocation per request).
    return onSuccess(
        CompletableFuture.supplyAsync(() -> read(file, playlist, type, cache), blocking),
        this::validated);
  }

  /**
   * A response, with its validators when it is the file: conditional requests ({@code
   * If-None-Match}, and {@code If-Modified-Since} for segments) are answered 304, a single {@code
   * Range} 206 (416 when it is outside the file). A playlist has no {@code Last-Modified}: it can
   * change twice within the second that header counts in, and a client revalidating by date alone
   * would keep the older one.
   *
   * @param lastModified null for playlists
   */
  private record Served(HttpResponse response, EntityTag etag, DateTime lastModified) {}

  private Route validated(Served served) {
    if (served.etag() == null) {
      return complete(served.response());
    }
    Supplier<Route> ranged = () -> withRangeSupport(() -> complete(served.response()));
    return served.lastModified() == null
        ? conditional(served.etag(), ranged)
        : conditional(served.etag(), served.lastModified(), ranged);
  }

  private Served read(Path file, boolean playlist, ContentType type, HttpHeader cache) {
    try {
      BasicFileAttributes attributes = Files.readAttributes(file, BasicFileAttributes.class);
      long size = attributes.size();
      long modified = attributes.lastModifiedTime().toMillis();
      // nginx's form: modification time and size, each in hex
      EntityTag etag =
          EntityTag.create(Long.toHexString(modified) + "-" + Long.toHexString(size), false);
      HttpResponse response =
          size <= STRICT_LIMIT
              ? ok(type, cache, Files.readAllBytes(file))
              : HttpResponse.create()
                  .withEntity(HttpEntities.create(type, size, FileIO.fromPath(file, CHUNK)))
                  .addHeader(cache);
      return new Served(response, etag, playlist ? null : DateTime.create(modified));
    } catch (NoSuchFileException | AccessDeniedException e) {
      return new Served(json.notFound("no such playlist or segment"), null, null);
    } catch (IOException e) {
      log.warn("playback: reading {} failed: {}", segmentDir.relativize(file), e.toString());
      return new Served(
          json.error(StatusCodes.INTERNAL_SERVER_ERROR, "read_failed", "could not read the file"),
          null,
          null);
    }
  }

  private static HttpResponse ok(ContentType type, HttpHeader cache, byte[] bytes) {
    return HttpResponse.create().withEntity(HttpEntities.create(type, bytes)).addHeader(cache);
  }
}

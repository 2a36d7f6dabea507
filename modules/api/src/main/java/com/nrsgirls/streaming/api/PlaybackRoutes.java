package com.nrsgirls.streaming.api;

import static org.apache.pekko.http.javadsl.server.Directives.*;

import com.nrsgirls.streaming.core.stream.StreamId;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Pattern;
import org.apache.pekko.http.javadsl.model.ContentType;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.HttpMethods;
import org.apache.pekko.http.javadsl.model.MediaTypes;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.AccessControlAllowHeaders;
import org.apache.pekko.http.javadsl.model.headers.AccessControlAllowMethods;
import org.apache.pekko.http.javadsl.model.headers.AccessControlAllowOrigin;
import org.apache.pekko.http.javadsl.model.headers.AccessControlMaxAge;
import org.apache.pekko.http.javadsl.model.headers.CacheControl;
import org.apache.pekko.http.javadsl.model.headers.CacheDirectives;
import org.apache.pekko.http.javadsl.model.headers.HttpOriginRanges;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.RejectionHandler;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * HLS playback by public stream id: {@code /live/{streamId}/index.m3u8} (master), {@code
 * /live/{streamId}/{rendition}/index.m3u8} and the segments it lists, read from the segment
 * directory. Playlists get a short cache lifetime, segments are immutable, any origin may fetch.
 * Names are checked against strict patterns before they touch the file system.
 */
final class PlaybackRoutes {
  private static final Pattern RENDITION = Pattern.compile("[a-z0-9]{1,16}");
  private static final Pattern SEGMENT = Pattern.compile("[A-Za-z0-9_-]{1,64}\\.ts");
  private static final ContentType.Binary PLAYLIST =
      ContentTypes.create(MediaTypes.customBinary("application", "vnd.apple.mpegurl", true));
  private static final ContentType.Binary SEGMENT_TYPE =
      ContentTypes.create(MediaTypes.customBinary("video", "mp2t", false));
  private static final HttpHeader PLAYLIST_CACHE =
      CacheControl.create(CacheDirectives.MAX_AGE(1), CacheDirectives.PUBLIC);
  private static final HttpHeader SEGMENT_CACHE =
      CacheControl.create(
          CacheDirectives.PUBLIC, CacheDirectives.MAX_AGE(31_536_000), CacheDirectives.IMMUTABLE);
  private static final List<HttpHeader> CORS =
      List.of(
          AccessControlAllowOrigin.create(HttpOriginRanges.ALL),
          AccessControlAllowMethods.create(HttpMethods.GET, HttpMethods.HEAD, HttpMethods.OPTIONS),
          AccessControlAllowHeaders.create("Range", "Origin", "Accept"),
          AccessControlMaxAge.create(86_400));

  private final Path segmentDir;
  private final ApiJson json;
  private final RejectionHandler notFound;

  PlaybackRoutes(Path segmentDir, ApiJson json) {
    this.segmentDir = segmentDir;
    this.json = json;
    this.notFound =
        RejectionHandler.newBuilder()
            .handleNotFound(complete(json.notFound("no such playlist or segment")))
            .build();
  }

  Route route() {
    return pathPrefix(
        "live",
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
                                                () -> file(streamId, null, "index.m3u8")),
                                            path(
                                                PathMatchers.segment()
                                                    .slash(PathMatchers.segment()),
                                                (rendition, name) ->
                                                    file(streamId, rendition, name))))))));
  }

  private Route file(String streamId, String rendition, String name) {
    boolean playlist = name.equals("index.m3u8");
    if (!StreamId.isValid(streamId)
        || (rendition != null && !RENDITION.matcher(rendition).matches())
        || (rendition == null && !playlist)
        || (!playlist && !SEGMENT.matcher(name).matches())) {
      return complete(json.notFound("no such playlist or segment"));
    }
    Path dir = segmentDir.resolve(streamId);
    Path file = rendition == null ? dir.resolve(name) : dir.resolve(rendition).resolve(name);
    // getFromFile looks at the file on the blocking-IO dispatcher and rejects a missing one.
    return handleRejections(
        notFound,
        () ->
            respondWithHeader(
                playlist ? PLAYLIST_CACHE : SEGMENT_CACHE,
                () -> getFromFile(file.toFile(), playlist ? PLAYLIST : SEGMENT_TYPE)));
  }
}

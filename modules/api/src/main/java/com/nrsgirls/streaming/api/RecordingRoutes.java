package com.nrsgirls.streaming.api;

import static org.apache.pekko.http.javadsl.server.Directives.*;

import com.nrsgirls.streaming.core.stream.StreamId;
import com.nrsgirls.streaming.pipeline.recording.Recorder;
import com.nrsgirls.streaming.pipeline.recording.VodPlaylist;
import com.nrsgirls.streaming.pipeline.store.ObjectStore;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;
import org.apache.pekko.http.javadsl.model.ContentType;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.MediaTypes;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.CacheControl;
import org.apache.pekko.http.javadsl.model.headers.CacheDirectives;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Recordings, from the object store whichever it is: {@code
 * /recordings/{streamId}/{recordingId}/index.m3u8} (the VOD playlist over the fMP4 parts), the init
 * segments and parts it lists, and {@code recording.mp4}: the first init segment and every part
 * after it in one fragmented MP4 download, streamed part by part. Names are checked against strict
 * patterns before they reach the store.
 */
final class RecordingRoutes {
  private static final Logger log = LoggerFactory.getLogger(RecordingRoutes.class);
  private static final Pattern RECORDING = Pattern.compile("rec_[0-9TZ]{16}_[0-9a-f]{12}");
  private static final Pattern FILE =
      Pattern.compile("index\\.m3u8|init-\\d{1,6}\\.mp4|part-\\d{6,9}\\.m4s");
  private static final ContentType.Binary PLAYLIST =
      ContentTypes.create(MediaTypes.customBinary("application", "vnd.apple.mpegurl", true));
  private static final ContentType.Binary MP4 =
      ContentTypes.create(MediaTypes.customBinary("video", "mp4", false));
  private static final ContentType.Binary SEGMENT =
      ContentTypes.create(MediaTypes.customBinary("video", "iso.segment", false));
  private static final HttpHeader SHORT_CACHE =
      CacheControl.create(CacheDirectives.MAX_AGE(2), CacheDirectives.PUBLIC);
  private static final HttpHeader IMMUTABLE =
      CacheControl.create(
          CacheDirectives.PUBLIC, CacheDirectives.MAX_AGE(31_536_000), CacheDirectives.IMMUTABLE);
  private static final List<HttpHeader> CORS = PlaybackRoutes.CORS;

  private final ObjectStore store;
  private final ApiJson json;

  RecordingRoutes(ObjectStore store, ApiJson json) {
    this.store = store;
    this.json = json;
  }

  Route route() {
    return pathPrefix(
        "recordings",
        () ->
            respondWithHeaders(
                CORS,
                () ->
                    concat(
                        options(() -> complete(StatusCodes.NO_CONTENT)),
                        get(
                            () ->
                                pathPrefix(
                                    PathMatchers.segment().slash(PathMatchers.segment()),
                                    (streamId, recordingId) ->
                                        path(
                                            PathMatchers.segment(),
                                            name -> file(streamId, recordingId, name)))))));
  }

  private Route file(String streamId, String recordingId, String name) {
    if (!StreamId.isValid(streamId) || !RECORDING.matcher(recordingId).matches()) {
      return complete(json.notFound("no such recording"));
    }
    String prefix = Recorder.prefix(streamId, recordingId);
    if (name.equals("recording.mp4")) {
      return download(prefix);
    }
    if (!FILE.matcher(name).matches()) {
      return complete(json.notFound("no such recording file"));
    }
    boolean playlist = name.equals(VodPlaylist.NAME);
    if (playlist) {
      return onComplete(
          store.get(prefix + name),
          result -> {
            if (result.isFailure()) {
              return unavailable(prefix + name, result.failed().get());
            }
            Optional<ByteString> bytes = result.get();
            if (bytes.isEmpty()) {
              return complete(json.notFound("no such recording file"));
            }
            boolean ended = bytes.get().utf8String().contains("#EXT-X-ENDLIST");
            return complete(
                HttpResponse.create()
                    .withEntity(HttpEntities.create(PLAYLIST, bytes.get()))
                    .addHeader(ended ? IMMUTABLE : SHORT_CACHE));
          });
    }
    ContentType type = name.endsWith(".mp4") ? MP4 : SEGMENT;
    // streamed from the store as the client reads: a part is never held whole
    return onComplete(
        store.open(prefix + name),
        result -> {
          if (result.isFailure()) {
            return unavailable(prefix + name, result.failed().get());
          }
          if (result.get().isEmpty()) {
            return complete(json.notFound("no such recording file"));
          }
          ObjectStore.Body body = result.get().get();
          return withRangeSupport(
              () ->
                  complete(
                      HttpResponse.create()
                          .withEntity(HttpEntities.create(type, body.size(), body.bytes()))
                          .addHeader(IMMUTABLE)));
        });
  }

  private Route unavailable(String key, Throwable e) {
    log.warn("recordings: {} could not be read: {}", key, e.toString());
    return complete(
        json.error(StatusCodes.SERVICE_UNAVAILABLE, "unavailable", "the store did not answer"));
  }

  /** The recording as one fMP4 file: init segment 1 and the parts that use it, in order. */
  private Route download(String prefix) {
    return onComplete(
        store.get(prefix + VodPlaylist.NAME),
        result -> {
          if (result.isFailure() || result.get().isEmpty()) {
            return complete(json.notFound("no such recording"));
          }
          List<VodPlaylist.Entry> entries = VodPlaylist.parse(result.get().get().utf8String());
          if (entries.isEmpty()) {
            return complete(json.notFound("the recording has no parts"));
          }
          int init = entries.get(0).init();
          List<String> keys = new java.util.ArrayList<>();
          keys.add(prefix + VodPlaylist.initName(init));
          for (VodPlaylist.Entry e : entries) {
            if (e.init() == init) {
              keys.add(prefix + VodPlaylist.partName(e.part()));
            }
          }
          Source<ByteString, ?> body =
              Source.from(keys)
                  .flatMapConcat(
                      key ->
                          Source.completionStageSource(
                              store
                                  .open(key)
                                  .thenApply(
                                      b ->
                                          b.orElseThrow(
                                                  () ->
                                                      new IllegalStateException(
                                                          key + " is missing"))
                                              .bytes())));
          return complete(
              HttpResponse.create()
                  .withEntity(HttpEntities.createChunked(MP4, body))
                  .addHeader(
                      org.apache.pekko.http.javadsl.model.headers.ContentDisposition.create(
                          org.apache.pekko.http.javadsl.model.headers.ContentDispositionTypes
                              .ATTACHMENT,
                          java.util.Map.of("filename", "recording.mp4"))));
        });
  }
}

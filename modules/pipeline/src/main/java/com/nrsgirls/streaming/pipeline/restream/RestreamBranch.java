package com.nrsgirls.streaming.pipeline.restream;

import com.nrsgirls.streaming.core.stream.RestreamTarget;
import com.nrsgirls.streaming.pipeline.graph.Branch;
import com.nrsgirls.streaming.rtmp.RtmpUrl;
import java.net.InetSocketAddress;
import java.security.NoSuchAlgorithmException;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.stream.FlowShape;
import org.apache.pekko.stream.SinkShape;
import org.apache.pekko.stream.TLSClosing;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.GraphDSL;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Tcp;
import org.apache.pekko.util.ByteString;

/**
 * A restream target as an output of a session's graph: a {@link Branch} named {@code
 * restream-<targetId>} with a queue of its own ({@code restream.queue-packets}) that feeds the
 * stream's {@link TargetPush} to that target, which the {@link RestreamHub} keeps across sessions.
 * The fan-out supervises it like every output: when the push fails the branch fails, and is
 * attached again with capped, jittered exponential backoff on a new connection.
 */
public final class RestreamBranch {
  private static final AtomicLong FEEDS = new AtomicLong();

  private RestreamBranch() {}

  /** Opens the connection of a push: RTMP over TCP, or RTMPS through TLS. */
  interface Connector {
    Sink<SessionPacket, CompletionStage<Done>> sink(
        RtmpUrl url,
        String streamKey,
        RestreamSettings settings,
        AtomicLong bytesSent,
        CompletableFuture<Done> publishing,
        AtomicReference<Throwable> failure);
  }

  /**
   * @param credentials the target's key, or the creator's access token for its platform, opened
   *     from their seals; they go to the platform and nowhere else
   */
  public static Branch create(
      RestreamHub hub,
      String streamId,
      String sessionId,
      RestreamTarget target,
      RestreamHub.Credentials credentials) {
    RtmpUrl.parse(target.url()); // a target whose URL cannot work fails here, not at each retry
    return new Branch(
        target.outputName(),
        () -> {
          TargetPush push = hub.push(streamId, target, credentials);
          // each feed is stitched on afresh at its first keyframe, a restart's too
          String feed = sessionId + "/" + FEEDS.incrementAndGet();
          return Flow.fromGraph(new SessionFeed(feed, push)).toMat(push.hub(), Keep.left());
        },
        hub.settings().queuePackets(),
        hub.bytesSent(streamId, target.targetId()));
  }

  /** Pushes over Pekko TCP (and TLS for {@code rtmps://}). */
  static Connector tcp(ActorSystem<?> system) {
    return (url, streamKey, settings, bytesSent, publishing, failure) -> {
      Flow<ByteString, ByteString, ?> connection = connection(system, url, settings);
      return Sink.fromGraph(
          GraphDSL.create(
              new RtmpPushStage(url, streamKey, settings, bytesSent, publishing, failure),
              (b, push) -> {
                FlowShape<ByteString, ByteString> socket = b.add(connection);
                b.from(push.out()).via(socket).toInlet(push.in1());
                return new SinkShape<>(push.in0());
              }));
    };
  }

  private static Flow<ByteString, ByteString, ?> connection(
      ActorSystem<?> system, RtmpUrl url, RestreamSettings settings) {
    InetSocketAddress address = InetSocketAddress.createUnresolved(url.host(), url.port());
    Tcp tcp = Tcp.get(system);
    if (!url.tls()) {
      return tcp.outgoingConnection(
          address,
          Optional.empty(),
          List.of(),
          true,
          Optional.of(settings.connectTimeout()),
          Optional.empty());
    }
    return tcp.outgoingConnectionWithTls(
        address,
        () -> tlsEngine(url, settings),
        Optional.empty(),
        List.of(),
        Optional.of(settings.connectTimeout()),
        Optional.empty(),
        session -> Optional.empty(), // the engine verified the host name in the handshake
        TLSClosing.eagerClose());
  }

  /** A client engine that checks the server's certificate and that it names the host (SNI on). */
  private static SSLEngine tlsEngine(RtmpUrl url, RestreamSettings settings) {
    try {
      SSLContext context =
          settings.tlsContext() != null ? settings.tlsContext() : SSLContext.getDefault();
      SSLEngine engine = context.createSSLEngine(url.host(), url.port());
      engine.setUseClientMode(true);
      SSLParameters parameters = engine.getSSLParameters();
      parameters.setEndpointIdentificationAlgorithm("HTTPS");
      engine.setSSLParameters(parameters);
      return engine;
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("no TLS in this JVM", e);
    }
  }
}

package com.nrsgirls.streaming.pipeline.restream;

import com.nrsgirls.streaming.core.media.MediaPacket;
import com.nrsgirls.streaming.core.stream.RestreamTarget;
import com.nrsgirls.streaming.pipeline.graph.Branch;
import com.nrsgirls.streaming.rtmp.RtmpUrl;
import java.net.InetSocketAddress;
import java.security.NoSuchAlgorithmException;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicLong;
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
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Tcp;
import org.apache.pekko.util.ByteString;

/**
 * A restream target as an output of the stream's graph: a {@link Branch} named {@code
 * restream-<targetId>} with a queue of its own ({@code restream.queue-packets}) whose sink pushes
 * to the target over RTMP, or RTMPS through TLS ({@link RtmpPushStage} joined to a Pekko TCP
 * connection). The fan-out supervises it like every output: a failed push is attached again with
 * capped, jittered exponential backoff, and starts over at a keyframe on a new connection.
 */
public final class RestreamBranch {
  private RestreamBranch() {}

  /**
   * @param streamKey the target's key, opened from its seal; it goes to the server and nowhere else
   */
  public static Branch create(
      ActorSystem<?> system, RestreamTarget target, String streamKey, RestreamSettings settings) {
    RtmpUrl url = RtmpUrl.parse(target.url());
    AtomicLong bytesSent = new AtomicLong();
    return new Branch(
        target.outputName(),
        () -> sink(system, url, streamKey, settings, bytesSent),
        settings.queuePackets(),
        bytesSent::get);
  }

  static Sink<MediaPacket, CompletionStage<Done>> sink(
      ActorSystem<?> system,
      RtmpUrl url,
      String streamKey,
      RestreamSettings settings,
      AtomicLong bytesSent) {
    Flow<ByteString, ByteString, ?> connection = connection(system, url, settings);
    return Sink.fromGraph(
        GraphDSL.create(
            new RtmpPushStage(url, streamKey, settings, bytesSent),
            (b, push) -> {
              FlowShape<ByteString, ByteString> socket = b.add(connection);
              b.from(push.out()).via(socket).toInlet(push.in1());
              return new SinkShape<>(push.in0());
            }));
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
        () -> tlsEngine(url),
        Optional.empty(),
        List.of(),
        Optional.of(settings.connectTimeout()),
        Optional.empty(),
        session -> Optional.empty(), // the engine verified the host name in the handshake
        TLSClosing.eagerClose());
  }

  /** A client engine that checks the server's certificate and that it names the host (SNI on). */
  private static SSLEngine tlsEngine(RtmpUrl url) {
    try {
      SSLEngine engine = SSLContext.getDefault().createSSLEngine(url.host(), url.port());
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

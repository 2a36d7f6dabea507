package com.nrsgirls.streaming.ingest;

import com.nrsgirls.streaming.core.net.ProxyHeader;
import com.nrsgirls.streaming.core.net.ProxyProtocolException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.apache.pekko.stream.Attributes;
import org.apache.pekko.stream.FlowShape;
import org.apache.pekko.stream.Inlet;
import org.apache.pekko.stream.Outlet;
import org.apache.pekko.stream.stage.GraphStage;
import org.apache.pekko.stream.stage.GraphStageLogic;
import org.apache.pekko.stream.stage.InHandler;
import org.apache.pekko.stream.stage.OutHandler;
import org.apache.pekko.stream.stage.TimerGraphStageLogic;
import org.apache.pekko.util.ByteString;

/**
 * The first stage of a connection behind a load balancer: reads the PROXY protocol header ({@link
 * ProxyHeader}) from the incoming bytes, completes {@code client} with the address it names (the
 * TCP peer's when it names none), then passes everything after it on untouched. It reads before
 * anyone downstream asks (the connection's stage is only made once the client is known). A header
 * that is malformed, or not complete within {@code timeout}, fails the stage and {@code client}
 * with a {@link ProxyProtocolException}: the connection is closed.
 */
final class ProxyHeaderStage extends GraphStage<FlowShape<ByteString, ByteString>> {
  private final Inlet<ByteString> in = Inlet.create("ProxyHeader.in");
  private final Outlet<ByteString> out = Outlet.create("ProxyHeader.out");
  private final FlowShape<ByteString, ByteString> shape = FlowShape.of(in, out);
  private final InetSocketAddress peer;
  private final Duration timeout;
  private final CompletableFuture<InetSocketAddress> client;

  ProxyHeaderStage(
      InetSocketAddress peer, Duration timeout, CompletableFuture<InetSocketAddress> client) {
    this.peer = peer;
    this.timeout = timeout;
    this.client = client;
  }

  @Override
  public FlowShape<ByteString, ByteString> shape() {
    return shape;
  }

  @Override
  public GraphStageLogic createLogic(Attributes inheritedAttributes) {
    return new TimerGraphStageLogic(shape) {
      private ByteString header = ByteString.emptyByteString();
      private ByteString rest; // what followed the header, until downstream asks for it
      private boolean parsed;

      {
        setHandler(
            in,
            new InHandler() {
              @Override
              public void onPush() {
                ByteString bytes = grab(in);
                if (parsed) {
                  push(out, bytes);
                } else {
                  header = header.concat(bytes);
                  read();
                }
              }

              @Override
              public void onUpstreamFinish() {
                if (parsed) {
                  if (rest == null) {
                    completeStage();
                  }
                } else {
                  fail("the connection closed before its PROXY header was complete");
                }
              }
            });
        setHandler(
            out,
            new OutHandler() {
              @Override
              public void onPull() {
                if (!parsed) {
                  return; // reading the header already
                }
                onPullAfterHeader();
              }
            });
      }

      @Override
      public void preStart() {
        scheduleOnce("header-timeout", timeout);
        pull(in);
      }

      @Override
      public void onTimer(Object key) {
        if (!parsed) {
          fail("no complete PROXY header within " + timeout);
        }
      }

      private void read() {
        ProxyHeader.Parsed p;
        try {
          p = ProxyHeader.parse(header.asByteBuffer());
        } catch (ProxyProtocolException e) {
          fail(e.getMessage());
          return;
        }
        if (p == null) {
          pull(in);
          return;
        }
        parsed = true;
        cancelTimer("header-timeout");
        ByteString after = header.drop(p.length());
        header = null;
        if (!after.isEmpty()) {
          rest = after;
        }
        client.complete(p.source() != null ? p.source() : peer);
        if (isAvailable(out)) {
          onPullAfterHeader();
        }
      }

      private void onPullAfterHeader() {
        if (rest != null) {
          ByteString r = rest;
          rest = null;
          push(out, r);
          if (isClosed(in)) {
            completeStage();
          }
        } else if (isClosed(in)) {
          completeStage();
        } else if (!hasBeenPulled(in)) {
          pull(in);
        }
      }

      private void fail(String reason) {
        ProxyProtocolException e = new ProxyProtocolException(reason);
        client.completeExceptionally(e);
        failStage(e);
      }
    };
  }
}

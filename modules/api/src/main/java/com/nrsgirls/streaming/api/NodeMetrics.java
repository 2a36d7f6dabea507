package com.nrsgirls.streaming.api;

import com.nrsgirls.streaming.core.stream.HealthStats;
import com.nrsgirls.streaming.core.stream.OutputStatus;
import com.nrsgirls.streaming.ingest.IngestMetrics;
import com.nrsgirls.streaming.pipeline.graph.HlsBranch;
import com.nrsgirls.streaming.pipeline.graph.OutputListener;
import com.nrsgirls.streaming.pipeline.hls.PublishedSegment;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntSupplier;
import java.util.function.LongSupplier;
import java.util.function.ToDoubleFunction;

/**
 * The node's Prometheus metrics: ingest connections, protocol errors and publishes by reason, bytes
 * in, HLS segments published, what the HLS branches repaired or lost (dropped and malformed frames,
 * moved timestamps, split segments, failed writes), the sessions' outputs by state and their
 * failures, pictures the ABR ladders encoded, HTTP connections the server closed (refused or over a
 * deadline) and requests refused before routing, and the JVM's own.
 */
final class NodeMetrics
    implements IngestMetrics, HlsBranch.SegmentListener, OutputListener, AlertWebhooks.Listener {
  private final PrometheusMeterRegistry registry =
      new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final AtomicInteger openConnections = new AtomicInteger();
  private final Counter bytesIn;
  private final Counter segments;
  private final DistributionSummary segmentBytes;
  private final Map<String, AtomicInteger> outputs = new ConcurrentHashMap<>();
  private final Map<String, Counter> outputDrops = new ConcurrentHashMap<>();

  NodeMetrics() {
    new JvmMemoryMetrics().bindTo(registry);
    new JvmGcMetrics().bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    registry.gauge("nrs_rtmp_connections_open", openConnections);
    bytesIn = registry.counter("nrs_rtmp_bytes_received");
    segments = registry.counter("nrs_hls_segments_published");
    segmentBytes =
        DistributionSummary.builder("nrs_hls_segment_bytes").baseUnit("bytes").register(registry);
    for (int status : new int[] {400, 413, 414, 431, 501, 505}) {
      FunctionCounter.builder(
              "nrs_http_requests_refused_before_routing",
              JsonParsingErrorHandler.refused(),
              refused -> {
                var count = refused.get(status);
                return count == null ? 0 : count.sum();
              })
          .tag("status", String.valueOf(status))
          .register(registry);
    }
  }

  /**
   * Pekko's side of the node: cluster members by status as this node sees them ({@code
   * nrs_cluster_members}), unreachable ones, whether it leads, the live sessions whose graphs run
   * here, and each projection instance running here with how far it trails its tag ({@code
   * nrs_projection_lag_positions}, journal positions; 0 when caught up).
   */
  void bindPekko(org.apache.pekko.actor.typed.ActorSystem<?> system, JournalDb journal) {
    org.apache.pekko.cluster.Cluster cluster =
        org.apache.pekko.cluster.Cluster.get(system.classicSystem());
    for (String status : List.of("Joining", "WeaklyUp", "Up", "Leaving", "Exiting", "Down")) {
      Gauge.builder(
              "nrs_cluster_members",
              cluster,
              c -> {
                int n = 0;
                for (org.apache.pekko.cluster.Member m : c.state().getMembers()) {
                  if (m.status().toString().equals(status)) {
                    n++;
                  }
                }
                return n;
              })
          .tag("status", status)
          .register(registry);
    }
    Gauge.builder(
            "nrs_cluster_unreachable_members", cluster, c -> c.state().getUnreachable().size())
        .register(registry);
    Gauge.builder(
            "nrs_cluster_leader",
            cluster,
            c -> cluster.selfAddress().equals(c.state().getLeader()) ? 1 : 0)
        .register(registry);
    Gauge.builder("nrs_streams_live", streams, Map::size).register(registry);
    io.micrometer.core.instrument.MultiGauge lag =
        io.micrometer.core.instrument.MultiGauge.builder("nrs_projection_lag_positions")
            .register(registry);
    system
        .scheduler()
        .scheduleWithFixedDelay(
            Duration.ofSeconds(1),
            Duration.ofSeconds(5),
            () -> {
              List<io.micrometer.core.instrument.MultiGauge.Row<?>> rows = new ArrayList<>();
              journal
                  .lag()
                  .forEach(
                      (key, positions) -> {
                        String[] nameTag = key.split(" ", 2);
                        rows.add(
                            io.micrometer.core.instrument.MultiGauge.Row.of(
                                io.micrometer.core.instrument.Tags.of(
                                    "projection", nameTag[0], "tag", nameTag[1]),
                                positions));
                      });
              lag.register(rows, true);
            },
            system.executionContext());
  }

  /** Reports the HTTP server's open connections as {@code nrs_http_connections_open}. */
  void httpConnectionsOpen(IntSupplier open) {
    Gauge.builder("nrs_http_connections_open", open::getAsInt).register(registry);
  }

  /**
   * WebRTC: {@code nrs_webrtc_sessions} (WHIP publishers) and {@code nrs_webrtc_viewers} (WHEP)
   * open now, {@code nrs_webrtc_outputs} (streams with a WebRTC output here), and {@code
   * nrs_webrtc_udp_dropped_total{reason}} for what the shared UDP port dropped (malformed,
   * unknown-session, unknown-address, other).
   */
  void webrtc(
      com.nrsgirls.streaming.ingest.whip.WhipIngest whip,
      com.nrsgirls.streaming.pipeline.webrtc.WhepHub whep) {
    Gauge.builder("nrs_webrtc_sessions", whip::sessions).register(registry);
    Gauge.builder("nrs_webrtc_viewers", whep::viewers)
        .description("WHEP viewers connected or connecting")
        .register(registry);
    Gauge.builder("nrs_webrtc_outputs", whep::feeds)
        .description("streams with a WebRTC output on this node")
        .register(registry);
    FunctionCounter.builder("nrs_webrtc_udp_dropped", whip, w -> w.drops().malformed())
        .tag("reason", "malformed")
        .register(registry);
    FunctionCounter.builder("nrs_webrtc_udp_dropped", whip, w -> w.drops().unknownSession())
        .tag("reason", "unknown-session")
        .register(registry);
    FunctionCounter.builder("nrs_webrtc_udp_dropped", whip, w -> w.drops().unknownAddress())
        .tag("reason", "unknown-address")
        .register(registry);
    FunctionCounter.builder("nrs_webrtc_udp_dropped", whip, w -> w.drops().other())
        .tag("reason", "other")
        .register(registry);
  }

  /** The HTTP server closed a connection: {@code reason} as {@link HttpServer.Listener} says. */
  void httpConnectionClosed(String reason) {
    registry.counter("nrs_http_connections_closed", "reason", reason).increment();
  }

  /** Reports the pictures the node's ABR ladders encoded as {@code nrs_abr_frames_encoded}. */
  void abrFramesEncoded(LongSupplier frames) {
    FunctionCounter.builder("nrs_abr_frames_encoded", frames, f -> (double) f.getAsLong())
        .register(registry);
  }

  @Override
  public void outputStateChanged(String output, String from, String to) {
    if (from != null) {
      outputsIn(output, from).decrementAndGet();
    }
    if (to != null) {
      outputsIn(output, to).incrementAndGet();
      if (OutputStatus.RETRYING.equals(to) || OutputStatus.FAILED.equals(to)) {
        registry.counter("nrs_output_failures", "output", output).increment();
      }
    }
  }

  @Override
  public void outputDropped(String output, int packets) {
    outputDrops
        .computeIfAbsent(
            output, o -> registry.counter("nrs_output_packets_dropped", "output", output))
        .increment(packets);
  }

  /** How many outputs named {@code output} are in {@code state} now: {@code nrs_outputs}. */
  private AtomicInteger outputsIn(String output, String state) {
    return outputs.computeIfAbsent(
        output + "|" + state,
        key -> {
          AtomicInteger count = new AtomicInteger();
          Gauge.builder("nrs_outputs", count, AtomicInteger::get)
              .tag("output", output)
              .tag("state", state)
              .register(registry);
          return count;
        });
  }

  PrometheusMeterRegistry registry() {
    return registry;
  }

  @Override
  public void connectionOpened() {
    openConnections.incrementAndGet();
    registry.counter("nrs_rtmp_connections_opened").increment();
  }

  @Override
  public void connectionClosed(String reason, Duration duration, long bytes) {
    openConnections.decrementAndGet();
    registry.counter("nrs_rtmp_connections_closed", "reason", reason).increment();
  }

  @Override
  public void connectionRefused(String reason) {
    registry.counter("nrs_rtmp_connections_refused", "reason", reason).increment();
  }

  @Override
  public void protocolError(String reason) {
    registry.counter("nrs_rtmp_protocol_errors", "reason", reason).increment();
  }

  @Override
  public void publishAccepted() {
    registry.counter("nrs_rtmp_publishes", "result", "accepted", "reason", "none").increment();
  }

  @Override
  public void publishResumed() {
    registry.counter("nrs_rtmp_publishes", "result", "resumed", "reason", "node-lost").increment();
  }

  @Override
  public void publishRejected(String reason) {
    registry.counter("nrs_rtmp_publishes", "result", "rejected", "reason", reason).increment();
  }

  @Override
  public void bytesIn(long bytes) {
    bytesIn.increment(bytes);
  }

  @Override
  public void segmentPublished(String streamId, PublishedSegment segment) {
    segments.increment();
    segmentBytes.record(segment.bytes());
  }

  @Override
  public void repairs(String streamId, HlsBranch.Repairs delta) {
    repair("dropped-frame", delta.droppedFrames());
    repair("timestamp-moved", delta.timestampsMoved());
    repair("split-segment", delta.splitSegments());
    repair("malformed-frame", delta.malformedFrames());
    repair("failed-write", delta.failedWrites());
  }

  private void repair(String kind, long count) {
    if (count > 0) {
      registry.counter("nrs_hls_repairs", "kind", kind).increment(count);
    }
  }

  @Override
  public void delivered(String result) {
    registry.counter("nrs_alert_webhook_calls", "result", result).increment();
  }

  // ---- per-stream health ------------------------------------------------------------------------

  /** The health series of the streams whose graphs run on this node, by stream id. */
  private final Map<String, StreamSeries> streams = new ConcurrentHashMap<>();

  @Override
  public void health(String streamId, String sessionId, HealthStats stats) {
    streams.compute(
                streamId,
                (id, old) -> {
                  if (old != null && old.sessionId.equals(sessionId)) {
                    return old;
                  }
                  if (old != null) {
                    old.remove();
                  }
                  return new StreamSeries(id, sessionId);
                })
            .stats =
        stats;
  }

  @Override
  public void sessionClosed(String streamId, String sessionId) {
    streams.computeIfPresent(
        streamId,
        (id, old) -> {
          if (!old.sessionId.equals(sessionId)) {
            return old;
          }
          old.remove();
          return null;
        });
  }

  /**
   * One live session's gauges, labelled with its stream id, read from its latest health snapshot;
   * removed when the session's graph closes, so an ended stream leaves no series behind.
   */
  private final class StreamSeries {
    final String sessionId;
    volatile HealthStats stats;
    final List<Meter> meters = new ArrayList<>();

    StreamSeries(String streamId, String sessionId) {
      this.sessionId = sessionId;
      bits(streamId, "all", h -> h.bitrateKbps());
      bits(streamId, "video", h -> h.videoBitrateKbps());
      bits(streamId, "audio", h -> h.audioBitrateKbps());
      gauge("nrs_stream_video_fps", streamId, h -> h.fps());
      gauge(
          "nrs_stream_keyframe_interval_seconds", streamId, h -> h.keyframeIntervalMillis() / 1e3);
      gauge("nrs_stream_av_drift_seconds", streamId, h -> h.avDriftMillis() / 1e3);
      gauge("nrs_stream_media_gap_seconds", streamId, h -> h.mediaGapMillis() / 1e3);
      gauge("nrs_stream_ingest_lag_seconds", streamId, h -> h.ingestLagMillis() / 1e3);
      gauge(
          "nrs_stream_segment_latency_seconds",
          streamId,
          h -> h.segmentLatencyMillis() < 0 ? Double.NaN : h.segmentLatencyMillis() / 1e3);
      gauge("nrs_stream_packets_dropped", streamId, h -> h.packetsDropped());
      gauge("nrs_stream_received_bytes", streamId, h -> h.bytesReceived());
    }

    private void bits(String streamId, String track, ToDoubleFunction<HealthStats> kbps) {
      meters.add(
          Gauge.builder("nrs_stream_ingest_bits_per_second", this, s -> read(s, kbps) * 1000)
              .tag("stream_id", streamId)
              .tag("track", track)
              .register(registry));
    }

    private void gauge(String name, String streamId, ToDoubleFunction<HealthStats> value) {
      meters.add(
          Gauge.builder(name, this, s -> read(s, value))
              .tag("stream_id", streamId)
              .register(registry));
    }

    private static double read(StreamSeries s, ToDoubleFunction<HealthStats> value) {
      HealthStats h = s.stats;
      return h == null ? Double.NaN : value.applyAsDouble(h);
    }

    void remove() {
      meters.forEach(registry::remove);
    }
  }
}

package com.nrsgirls.streaming.api;

import static org.apache.pekko.http.javadsl.server.Directives.concat;

import com.nrsgirls.streaming.api.chat.ChatMetrics;
import com.nrsgirls.streaming.api.chat.ChatRoom;
import com.nrsgirls.streaming.api.chat.ChatSettings;
import com.nrsgirls.streaming.api.chat.ChatSockets;
import com.nrsgirls.streaming.api.chat.ChatToken;
import com.nrsgirls.streaming.core.secret.SecretSeal;
import com.nrsgirls.streaming.ingest.IngestSettings;
import com.nrsgirls.streaming.ingest.RtmpServer;
import com.nrsgirls.streaming.ingest.whip.WhipIngest;
import com.nrsgirls.streaming.ingest.whip.WhipSettings;
import com.nrsgirls.streaming.pipeline.abr.AbrSettings;
import com.nrsgirls.streaming.pipeline.graph.GraphSettings;
import com.nrsgirls.streaming.pipeline.graph.StreamGraphs;
import com.nrsgirls.streaming.pipeline.hls.LocalSegmentStore;
import com.nrsgirls.streaming.pipeline.hls.LowLatencyPlaylists;
import com.nrsgirls.streaming.pipeline.hls.LowLatencySettings;
import com.nrsgirls.streaming.pipeline.hls.MirroringSegmentStore;
import com.nrsgirls.streaming.pipeline.hls.PlaylistCachingStore;
import com.nrsgirls.streaming.pipeline.hls.SegmentStore;
import com.nrsgirls.streaming.pipeline.recording.Recorder;
import com.nrsgirls.streaming.pipeline.recording.RecordingSettings;
import com.nrsgirls.streaming.pipeline.restream.RestreamSettings;
import com.nrsgirls.streaming.pipeline.restream.platform.PlatformClients;
import com.nrsgirls.streaming.pipeline.store.ObjectStore;
import com.nrsgirls.streaming.pipeline.store.ObjectStores;
import com.nrsgirls.streaming.pipeline.stream.LiveStream;
import com.nrsgirls.streaming.pipeline.stream.LiveStreamSettings;
import com.nrsgirls.streaming.pipeline.webrtc.WhepHub;
import com.nrsgirls.streaming.pipeline.webrtc.WhepSettings;
import com.typesafe.config.Config;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.pekko.Done;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One NRS Streaming node: the actor system and its cluster membership, the journal schema, the
 * sharded {@code LiveStream} entities with their media graphs, the RTMP server and the HTTP server
 * (operator API, HLS playback, health, metrics). {@link #start} brings them up in that order and
 * completes once the node is ready; CoordinatedShutdown takes them down.
 */
public final class NrsNode {
  private static final Logger log = LoggerFactory.getLogger(NrsNode.class);
  public static final String SYSTEM_NAME = "nrs-streaming";

  private final ActorSystem<Void> system;
  private final RtmpServer rtmp;
  private final WhipIngest whip;
  private final WhepHub whep;
  private final HttpServer http;
  private final AdminToken adminToken;

  private NrsNode(
      ActorSystem<Void> system,
      RtmpServer rtmp,
      WhipIngest whip,
      WhepHub whep,
      HttpServer http,
      AdminToken token) {
    this.system = system;
    this.rtmp = rtmp;
    this.whip = whip;
    this.whep = whep;
    this.http = http;
    this.adminToken = token;
  }

  /** Starts a node; the stage completes when it is ready, or fails (and the node is gone). */
  public static CompletionStage<NrsNode> start(Config config) {
    try {
      DataDirectory.prepare(config);
    } catch (IOException e) {
      return CompletableFuture.failedFuture(e);
    }
    ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), SYSTEM_NAME, config);
    AtomicBoolean ready = new AtomicBoolean();
    CompletionStage<NrsNode> node;
    try {
      node = boot(system, config, ready);
    } catch (RuntimeException | IOException e) {
      node = CompletableFuture.failedFuture(e);
    }
    return node.whenComplete(
        (ok, err) -> {
          if (err != null) {
            log.error("node failed to start: {}", err.toString());
            system.terminate();
          }
        });
  }

  private static CompletionStage<NrsNode> boot(
      ActorSystem<Void> system, Config config, AtomicBoolean ready) throws IOException {
    ApiSettings api = ApiSettings.create(config);
    Cluster cluster = Cluster.get(system);
    if (config.getStringList("pekko.cluster.seed-nodes").isEmpty()) {
      cluster.manager().tell(Join.create(cluster.selfMember().address()));
    }
    Address self = cluster.selfMember().address();
    String nodeName = self.getHost().orElse("local") + ":" + self.getPort().orElse(0);

    AdminToken token = AdminToken.load(api.adminToken(), api.dataDir());
    SecretSeal seal =
        MasterKey.load(
            Optional.of(config.getString("nrs.streaming.secrets.master-key"))
                .filter(k -> !k.isBlank()),
            api.dataDir());
    NodeMetrics metrics = new NodeMetrics();
    Clock clock = Clock.systemUTC();
    ObjectStore objects = ObjectStores.create(system, config);
    system.log().info("object store: {}", objects.describe());
    SegmentStore segments = new LocalSegmentStore(api.segmentDir());
    if (config.getBoolean("nrs.streaming.pipeline.hls.to-object-store")) {
      segments = new MirroringSegmentStore(segments, objects);
    }
    PlaylistCachingStore store = new PlaylistCachingStore(segments, clock);
    Recorder recorder = new Recorder(system, RecordingSettings.from(config), objects);
    StreamGraphs graphs =
        new StreamGraphs(
            system,
            GraphSettings.create(config),
            StreamGraphs.hlsSettings(config),
            AbrSettings.create(config),
            store,
            clock,
            metrics,
            metrics,
            List.of(),
            RestreamSettings.create(config),
            PlatformClients.create(config),
            seal,
            recorder);
    metrics.abrFramesEncoded(graphs::abrFramesEncoded);
    LowLatencyPlaylists lowLatency = new LowLatencyPlaylists();
    LowLatencySettings lowLatencySettings = LowLatencySettings.create(config);
    graphs.serveLowLatency(lowLatencySettings, lowLatency);
    ClusterSharding sharding = ClusterSharding.get(system);
    ApiJson json = new ApiJson(system);
    IngestSettings ingestSettings = IngestSettings.create(config);
    AtomicReference<PublicUrls> urls = new AtomicReference<>();
    JournalDb journalDb = new JournalDb(system);
    DirectoryProjection directoryProjection = new DirectoryProjection(system, journalDb);
    metrics.bindPekko(system, journalDb);
    ViewerTracker viewerTracker =
        new ViewerTracker(
            system,
            config.getDuration("nrs.streaming.api.viewer-report-interval"),
            seal.derive("hls viewer sessions"));
    KafkaEvents kafkaEvents =
        new KafkaEvents(system, journalDb, KafkaEvents.Settings.create(config), json.mapper());
    AlertWebhooks alertWebhooks =
        new AlertWebhooks(
            system, journalDb, AlertWebhooks.Settings.create(config), json.mapper(), metrics);
    StreamDirectory directory =
        new StreamDirectory(system, api.askTimeout(), json.mapper(), directoryProjection);
    AtomicReference<String> internalHttpUrl = new AtomicReference<>();
    ClusterStatus clusterStatus = new ClusterStatus(system);
    ChatSettings chatSettings = ChatSettings.create(config);
    ChatMetrics chatMetrics = new ChatMetrics(metrics.registry());
    ChatRoutes chat =
        new ChatRoutes(
            system,
            new ChatSockets(system, chatSettings, chatMetrics),
            new ChatToken(seal.derive("chat tokens")),
            directory,
            json,
            clock);
    ClusterPlayback clusterPlayback =
        new ClusterPlayback(
            system,
            directory,
            nodeName,
            config.getDuration("nrs.streaming.cluster.playback-owner-ttl"),
            config.getDuration("nrs.streaming.cluster.playback-owner-lookup-timeout"),
            config.getDuration("nrs.streaming.cluster.playback-forward-timeout"));
    // The schema first: sharding reads the entities it remembers from the journal as it starts.
    return JournalSchema.migrate(system, config)
        .thenCompose(
            done -> {
              try {
                DataDirectory.restrictJournalFiles(config);
              } catch (IOException e) {
                throw new UncheckedIOException(e);
              }
              LiveStream.init(
                  system,
                  new LiveStream.Dependencies(
                      graphs,
                      LiveStreamSettings.create(config),
                      clock,
                      () -> nodeName,
                      internalHttpUrl::get,
                      clusterStatus::othersUp));
              ChatRoom.init(system, chatSettings, chatMetrics, clock);
              directoryProjection.start();
              alertWebhooks.start();
              kafkaEvents.start();
              return RtmpServer.start(
                  system,
                  ingestSettings,
                  new ShardedPublishGateway(sharding, directory, ingestSettings.publishTimeout()),
                  metrics,
                  nodeName);
            })
        .thenCompose(
            rtmp -> {
              WhipSettings webrtc = WhipSettings.create(config);
              WhipIngest whip;
              try {
                whip =
                    WhipIngest.start(
                        system,
                        webrtc,
                        new ShardedPublishGateway(
                            sharding, directory, ingestSettings.publishTimeout()),
                        metrics,
                        nodeName);
              } catch (IOException e) {
                rtmp.stop();
                throw new UncheckedIOException("the WebRTC UDP port: " + e.getMessage(), e);
              }
              WhepHub whep =
                  new WhepHub(
                      WhepSettings.create(config, webrtc.candidate(), webrtc.candidatePort(0)),
                      whip.port());
              graphs.serveWebrtc(whep);
              metrics.webrtc(whip, whep);
              var routes =
                  concat(
                      new NodeRoutes(
                              () -> ready.get() && clusterStatus.selfUp(), metrics.registry())
                          .route(),
                      new PlaybackRoutes(
                              api.segmentDir(),
                              store,
                              system.dispatchers().lookup(DispatcherSelector.blocking()),
                              json,
                              clusterPlayback,
                              viewerTracker,
                              lowLatency,
                              lowLatencySettings.enabled(),
                              new PartCache(config.getBytes("nrs.streaming.api.part-cache")))
                          .route(),
                      new RecordingRoutes(objects, json).route(),
                      new WhipRoutes(whip, json).route(),
                      new WhepRoutes(whep, json, clusterPlayback).route(),
                      chat.socket(),
                      new StreamRoutes(
                              directory,
                              json,
                              token,
                              urls::get,
                              seal,
                              clusterStatus,
                              kafkaEvents,
                              alertWebhooks,
                              chat)
                          .route());
              return HttpServer.start(system, api, routes, metrics::httpConnectionClosed)
                  .thenApply(
                      binding -> {
                        urls.set(publicUrls(api, rtmp.localAddress(), binding.localAddress()));
                        String internal =
                            config.getString("nrs.streaming.cluster.internal-http-url");
                        internalHttpUrl.set(
                            internal.isBlank()
                                ? "http://"
                                    + self.getHost().orElse("127.0.0.1")
                                    + ":"
                                    + binding.localAddress().getPort()
                                : internal.replaceAll("/+$", ""));
                        metrics.httpConnectionsOpen(binding::openConnections);
                        NrsNode node = new NrsNode(system, rtmp, whip, whep, binding, token);
                        node.registerShutdown(graphs);
                        ready.set(true);
                        log.info(
                            "NRS node ready: rtmp={} http={} webrtc-udp={} cluster={} data={}",
                            urls.get().ingestUrl(),
                            urls.get().httpBase(),
                            whip.udpAddress(),
                            nodeName,
                            api.dataDir().toAbsolutePath());
                        return node;
                      });
            });
  }

  private static PublicUrls publicUrls(
      ApiSettings api, InetSocketAddress rtmp, InetSocketAddress http) {
    String host = api.bindAddress().equals("0.0.0.0") ? "127.0.0.1" : api.bindAddress();
    return new PublicUrls(
        api.publicHttpUrl().orElse("http://" + host + ":" + http.getPort()),
        api.publicRtmpUrl().orElse("rtmp://" + host + ":" + rtmp.getPort()));
  }

  private void registerShutdown(StreamGraphs graphs) {
    CoordinatedShutdown shutdown = CoordinatedShutdown.get(system);
    shutdown.addTask(
        CoordinatedShutdown.PhaseBeforeServiceUnbind(),
        "sessions-end-with-the-node",
        () -> {
          graphs.nodeStopping();
          return CompletableFuture.completedFuture(Done.getInstance());
        });
    shutdown.addTask(
        CoordinatedShutdown.PhaseServiceUnbind(),
        "rtmp-unbind",
        () -> rtmp.stop().exceptionally(e -> Done.getInstance()));
    shutdown.addTask(
        CoordinatedShutdown.PhaseServiceUnbind(),
        "webrtc-stop",
        () -> {
          whep.close(); // its viewers first: WHIP owns the port they share
          whip.close();
          return CompletableFuture.completedFuture(Done.getInstance());
        });
    shutdown.addTask(
        CoordinatedShutdown.PhaseServiceUnbind(),
        "http-unbind",
        () -> http.unbind().exceptionally(e -> Done.getInstance()));
    shutdown.addTask(
        CoordinatedShutdown.PhaseServiceRequestsDone(),
        "sessions-settle",
        () ->
            graphs
                .sessionsSettled()
                .toCompletableFuture()
                .completeOnTimeout(Done.getInstance(), 4, TimeUnit.SECONDS));
    shutdown.addTask(
        CoordinatedShutdown.PhaseServiceStop(),
        "http-terminate",
        () -> http.terminate(Duration.ofSeconds(3)).thenApply(t -> Done.getInstance()));
  }

  public ActorSystem<Void> system() {
    return system;
  }

  public InetSocketAddress rtmpAddress() {
    return rtmp.localAddress();
  }

  /** The UDP port every WebRTC session of the node shares. */
  public InetSocketAddress webrtcAddress() {
    return whip.udpAddress();
  }

  public InetSocketAddress httpAddress() {
    return http.localAddress();
  }

  public AdminToken adminToken() {
    return adminToken;
  }

  /** Stops the node the way CoordinatedShutdown does; completes when the system is gone. */
  public CompletionStage<Done> stop() {
    system.terminate();
    return system.getWhenTerminated();
  }
}

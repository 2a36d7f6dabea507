package com.nrsgirls.streaming.api;

import static com.nrsgirls.streaming.core.stream.LiveStreamProtocol.ENTITY_TYPE_KEY;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.stream.StreamSupport;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.sharding.ShardRegion;
import org.apache.pekko.cluster.sharding.typed.GetClusterShardingStats;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.typed.Cluster;

/**
 * The cluster as this node sees it, for the operator API ({@code GET /api/v1/cluster}) and for
 * readiness: a node is ready for traffic once it is {@code Up} in the cluster (before that,
 * sharding holds every request to a stream).
 */
final class ClusterStatus {
  /** Above the regions' own per-shard query timeout ({@code shard-region-query-timeout}, 3 s). */
  private static final Duration STATS_TIMEOUT = Duration.ofSeconds(5);

  private final ActorSystem<?> system;
  private final Cluster cluster;

  ClusterStatus(ActorSystem<?> system) {
    this.system = system;
    this.cluster = Cluster.get(system);
  }

  boolean selfUp() {
    return cluster.selfMember().status() == MemberStatus.up();
  }

  /** Whether another member is up: the streams here can go on there. */
  boolean othersUp() {
    for (Member m : cluster.state().getMembers()) {
      if (m.status() == MemberStatus.up() && !m.equals(cluster.selfMember())) {
        return true;
      }
    }
    return false;
  }

  /**
   * {@code {self, leader, members: [{node, status, roles, reachable, shards, streamsAwake}]}};
   * nodes as host:port. {@code shards} (LiveStream shards the node holds) and {@code streamsAwake}
   * (their entities in memory: live streams and recently asked ones) come from every shard region;
   * should any region not answer in time, the coordinator answers none and they are left out of
   * every member.
   */
  CompletionStage<Map<String, Object>> view() {
    CompletionStage<ShardRegion.ClusterShardingStats> stats =
        AskPattern.ask(
            ClusterSharding.get(system).shardState(),
            (ActorRef<ShardRegion.ClusterShardingStats> replyTo) ->
                new GetClusterShardingStats(ENTITY_TYPE_KEY, STATS_TIMEOUT, replyTo),
            STATS_TIMEOUT.plusSeconds(1),
            system.scheduler());
    return stats.handle((reply, error) -> view(reply));
  }

  private Map<String, Object> view(ShardRegion.ClusterShardingStats stats) {
    ClusterEvent.CurrentClusterState state = cluster.state();
    Set<Member> unreachable = state.getUnreachable();
    Map<Address, ShardRegion.ShardRegionStats> regions =
        stats == null ? Map.of() : stats.getRegions();
    List<Map<String, Object>> members = new ArrayList<>();
    for (Member m : StreamSupport.stream(state.getMembers().spliterator(), false).toList()) {
      Map<String, Object> member = new LinkedHashMap<>();
      member.put("node", node(m.address()));
      member.put("status", m.status().toString().toLowerCase(java.util.Locale.ROOT));
      member.put(
          "roles", m.getRoles().stream().filter(r -> !r.startsWith("dc-")).sorted().toList());
      member.put("reachable", !unreachable.contains(m));
      ShardRegion.ShardRegionStats region = regions.get(m.address());
      if (region != null) {
        member.put("shards", region.getStats().size());
        member.put(
            "streamsAwake",
            region.getStats().values().stream().mapToInt(n -> ((Number) n).intValue()).sum());
      }
      members.add(member);
    }
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("self", node(cluster.selfMember().address()));
    out.put("leader", state.getLeader() == null ? null : node(state.getLeader()));
    out.put("members", members);
    return out;
  }

  static String node(Address a) {
    return a.getHost().orElse("local") + ":" + a.getPort().orElse(0);
  }
}

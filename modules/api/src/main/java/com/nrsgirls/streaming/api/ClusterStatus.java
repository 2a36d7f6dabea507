package com.nrsgirls.streaming.api;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.StreamSupport;
import org.apache.pekko.actor.Address;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;

/**
 * The cluster as this node sees it, for the operator API ({@code GET /api/v1/cluster}) and for
 * readiness: a node is ready for traffic once it is {@code Up} in the cluster (before that,
 * sharding holds every request to a stream).
 */
final class ClusterStatus {
  private final Cluster cluster;

  ClusterStatus(Cluster cluster) {
    this.cluster = cluster;
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

  /** {@code {self, leader, members: [{node, status, roles, reachable}]}}; nodes as host:port. */
  Map<String, Object> view() {
    ClusterEvent.CurrentClusterState state = cluster.state();
    Set<Member> unreachable = state.getUnreachable();
    List<Map<String, Object>> members = new ArrayList<>();
    for (Member m : StreamSupport.stream(state.getMembers().spliterator(), false).toList()) {
      Map<String, Object> member = new LinkedHashMap<>();
      member.put("node", node(m.address()));
      member.put("status", m.status().toString().toLowerCase(java.util.Locale.ROOT));
      member.put(
          "roles", m.getRoles().stream().filter(r -> !r.startsWith("dc-")).sorted().toList());
      member.put("reachable", !unreachable.contains(m));
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

package com.nrsgirls.streaming.pipeline.stream;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.cluster.Cluster;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.sharding.ShardCoordinator;
import org.apache.pekko.cluster.sharding.ShardRegion;
import org.apache.pekko.pattern.Patterns;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.collection.immutable.IndexedSeq;
import scala.concurrent.Future;
import scala.jdk.javaapi.CollectionConverters;
import scala.jdk.javaapi.FutureConverters;

/**
 * Where LiveStream shards go: new ones to the node with the fewest (Pekko's least-shard
 * allocation), and, every rebalance interval, shards with no running entity move off the nodes that
 * hold more than their share. A shard with an awake entity stays where it is: moving it would cost
 * each live stream in it a discontinuity, a new recording and a restream reconnect. Without this, a
 * node that joins (or comes back from a rolling restart) took new shards only, and the last node
 * restarted held none of the streams that had ever been used.
 *
 * <p>A shard is idle when its region reports no entity in it (entities passivate themselves when
 * not live and not asked for {@code idle-passivation}); once handed off, the coordinator allocates
 * it again at once, to the node with the fewest. Should an entity wake between the check and the
 * hand-off, its stop moves a live session like a leaving node's (the publisher stays connected). As
 * Pekko's own strategy does, no round moves anything while a member is unreachable or not {@code
 * Up} (a hand-off would wait for the unreachable node's answer, and allocation prefers members that
 * are up).
 *
 * <p>{@code ActorSystemDependentAllocationStrategy} is Pekko's internal API ({@code
 * private[pekko]}): implemented only to hand {@code start} on to the least-shard strategy, which
 * needs the actor system; check it on a Pekko upgrade.
 */
final class IdleShardRebalance
    implements ShardCoordinator.ShardAllocationStrategy,
        ShardCoordinator.ActorSystemDependentAllocationStrategy {
  private static final Logger log = LoggerFactory.getLogger(IdleShardRebalance.class);

  /** Above the regions' own per-shard query timeout ({@code shard-region-query-timeout}, 3 s). */
  private static final Duration REGION_STATE_TIMEOUT = Duration.ofSeconds(5);

  private final ShardCoordinator.ShardAllocationStrategy leastShards;
  private final double relativeLimit;
  private final int absoluteLimit;
  private volatile Cluster cluster;

  /**
   * @param absoluteLimit at most this many shards move in one round
   * @param relativeLimit and at most this fraction of all allocated shards (at least one)
   */
  IdleShardRebalance(int absoluteLimit, double relativeLimit) {
    this.absoluteLimit = absoluteLimit;
    this.relativeLimit = relativeLimit;
    // its rebalance is not used: only its allocation (fewest shards, among nodes that are Up)
    this.leastShards =
        ShardCoordinator.ShardAllocationStrategy$.MODULE$.leastShardAllocationStrategy(
            absoluteLimit, relativeLimit);
  }

  @Override
  public void start(ActorSystem system) {
    cluster = Cluster.get(system);
    if (leastShards instanceof ShardCoordinator.ActorSystemDependentAllocationStrategy s) {
      s.start(system);
    }
  }

  @Override
  public Future<ActorRef> allocateShard(
      ActorRef requester,
      String shardId,
      scala.collection.immutable.Map<ActorRef, IndexedSeq<String>> current) {
    return leastShards.allocateShard(requester, shardId, current);
  }

  @Override
  public Future<scala.collection.immutable.Set<String>> rebalance(
      scala.collection.immutable.Map<ActorRef, IndexedSeq<String>> current,
      scala.collection.immutable.Set<String> rebalanceInProgress) {
    Map<ActorRef, List<String>> allocations = new HashMap<>();
    CollectionConverters.asJava(current)
        .forEach((region, shards) -> allocations.put(region, CollectionConverters.asJava(shards)));
    CompletionStage<Set<String>> chosen =
        rebalanceInProgress.isEmpty() && settled()
            ? choose(allocations)
            : CompletableFuture.completedFuture(Set.of()); // one round at a time, when settled
    return FutureConverters.asScala(
        chosen.thenApply(
            shards -> {
              Set<String> copy = new HashSet<>(shards);
              return CollectionConverters.asScala(copy).toSet();
            }));
  }

  /** Every member up and reachable: no node joining, leaving or unreachable. */
  private boolean settled() {
    Cluster c = cluster;
    if (c == null) {
      return false;
    }
    ClusterEvent.CurrentClusterState state = c.state();
    if (!state.getUnreachable().isEmpty()) {
      return false;
    }
    for (Member m : state.getMembers()) {
      if (m.status() != MemberStatus.up()) {
        return false;
      }
    }
    return true;
  }

  /** Asks the regions over their share which of their shards are idle, then picks the moves. */
  private CompletionStage<Set<String>> choose(Map<ActorRef, List<String>> allocations) {
    if (allocations.size() < 2 || spread(allocations) <= 1) {
      return CompletableFuture.completedFuture(Set.of());
    }
    int total = allocations.values().stream().mapToInt(List::size).sum();
    int share = (total + allocations.size() - 1) / allocations.size();
    Map<ActorRef, CompletableFuture<Set<String>>> idle = new HashMap<>();
    allocations.forEach(
        (region, shards) -> {
          if (shards.size() > share) {
            idle.put(region, idleShards(region, shards));
          }
        });
    return CompletableFuture.allOf(idle.values().toArray(CompletableFuture[]::new))
        .thenApply(
            done -> {
              Map<ActorRef, Set<String>> idleByRegion = new HashMap<>();
              idle.forEach((region, f) -> idleByRegion.put(region, f.join()));
              Set<String> moves = moves(allocations, idleByRegion, limit(total));
              if (!moves.isEmpty()) {
                log.info(
                    "sharding: moving {} idle shard(s) off the nodes over their share of {}",
                    moves.size(),
                    share);
              }
              return moves;
            });
  }

  private int limit(int total) {
    return Math.max(1, Math.min(absoluteLimit, (int) (total * relativeLimit)));
  }

  /** The region's shards that hold no entity; none when the region does not answer in time. */
  private static CompletableFuture<Set<String>> idleShards(ActorRef region, List<String> shards) {
    return Patterns.ask(region, ShardRegion.getShardRegionStateInstance(), REGION_STATE_TIMEOUT)
        .toCompletableFuture()
        .handle(
            (reply, error) -> {
              if (!(reply instanceof ShardRegion.CurrentShardRegionState state)) {
                return Set.<String>of();
              }
              Set<String> busy = new HashSet<>();
              for (ShardRegion.ShardState s : state.getShards()) {
                if (!s.getEntityIds().isEmpty()) {
                  busy.add(s.shardId());
                }
              }
              busy.addAll(state.getFailed()); // unknown: left alone
              Set<String> result = new HashSet<>(shards);
              result.removeAll(busy);
              return result;
            });
  }

  /**
   * The shards to move: one at a time from the region with the most to (in count) the one with the
   * fewest, while they differ by more than one, the fullest region has an idle shard, and fewer
   * than {@code limit} are chosen. Regions with no idle shard still count as targets.
   */
  static <R> Set<String> moves(
      Map<R, List<String>> allocations, Map<R, Set<String>> idle, int limit) {
    Map<R, Integer> counts = new HashMap<>();
    allocations.forEach((region, shards) -> counts.put(region, shards.size()));
    Map<R, List<String>> movable = new HashMap<>();
    idle.forEach(
        (region, shards) -> {
          List<String> sorted = new ArrayList<>(shards);
          sorted.sort(Comparator.naturalOrder());
          movable.put(region, sorted);
        });
    Set<String> chosen = new HashSet<>();
    while (chosen.size() < limit) {
      R fullest = null;
      for (R region : counts.keySet()) {
        List<String> m = movable.get(region);
        if (m != null
            && !m.isEmpty()
            && (fullest == null || counts.get(region) > counts.get(fullest))) {
          fullest = region;
        }
      }
      int fewest = counts.values().stream().mapToInt(Integer::intValue).min().orElse(0);
      if (fullest == null || counts.get(fullest) - fewest <= 1) {
        break;
      }
      chosen.add(movable.get(fullest).remove(0));
      counts.merge(fullest, -1, Integer::sum);
      R target = null;
      for (R region : counts.keySet()) {
        if (target == null || counts.get(region) < counts.get(target)) {
          target = region;
        }
      }
      counts.merge(target, 1, Integer::sum);
    }
    return chosen;
  }

  private static int spread(Map<ActorRef, List<String>> allocations) {
    int max = 0;
    int min = Integer.MAX_VALUE;
    for (List<String> shards : allocations.values()) {
      max = Math.max(max, shards.size());
      min = Math.min(min, shards.size());
    }
    return max - min;
  }
}

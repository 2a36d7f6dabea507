package com.nrsgirls.streaming.pipeline.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class IdleShardRebalanceTest {
  private static List<String> shards(String prefix, int n) {
    List<String> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(prefix + i);
    }
    return out;
  }

  @Test
  void idleShardsMoveUntilEveryNodeHoldsItsShare() {
    List<String> a = shards("a", 9);
    Set<String> moves =
        IdleShardRebalance.moves(
            Map.of("A", a, "B", List.of(), "C", List.of()), Map.of("A", Set.copyOf(a)), 20);
    assertEquals(6, moves.size(), "9/0/0 becomes 3/3/3");
    assertTrue(a.containsAll(moves));
  }

  @Test
  void aShardWithAnAwakeEntityNeverMoves() {
    List<String> a = shards("a", 9);
    Set<String> moves =
        IdleShardRebalance.moves(
            Map.of("A", a, "B", List.of()), Map.of("A", Set.of("a3", "a7")), 20);
    assertEquals(Set.of("a3", "a7"), moves);
  }

  @Test
  void theFullestRegionGivesFirstAndTheLimitHolds() {
    List<String> a = shards("a", 10);
    List<String> b = shards("b", 6);
    Set<String> moves =
        IdleShardRebalance.moves(
            Map.of("A", a, "B", b, "C", List.of()),
            Map.of("A", Set.copyOf(a), "B", Set.copyOf(b)),
            3);
    assertEquals(Set.of("a0", "a1", "a2"), moves, "10/6/0: three from the fullest, A");
  }

  @Test
  void balancedRegionsMoveNothing() {
    List<String> a = shards("a", 4);
    List<String> b = shards("b", 3);
    assertEquals(
        Set.of(),
        IdleShardRebalance.moves(
            Map.of("A", a, "B", b), Map.of("A", Set.copyOf(a), "B", Set.copyOf(b)), 20));
  }
}

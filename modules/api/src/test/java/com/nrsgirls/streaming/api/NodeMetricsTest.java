package com.nrsgirls.streaming.api;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nrsgirls.streaming.pipeline.graph.HlsBranch;
import org.junit.jupiter.api.Test;

class NodeMetricsTest {
  @Test
  void hlsRepairsAreCountedByKind() {
    NodeMetrics metrics = new NodeMetrics();
    metrics.repairs("s1", new HlsBranch.Repairs(2, 0, 1, 0, 0));
    metrics.repairs("s2", new HlsBranch.Repairs(3, 0, 0, 0, 1));
    String scrape = metrics.registry().scrape();
    assertTrue(scrape.contains("nrs_hls_repairs_total{kind=\"dropped-frame\"} 5.0"), scrape);
    assertTrue(scrape.contains("nrs_hls_repairs_total{kind=\"split-segment\"} 1.0"), scrape);
    assertTrue(scrape.contains("nrs_hls_repairs_total{kind=\"failed-write\"} 1.0"), scrape);
    assertFalse(scrape.contains("kind=\"timestamp-moved\""), "nothing moved, no series");
  }
}

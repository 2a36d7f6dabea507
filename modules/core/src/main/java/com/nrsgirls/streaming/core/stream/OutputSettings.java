package com.nrsgirls.streaming.core.stream;

import com.nrsgirls.streaming.core.CborSerializable;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * What a stream outputs besides its source rendition, as its operator set it. A null field follows
 * the node's configuration ({@code nrs.streaming.pipeline.abr}); restream targets and recording
 * join here as they land.
 *
 * @param abr whether the stream gets an ABR ladder; null for the node's default
 * @param ladder the stream's own rungs; null for the node's ladder
 * @param record whether the stream's sessions are recorded; null for the node's default
 * @param recordingRetentionDays recordings older than this many days are deleted (0 keeps them);
 *     null for the node's default
 */
public record OutputSettings(
    Boolean abr, List<LadderRung> ladder, Boolean record, Integer recordingRetentionDays)
    implements CborSerializable {
  /** Everything as the node is configured. */
  public static final OutputSettings NODE_DEFAULTS = new OutputSettings(null, null, null, null);

  public OutputSettings(Boolean abr, List<LadderRung> ladder) {
    this(abr, ladder, null, null);
  }

  /** The most rungs a stream's own ladder may have. */
  public static final int MAX_RUNGS = 8;

  public OutputSettings {
    if (recordingRetentionDays != null && recordingRetentionDays < 0) {
      throw new IllegalArgumentException("recordingRetentionDays must be 0 or more");
    }
    if (ladder != null) {
      ladder = List.copyOf(ladder);
      if (ladder.size() > MAX_RUNGS) {
        throw new IllegalArgumentException("a ladder has at most " + MAX_RUNGS + " rungs");
      }
      Set<String> names = new HashSet<>();
      for (LadderRung r : ladder) {
        if (!names.add(r.name())) {
          throw new IllegalArgumentException("two rungs are named " + r.name());
        }
      }
    }
  }

  /** The settings of a stream that predates them (a snapshot or journal without any). */
  public static OutputSettings orDefaults(OutputSettings settings) {
    return settings == null ? NODE_DEFAULTS : settings;
  }
}

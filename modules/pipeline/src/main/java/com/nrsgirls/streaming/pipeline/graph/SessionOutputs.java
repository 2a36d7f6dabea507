package com.nrsgirls.streaming.pipeline.graph;

import com.nrsgirls.streaming.core.stream.LadderRung;
import com.nrsgirls.streaming.core.stream.OutputSettings;
import com.nrsgirls.streaming.core.stream.RestreamTarget;
import com.nrsgirls.streaming.pipeline.abr.AbrSettings;
import com.nrsgirls.streaming.pipeline.abr.Ladder;
import com.nrsgirls.streaming.pipeline.abr.RungSize;
import com.nrsgirls.streaming.pipeline.hls.HlsPackager;
import com.nrsgirls.streaming.pipeline.hls.RenditionInfo;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Consumer;
import java.util.function.Function;
import org.apache.pekko.Done;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The outputs of one publish session beyond its source rendition, as the stream's {@link
 * OutputSettings} (over the node's defaults) ask for them: today the ABR branch, planned when the
 * source's picture size is known, and attached, detached or planned again when the settings or the
 * source's picture size change while live. Restream targets and recording plug in here the same
 * way.
 *
 * <p>Thread-safe: the graph asks for the branches on the stream's thread, the entity changes the
 * settings from its own.
 */
final class SessionOutputs implements MediaGraph.MediaBranches {
  private static final Logger log = LoggerFactory.getLogger(SessionOutputs.class);

  /** Attaches and detaches branches of the running graph. */
  interface Attachment {
    CompletionStage<Done> attach(Branch branch);

    CompletionStage<Done> detach(String name);
  }

  private final String logContext;
  private final AbrSettings node;
  private final HlsPackager packager;
  private final Function<List<RungSize>, Branch> abrBranch;
  private final Consumer<List<String>> renditionsGone;
  private final Function<RestreamTarget, Branch> targetBranch;
  private final Consumer<String> targetEnded;
  private List<RestreamTarget> targets;

  /** The targets whose pushes are attached, by id. */
  private final Map<String, RestreamTarget> pushing = new LinkedHashMap<>();

  private OutputSettings settings;
  private Attachment graph;
  private int width;
  private int height;
  private List<RungSize> attached = List.of();
  private CompletionStage<Done> changing = CompletableFuture.completedFuture(Done.getInstance());

  /**
   * @param abrBranch makes the ABR branch of a plan
   * @param renditionsGone told (off the stream's thread) which rungs a change has ended, once their
   *     branch has finished: their playlists are to be ended
   * @param targets the stream's restream targets
   * @param targetBranch makes the push to a target; null when it cannot be made (its key does not
   *     open), which it logs
   * @param targetEnded told the id of a target whose push is to end (removed, disabled, changed),
   *     once its branch is detached
   */
  SessionOutputs(
      String logContext,
      OutputSettings settings,
      AbrSettings node,
      HlsPackager packager,
      Function<List<RungSize>, Branch> abrBranch,
      Consumer<List<String>> renditionsGone,
      List<RestreamTarget> targets,
      Function<RestreamTarget, Branch> targetBranch,
      Consumer<String> targetEnded) {
    this.targets = List.copyOf(targets);
    this.targetEnded = targetEnded;
    this.targetBranch = targetBranch;
    this.logContext = logContext;
    this.settings = OutputSettings.orDefaults(settings);
    this.node = node;
    this.packager = packager;
    this.abrBranch = abrBranch;
    this.renditionsGone = renditionsGone;
  }

  /** Every rendition name a stream with these settings may have on this node. */
  static List<String> renditionNames(AbrSettings node, OutputSettings settings) {
    Set<String> names = new LinkedHashSet<>();
    names.add(HlsPackager.SOURCE);
    for (LadderRung r : node.ladder()) {
      names.add(r.name());
    }
    OutputSettings s = OutputSettings.orDefaults(settings);
    if (s.ladder() != null) {
      for (LadderRung r : s.ladder()) {
        names.add(r.name());
      }
    }
    return List.copyOf(names);
  }

  synchronized void bind(Attachment graph) {
    this.graph = graph;
  }

  @Override
  public synchronized List<Branch> forVideo(int width, int height) {
    this.width = width;
    this.height = height;
    List<Branch> branches = new ArrayList<>();
    List<RungSize> plan = plan();
    if (!plan.isEmpty()) {
      attached = plan;
      logPlan(plan);
      branches.add(abrBranch.apply(plan));
    }
    for (RestreamTarget t : targets) {
      if (t.enabled()) {
        Branch b = targetBranch.apply(t);
        if (b != null) {
          pushing.put(t.targetId(), t);
          branches.add(b);
        }
      }
    }
    return branches;
  }

  /**
   * The restream targets changed: pushes to removed, disabled or changed targets end, pushes to new
   * or changed ones start; the others go on untouched.
   */
  synchronized void changeTargets(List<RestreamTarget> next) {
    targets = List.copyOf(next);
    if (width == 0 || graph == null) {
      return; // the first video config attaches them
    }
    Attachment g = graph;
    Map<String, RestreamTarget> wanted = new LinkedHashMap<>();
    for (RestreamTarget t : targets) {
      if (t.enabled()) {
        wanted.put(t.targetId(), t);
      }
    }
    for (RestreamTarget old : List.copyOf(pushing.values())) {
      RestreamTarget now = wanted.get(old.targetId());
      if (now == null || !now.equals(old)) {
        pushing.remove(old.targetId());
        log.info("{} restream to {} ended", logContext, old.targetId());
        changing =
            changing
                .thenCompose(d -> g.detach(old.outputName()))
                .thenApply(
                    d -> {
                      targetEnded.accept(old.targetId());
                      return d;
                    });
      }
    }
    for (RestreamTarget t : wanted.values()) {
      if (!pushing.containsKey(t.targetId())) {
        Branch b = targetBranch.apply(t);
        if (b != null) {
          pushing.put(t.targetId(), t);
          changing = changing.thenApply(d -> attach(g, b));
        }
      }
    }
    changing = changing.exceptionally(e -> failedChange(e));
  }

  private Done failedChange(Throwable e) {
    // the next change must not be lost to this one's failure
    log.warn("{} outputs change failed: {}", logContext, e.toString());
    return Done.getInstance();
  }

  /**
   * The publisher changed its picture size mid-session: the ladder is planned again, so a smaller
   * source is never upscaled and a larger one gains the rungs it now allows.
   */
  @Override
  public synchronized void videoSizeChanged(int width, int height) {
    log.info(
        "{} source picture changed from {}x{} to {}x{}",
        logContext,
        this.width,
        this.height,
        width,
        height);
    this.width = width;
    this.height = height;
    replan();
  }

  /** The settings changed while live: swap the ABR branch if its plan changed. */
  synchronized void change(OutputSettings next) {
    settings = OutputSettings.orDefaults(next);
    replan();
  }

  private void replan() {
    if (width == 0 || graph == null) {
      return; // the first video config plans with the new settings
    }
    List<RungSize> plan = plan();
    if (plan.equals(attached)) {
      return;
    }
    List<RungSize> before = attached;
    attached = plan;
    Attachment g = graph;
    // one change at a time, each after the one before: never two ABR branches at once
    changing =
        changing.thenCompose(
            done -> {
              if (before.isEmpty()) {
                return CompletableFuture.completedFuture(Done.getInstance());
              }
              log.info("{} ABR ladder detached", logContext);
              return g.detach(AbrBranch.NAME)
                  .thenApply(
                      d -> {
                        List<String> gone = new ArrayList<>();
                        for (RungSize r : before) {
                          if (plan.stream().noneMatch(p -> p.name().equals(r.name()))) {
                            gone.add(r.name());
                            packager.removed(r.name());
                          }
                        }
                        if (!gone.isEmpty()) {
                          renditionsGone.accept(gone);
                        }
                        return d;
                      });
            });
    if (!plan.isEmpty()) {
      logPlan(plan);
      changing = changing.thenApply(d -> attach(g, abrBranch.apply(plan)));
    }
    changing = changing.exceptionally(e -> failedChange(e));
  }

  private Done attach(Attachment g, Branch branch) {
    g.attach(branch);
    return Done.getInstance();
  }

  /** What the master playlist lists now. */
  List<String> renditions() {
    List<String> names = new ArrayList<>();
    for (RenditionInfo r : packager.listed()) {
      names.add(r.rendition());
    }
    return names;
  }

  private List<RungSize> plan() {
    boolean enabled = settings.abr() != null ? settings.abr() : node.enabled();
    if (!enabled) {
      return List.of();
    }
    List<LadderRung> ladder = settings.ladder() != null ? settings.ladder() : node.ladder();
    return Ladder.plan(ladder, width, height);
  }

  private void logPlan(List<RungSize> plan) {
    log.info(
        "{} ABR ladder for {}x{}: {}",
        logContext,
        width,
        height,
        plan.stream().map(r -> r.name() + " " + r.width() + "x" + r.height()).toList());
  }
}

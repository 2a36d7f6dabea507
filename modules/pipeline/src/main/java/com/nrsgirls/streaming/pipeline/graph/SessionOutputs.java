package com.nrsgirls.streaming.pipeline.graph;

import com.nrsgirls.streaming.core.stream.LadderRung;
import com.nrsgirls.streaming.core.stream.OutputSettings;
import com.nrsgirls.streaming.core.stream.OutputStatus;
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
import java.util.concurrent.atomic.AtomicLong;
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

  /** The targets being pushed to, by id, with what they are fed. */
  private final Map<String, Pushed> pushing = new LinkedHashMap<>();

  /** The rungs' outputs of the current ABR branch, where targets fed from a rung attach. */
  private final Map<String, BranchFanOut.Control> taps = new LinkedHashMap<>();

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
        Feed feed = feedOf(t);
        Branch b = branchFor(t, feed);
        if (b != null) {
          pushing.put(t.targetId(), new Pushed(t, feed));
          if (feed.fromSource()) {
            branches.add(b);
          } // a rung's target is attached when the rung's output opens
        }
      }
    }
    return branches;
  }

  /** What a restream target is fed, and what its status says about it. */
  record Feed(String rung, String detail) {
    static final Feed SOURCE = new Feed(null, null);

    boolean fromSource() {
      return rung == null;
    }

    String name() {
      return rung == null ? HlsPackager.SOURCE : rung;
    }
  }

  /** A target being pushed to in this session, and where from. */
  private record Pushed(RestreamTarget target, Feed feed) {}

  /**
   * The source when the platform takes its picture; otherwise the best rung of the ladder within
   * the platform's limits (the tallest, then the richest); the source, with a word in the status,
   * when no rung is.
   */
  private Feed feedOf(RestreamTarget t) {
    if (height <= t.maxHeight()) {
      return Feed.SOURCE;
    }
    RungSize best = null;
    for (RungSize r : attached) {
      int kbps = r.rung().videoKbps() + r.rung().audioKbps();
      if (r.height() <= t.maxHeight()
          && kbps <= t.maxKbps()
          && (best == null
              || r.height() > best.height()
              || r.height() == best.height()
                  && kbps > best.rung().videoKbps() + best.rung().audioKbps())) {
        best = r;
      }
    }
    String limit = t.platform() + " takes at most " + t.maxHeight() + "p";
    if (best == null) {
      return new Feed(
          null,
          "the source's "
              + height
              + "p is above "
              + limit
              + " and no ABR rung is within it: switch ABR on or lower the encoder's output");
    }
    return new Feed(best.name(), "fed from the " + best.name() + " rung: " + limit);
  }

  private Branch branchFor(RestreamTarget t, Feed feed) {
    Branch b = targetBranch.apply(t);
    return b == null ? null : b.fedFrom(feed.name(), feed.detail());
  }

  /**
   * A rung's output of the (new) ABR branch opened: the targets fed from that rung are attached to
   * it. Called when the ABR branch materializes, again after each of its restarts.
   */
  synchronized void rungOpened(String rung, BranchFanOut.Control control) {
    taps.put(rung, control);
    for (Pushed p : pushing.values()) {
      if (rung.equals(p.feed().rung())) {
        Branch b = branchFor(p.target(), p.feed());
        if (b != null) {
          control.attach(b);
        }
      }
    }
  }

  /** How the outputs fed from rungs are doing (the source's are the graph's own). */
  @Override
  public synchronized List<OutputStatus> outputs() {
    List<OutputStatus> list = new ArrayList<>();
    for (BranchFanOut.Control c : taps.values()) {
      list.addAll(c.outputs());
    }
    return list;
  }

  @Override
  public synchronized Map<String, AtomicLong> drops() {
    Map<String, AtomicLong> all = new LinkedHashMap<>();
    for (BranchFanOut.Control c : taps.values()) {
      all.putAll(c.drops());
    }
    return all;
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
    Map<String, RestreamTarget> wanted = new LinkedHashMap<>();
    for (RestreamTarget t : targets) {
      if (t.enabled()) {
        wanted.put(t.targetId(), t);
      }
    }
    for (Pushed old : List.copyOf(pushing.values())) {
      RestreamTarget now = wanted.get(old.target().targetId());
      if (now == null || !now.equals(old.target())) {
        pushing.remove(old.target().targetId());
        log.info("{} restream to {} ended", logContext, old.target().targetId());
        String id = old.target().targetId();
        changing =
            detachTarget(old)
                .thenApply(
                    d -> {
                      targetEnded.accept(id);
                      return d;
                    });
      }
    }
    for (RestreamTarget t : wanted.values()) {
      if (!pushing.containsKey(t.targetId())) {
        attachTarget(t, feedOf(t));
      }
    }
    changing = changing.exceptionally(e -> failedChange(e));
  }

  /** Detaches a target from where it is fed, after the changes before. */
  private CompletionStage<Done> detachTarget(Pushed p) {
    Attachment g = graph;
    String name = p.target().outputName();
    if (p.feed().fromSource()) {
      return changing.thenCompose(d -> g.detach(name));
    }
    BranchFanOut.Control tap = taps.get(p.feed().rung());
    return tap == null ? changing : changing.thenCompose(d -> tap.detach(name));
  }

  /** Attaches a target where it is to be fed, after the changes before. */
  private void attachTarget(RestreamTarget t, Feed feed) {
    Branch b = branchFor(t, feed);
    if (b == null) {
      return;
    }
    pushing.put(t.targetId(), new Pushed(t, feed));
    if (feed.fromSource()) {
      Attachment g = graph;
      changing = changing.thenApply(d -> attach(g, b));
    } else {
      BranchFanOut.Control tap = taps.get(feed.rung());
      if (tap != null && attached.stream().anyMatch(r -> r.name().equals(feed.rung()))) {
        changing =
            changing.thenApply(
                d -> {
                  tap.attach(b);
                  return d;
                });
      } // otherwise the rung's output attaches it when it opens
    }
  }

  /** After the ladder changed: targets whose best feed changed move to it. */
  private void refeedTargets() {
    for (Pushed p : List.copyOf(pushing.values())) {
      Feed now = feedOf(p.target());
      if (now.equals(p.feed())) {
        continue;
      }
      if (p.feed().fromSource()) {
        changing = detachTarget(p); // a rung's target went with the old ladder
      }
      log.info("{} restream to {} now fed from {}", logContext, p.target().targetId(), now.name());
      attachTarget(p.target(), now);
    }
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
      refeedTargets();
      return;
    }
    List<RungSize> before = attached;
    attached = plan;
    taps.clear(); // the old ladder's rung outputs end with it; the new one's open when it starts
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
    refeedTargets();
    changing = changing.exceptionally(e -> failedChange(e));
  }

  private Done attach(Attachment g, Branch branch) {
    g.attach(branch);
    return Done.getInstance();
  }

  @Override
  public long segmentLatencyMillis() {
    return packager.segmentLatencyMillis();
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

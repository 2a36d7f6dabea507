package com.nrsgirls.streaming.ingest;

import com.typesafe.config.Config;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.actor.Cancellable;
import org.apache.pekko.actor.LightArrayRevolverScheduler;
import org.apache.pekko.event.LoggingAdapter;
import scala.concurrent.ExecutionContext;
import scala.concurrent.duration.FiniteDuration;

/**
 * Pekko's scheduler, counting the tasks it is given ({@code pekko.scheduler.implementation}), so a
 * test can tell how much timer work a stream does. Periodic timers count once per run.
 */
public final class CountingScheduler extends LightArrayRevolverScheduler {
  static final AtomicLong scheduled = new AtomicLong();

  public CountingScheduler(Config config, LoggingAdapter log, ThreadFactory threadFactory) {
    super(config, log, threadFactory);
  }

  @Override
  public Cancellable scheduleOnce(
      FiniteDuration delay, Runnable runnable, ExecutionContext executor) {
    scheduled.incrementAndGet();
    return super.scheduleOnce(delay, runnable, executor);
  }
}

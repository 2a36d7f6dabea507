package com.nrsgirls.streaming.ingest;

import com.nrsgirls.streaming.core.media.MediaPacket;
import com.nrsgirls.streaming.core.stream.LiveStreamProtocol.PublishAccepted;
import com.nrsgirls.streaming.core.stream.LiveStreamProtocol.PublishReply;
import com.nrsgirls.streaming.core.stream.LiveStreamProtocol.PublishSession;
import com.nrsgirls.streaming.core.stream.StreamKey;
import com.nrsgirls.streaming.testkit.TestClips;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.stream.Stream;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.stream.SinkRef;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.StreamRefs;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * What ingest costs per stream: CPU seconds per stream-minute and context switches per second of
 * the JVM running a real {@link RtmpServer}, fed by N real {@code ffmpeg -re -c copy} publishers of
 * a 1080p30 4.7 Mbit/s clip, with a gateway whose {@code SinkRef} sinks only count packets (the
 * media path up to the stream's graph, as the node runs it, without the graph).
 *
 * <p>First a warm-up run with the largest N (the JIT; {@code bench.warmup-seconds}), then for each
 * N an idle period and the measured run, all of the same length. CPU is the process's ({@code
 * getProcessCpuTime}: every thread, JIT and GC included) during the run minus the idle CPU over the
 * same time. Context switches are summed over the threads in {@code /proc/self/task/*}/status (a
 * thread that ends during a period takes its switches with it). The busiest thread groups show
 * where the time went.
 *
 * <p>Excluded from the normal build ({@code @Tag("bench")}); the figures go to stdout and to {@code
 * target/ingest-cpu-bench.txt}. Run it with Maven (holds the build lock for (1 + 2 |N|) x seconds):
 *
 * <pre>
 * cd /work/main &amp;&amp; flock /tmp/nrs-mvn.lock mvn -B -o -q -pl modules/ingest -am test \
 *   -Dtest=IngestCpuBench -Dsurefire.failIfNoSpecifiedTests=false -Dbench.excluded=none \
 *   -Dbench.streams=1,10 -Dbench.seconds=60
 * </pre>
 *
 * or, after a build, without the lock: {@code modules/ingest/bench/run-cpu-bench.sh 1,10 60}. Pekko
 * settings to try go in as system properties ({@code -Dpekko.io.tcp.direct-buffer-size=...}). The
 * clip ({@code bench.clip}, default {@code bench/work/clip1080.flv}) must be at least {@code
 * bench.seconds} long; it is made when missing.
 */
@Tag("bench")
class IngestCpuBench {

  @Test
  void measure() throws Exception {
    main(new String[0]);
  }

  public static void main(String[] args) throws Exception {
    List<Integer> streams =
        Stream.of(System.getProperty("bench.streams", "1,10").split(","))
            .map(s -> Integer.parseInt(s.trim()))
            .toList();
    int seconds = Integer.getInteger("bench.seconds", 60);
    int warmUpSeconds = Integer.getInteger("bench.warmup-seconds", seconds);
    Path clip = clip(Path.of(System.getProperty("bench.clip", defaultClip())));
    Config config =
        // The node's Pekko tuning (modules/api/src/main/resources/nrs-node.conf), as the node
        // runs ingest.
        ConfigFactory.parseString(
                "nrs.streaming.ingest { port = 0, max-connections-per-ip = 64 }\n"
                    + "pekko.io.tcp.worker-dispatcher = pekko.actor.default-dispatcher\n"
                    + "pekko.actor.default-dispatcher.fork-join-executor {"
                    + " parallelism-min = 2, parallelism-factor = 1.0 }")
            .withFallback(ConfigFactory.load())
            .resolve();
    ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "bench", config);
    CountingGateway gateway = new CountingGateway(system);
    CountingMetrics metrics = new CountingMetrics();
    RtmpServer server =
        RtmpServer.start(system, IngestSettings.create(config), gateway, metrics, "bench")
            .toCompletableFuture()
            .get(10, TimeUnit.SECONDS);
    StringBuilder report = new StringBuilder();
    try {
      report.append(
          String.format(
              Locale.ROOT,
              "ingest CPU bench: clip %s, %d s per run after %d s of warm-up, %d cores, %s%n",
              clip.getFileName(),
              seconds,
              warmUpSeconds,
              Runtime.getRuntime().availableProcessors(),
              settingsUnderTest(config)));
      String url = "rtmp://127.0.0.1:" + server.localAddress().getPort() + "/live/";
      publish(
          url, streams.stream().mapToInt(Integer::intValue).max().orElse(1), warmUpSeconds, clip);
      for (int n : streams) {
        Sample idleStart = Sample.take();
        Thread.sleep(seconds * 1000L);
        Sample idleEnd = Sample.take();
        long packetsBefore = gateway.packets.sum();
        long readsBefore = metrics.reads.sum();
        long bytesBefore = metrics.bytes.sum();
        Sample busyStart = Sample.take();
        int failed = publish(url, n, seconds, clip);
        Sample busyEnd = Sample.take();
        report.append(
            result(
                n,
                idleStart,
                idleEnd,
                busyStart,
                busyEnd,
                failed,
                gateway.packets.sum() - packetsBefore,
                metrics.reads.sum() - readsBefore,
                metrics.bytes.sum() - bytesBefore));
      }
    } finally {
      server.stop().toCompletableFuture().get(10, TimeUnit.SECONDS);
      system.terminate();
      system.getWhenTerminated().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
    System.out.print(report);
    Files.createDirectories(Path.of("target"));
    Files.writeString(Path.of("target", "ingest-cpu-bench.txt"), report);
  }

  private static String defaultClip() {
    // surefire runs in the module's directory, the script in the repository's root
    return Files.isDirectory(Path.of("../../bench"))
        ? "../../bench/work/clip1080.flv"
        : "bench/work/clip1080.flv";
  }

  private static String settingsUnderTest(Config config) {
    List<String> paths =
        List.of(
            "nrs.streaming.ingest.read-interval",
            "nrs.streaming.ingest.dispatcher",
            "pekko.io.tcp.worker-dispatcher",
            "pekko.io.tcp.direct-buffer-size",
            "pekko.actor.default-dispatcher.fork-join-executor.parallelism-min",
            "pekko.actor.default-dispatcher.fork-join-executor.parallelism-factor",
            "pekko.actor.default-dispatcher.fork-join-executor.parallelism-max");
    List<String> values = new ArrayList<>();
    for (String p : paths) {
      values.add(p + "=" + (config.hasPath(p) ? config.getValue(p).unwrapped() : "(none)"));
    }
    return String.join(", ", values);
  }

  /** Runs {@code n} publishers for {@code seconds}; returns how many did not exit with 0. */
  private static int publish(String url, int n, int seconds, Path clip) throws Exception {
    List<Process> processes = new ArrayList<>();
    try {
      for (int i = 0; i < n; i++) {
        processes.add(
            new ProcessBuilder(
                    "ffmpeg",
                    "-hide_banner",
                    "-nostdin",
                    "-loglevel",
                    "error",
                    "-re",
                    "-i",
                    clip.toString(),
                    "-t",
                    Integer.toString(seconds),
                    "-c",
                    "copy",
                    "-f",
                    "flv",
                    url + CountingGateway.key(i))
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .start());
      }
      int failed = 0;
      for (Process p : processes) {
        if (!p.waitFor(seconds + 30L, TimeUnit.SECONDS) || p.exitValue() != 0) {
          failed++;
        }
      }
      return failed;
    } finally {
      processes.forEach(Process::destroyForcibly);
    }
  }

  private static String result(
      int n,
      Sample idleStart,
      Sample idleEnd,
      Sample start,
      Sample end,
      int failed,
      long packets,
      long reads,
      long bytes) {
    double busySeconds = (end.wallNanos - start.wallNanos) / 1e9;
    double idleSeconds = (idleEnd.wallNanos - idleStart.wallNanos) / 1e9;
    double busyCpu = (end.cpuNanos - start.cpuNanos) / 1e9;
    double idleCpu = (idleEnd.cpuNanos - idleStart.cpuNanos) / 1e9 * busySeconds / idleSeconds;
    double perStreamMinute = (busyCpu - idleCpu) / n / (busySeconds / 60);
    StringBuilder b = new StringBuilder();
    b.append(
        String.format(
            Locale.ROOT,
            "%nN=%d: %.1f s, %d publishers failed, %.1f packets/s, %.1f reads/s, %.0f bytes/read,"
                + " %.2f Mbit/s per stream%n",
            n,
            busySeconds,
            failed,
            packets / busySeconds,
            reads / busySeconds,
            reads == 0 ? 0.0 : (double) bytes / reads,
            bytes * 8 / busySeconds / n / 1e6));
    b.append(
        String.format(
            Locale.ROOT,
            "  cpu_s busy %.2f, idle (same time) %.2f => %.3f CPU-s per stream-minute%n",
            busyCpu,
            idleCpu,
            perStreamMinute));
    b.append(
        String.format(
            Locale.ROOT,
            "  context switches/s: voluntary %.0f (idle %.0f), involuntary %.0f (idle %.0f)%n",
            end.switchesSince(start, 0) / busySeconds,
            idleEnd.switchesSince(idleStart, 0) / idleSeconds,
            end.switchesSince(start, 1) / busySeconds,
            idleEnd.switchesSince(idleStart, 1) / idleSeconds));
    Map<String, Long> byGroup = new HashMap<>();
    end.threadCpu.forEach(
        (id, t) -> {
          long before = start.threadCpu.containsKey(id) ? start.threadCpu.get(id).nanos : 0;
          byGroup.merge(t.group, t.nanos - before, Long::sum);
        });
    long threadsTotal = byGroup.values().stream().mapToLong(Long::longValue).sum();
    byGroup.put("(JIT, GC, ended threads)", end.cpuNanos - start.cpuNanos - threadsTotal);
    double jit = end.cpuSince(start, "C1 CompilerThre", "C2 CompilerThre");
    double idleJit = idleEnd.cpuSince(idleStart, "C1 CompilerThre", "C2 CompilerThre");
    b.append(
        String.format(
            Locale.ROOT,
            "  of which JIT compiler threads %.2f (idle %.2f), GC and VM threads %.2f =>"
                + " %.3f CPU-s per stream-minute without the JIT%n",
            jit,
            idleJit,
            end.cpuSince(start, "GC Thread", "G1 ", "VM Thread", "VM Periodic"),
            (busyCpu - jit - (idleCpu - idleJit * busySeconds / idleSeconds))
                / n
                / (busySeconds / 60)));
    b.append("  busiest threads (CPU-s):");
    byGroup.entrySet().stream()
        .sorted(Map.Entry.<String, Long>comparingByValue().reversed())
        .limit(6)
        .forEach(
            e -> b.append(String.format(Locale.ROOT, " %s %.2f;", e.getKey(), e.getValue() / 1e9)));
    b.append(System.lineSeparator());
    return b.toString();
  }

  /** CPU, per-thread CPU and context switches at one moment. */
  private record Sample(
      long wallNanos, long cpuNanos, Map<String, Task> tasks, Map<Long, ThreadCpu> threadCpu) {
    static Sample take() throws IOException {
      return new Sample(System.nanoTime(), processCpuNanos(), tasksNow(), threadCpuNow());
    }

    /** Voluntary (0) or involuntary (1) switches since {@code start} of the threads alive now. */
    long switchesSince(Sample start, int kind) {
      long sum = 0;
      for (Map.Entry<String, Task> e : tasks.entrySet()) {
        Task before = start.tasks.get(e.getKey());
        sum += e.getValue().switches[kind] - (before == null ? 0 : before.switches[kind]);
      }
      return sum;
    }

    /** CPU seconds since {@code start} of the live threads whose Linux name starts so. */
    double cpuSince(Sample start, String... namePrefixes) {
      long ticks = 0;
      for (Map.Entry<String, Task> e : tasks.entrySet()) {
        for (String prefix : namePrefixes) {
          if (e.getValue().name.startsWith(prefix)) {
            Task before = start.tasks.get(e.getKey());
            ticks += e.getValue().cpuTicks - (before == null ? 0 : before.cpuTicks);
          }
        }
      }
      return ticks / 100.0; // USER_HZ
    }
  }

  /** One Linux thread: its name (15 characters), context switches, CPU in clock ticks. */
  private record Task(String name, long[] switches, long cpuTicks) {}

  private record ThreadCpu(String group, long nanos) {}

  private static long processCpuNanos() {
    return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
        .getProcessCpuTime();
  }

  /** The live threads, by Linux thread id (Linux only). */
  private static Map<String, Task> tasksNow() throws IOException {
    Map<String, Task> tasks = new HashMap<>();
    try (Stream<Path> dirs = Files.list(Path.of("/proc/self/task"))) {
      for (Path dir : dirs.toList()) {
        List<String> status;
        String stat;
        try {
          status = Files.readAllLines(dir.resolve("status"));
          stat = Files.readString(dir.resolve("stat"));
        } catch (IOException e) {
          continue; // the thread ended meanwhile
        }
        String name = "";
        long[] switches = new long[2];
        for (String line : status) {
          String value = line.substring(line.indexOf(':') + 1).trim();
          if (line.startsWith("Name:")) {
            name = value;
          } else if (line.startsWith("voluntary_ctxt_switches:")) {
            switches[0] = Long.parseLong(value);
          } else if (line.startsWith("nonvoluntary_ctxt_switches:")) {
            switches[1] = Long.parseLong(value);
          }
        }
        // after "pid (comm) ": state is field 3, utime and stime fields 14 and 15
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        long ticks = Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
        tasks.put(dir.getFileName().toString(), new Task(name, switches, ticks));
      }
    }
    return tasks;
  }

  /** CPU time per live thread, grouped by name without its number (pool threads together). */
  private static Map<Long, ThreadCpu> threadCpuNow() {
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    Map<Long, ThreadCpu> cpu = new HashMap<>();
    for (ThreadInfo info : threads.getThreadInfo(threads.getAllThreadIds())) {
      if (info != null) {
        long nanos = threads.getThreadCpuTime(info.getThreadId());
        if (nanos >= 0) {
          String group = info.getThreadName().replaceAll("[-#]?\\d+$", "");
          cpu.put(info.getThreadId(), new ThreadCpu(group, nanos));
        }
      }
    }
    return cpu;
  }

  private static Path clip(Path clip) throws Exception {
    if (!Files.exists(clip)) {
      Files.createDirectories(clip.toAbsolutePath().getParent());
      TestClips.write(clip, TestClips.Encoding.CBR_4500K, 60, 1920, 1080);
    }
    return clip;
  }

  /** Accepts every key into a sink that counts packets, through a SinkRef as the entity does. */
  private static final class CountingGateway implements PublishGateway {
    final LongAdder packets = new LongAdder();
    private final ActorSystem<?> system;

    CountingGateway(ActorSystem<?> system) {
      this.system = system;
    }

    static String key(int i) {
      return String.format(Locale.ROOT, "live_bench%06d_SECRET", i);
    }

    @Override
    public CompletionStage<PublishReply> publish(StreamKey key, PublishSession session) {
      SinkRef<MediaPacket> sink =
          StreamRefs.<MediaPacket>sinkRef().to(Sink.foreach(p -> packets.increment())).run(system);
      return CompletableFuture.completedFuture(new PublishAccepted(key.streamId(), sink));
    }
  }

  /** Counts reads (one {@code bytesIn} per TCP read) and bytes. */
  private static final class CountingMetrics implements IngestMetrics {
    final LongAdder reads = new LongAdder();
    final LongAdder bytes = new LongAdder();

    @Override
    public void bytesIn(long n) {
      reads.increment();
      bytes.add(n);
    }
  }
}

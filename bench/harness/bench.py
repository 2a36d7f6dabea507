"""NRS Streaming benchmark: NRS side by side with nginx-rtmp, Node-Media-Server, ffmpeg and nginx.

Run through bench/run (which installs what is missing and holds /tmp/nrs-bench.lock):

    bench/run            # the full benchmark, ~18 min on 2 cores; bench/results/<date>.{md,json}
    bench/run --smoke    # one stream, a few seconds per scenario; exits 1 if a figure is missing

Every ratio comes from runs interleaved in this one invocation (per round: NRS, anchor, ...),
reported as the median over rounds with the min-max spread. See bench/README.md for what each
scenario measures and how.
"""

import argparse
import datetime
import hashlib
import json
import os
import signal
import statistics
import subprocess
import sys
import time
import traceback

import load
import procstat
import report
import servers
import staleness

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BENCH = os.path.join(ROOT, "bench")
WORK = os.path.join(BENCH, "work")
HARNESS = os.path.dirname(os.path.abspath(__file__))

CLIP_CMD = (
    "ffmpeg -f lavfi -i testsrc2=size=1920x1080:rate=30 -f lavfi -i sine=frequency=440:sample_rate=48000 "
    "-t {t} -c:v libx264 -preset veryfast -b:v 4500k -minrate 4500k -maxrate 4500k -bufsize 9000k "
    "-x264-params nal-hrd=cbr -g 60 -keyint_min 60 -sc_threshold 0 -bf 2 -c:a aac -b:a 160k -ac 2 -f flv {out}")

# The ABR ladder both sides encode for a 1080p source: the seed's (the 1080p rung is skipped, the
# source rendition is copied, not encoded), libx264 veryfast + zerolatency as NRS's default.
LADDER = [
    {"name": "720p", "height": 720, "bitrate_k": 2500, "audio_k": 128},
    {"name": "480p", "height": 480, "bitrate_k": 1000, "audio_k": 96},
]
ABR_PRESET, ABR_TUNE = "veryfast", "zerolatency"

# -XX:-UseDynamicNumberOfCompilerThreads keeps the C1/C2 threads alive, so their CPU (the JIT
# share) can be read per thread; max-connections-per-ip: every publisher comes from 127.0.0.1.
# ABR off: the 1080p clip would otherwise be transcoded in every copy-path stream.
NRS_JAVA_OPTS = ("-Xms128m -Xmx1g -XX:-UseDynamicNumberOfCompilerThreads "
                 "-Dnrs.streaming.ingest.max-connections-per-ip=100000 "
                 # the copy path against copying servers; scenario 3 measures the ladder alone
                 "-Dnrs.streaming.pipeline.abr.enabled=off "
                 # recording (on by default) is scenario 1's second row, switched on per stream
                 "-Dnrs.streaming.pipeline.recording.enabled=off "
                 # the servers compared write TS HLS only; LL-HLS (on by default) costs its own
                 # few percent: --nrs-opts=-Dnrs.streaming.pipeline.hls.low-latency.enabled=on
                 "-Dnrs.streaming.pipeline.hls.low-latency.enabled=off")

FULL = dict(
    rounds=2, warmup_s=60, warmup_streams=10,
    copy_rounds=3, copy_ns=[1, 10, 50], copy_s=15,
    capacity_steps=[160, 200, 220, 240, 280, 320], capacity_s=15, capacity_budget_s=240,
    latency_s=24, latency_streams=2, poll_ms=5,
    serving_conns=[100, 1000], serving_s=5, serving_warm_s=3,
    abr_s=20, restream_targets=2, restream_s=20,
)
SMOKE = dict(
    rounds=1, warmup_s=5, warmup_streams=1,
    copy_rounds=1, copy_ns=[1], copy_s=3,
    capacity_steps=[2], capacity_s=5, capacity_budget_s=30,
    latency_s=6, latency_streams=1, poll_ms=5,
    serving_conns=[10], serving_s=2, serving_warm_s=1,
    abr_s=3, restream_targets=1, restream_s=4,
)
SCENARIOS = ["copy", "capacity", "abr", "serving", "latency", "restream"]


def log(msg):
    print("[%s] %s" % (time.strftime("%H:%M:%S"), msg), flush=True)


def median(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def summary(xs):
    xs = [x for x in xs if x is not None]
    if not xs:
        return None
    return {"median": statistics.median(xs), "min": min(xs), "max": max(xs), "n": len(xs), "values": xs}


def ratio_summary(a_runs, b_runs):
    """Ratio of medians, and the spread of the per-round ratios (round r of A / round r of B)."""
    a_med, b_med = median(a_runs), median(b_runs)
    if a_med is None or not b_med:
        return None
    pairs = [a / b for a, b in zip(a_runs, b_runs) if a is not None and b]
    return {"ratio": a_med / b_med, "min": min(pairs) if pairs else None,
            "max": max(pairs) if pairs else None, "pairs": pairs}


class Bench:
    def __init__(self, args):
        self.args = args
        self.cfg = dict(SMOKE if args.smoke else FULL)
        self.nrs_java_opts = (NRS_JAVA_OPTS + " " + args.nrs_opts).strip()
        for kv in args.set:
            k, v = kv.split("=", 1)
            if k not in self.cfg:
                raise SystemExit("--set: no input named %s (inputs: %s)" % (k, ", ".join(self.cfg)))
            self.cfg[k] = json.loads(v)
        self.only = set(args.only.split(",")) if args.only else set(SCENARIOS)
        stamp = time.strftime("%Y%m%d-%H%M%S")
        self.run_dir = os.path.join(WORK, "run-" + stamp)
        os.makedirs(self.run_dir, exist_ok=True)
        self.servers = []
        self.results = {"scenarios": {}, "notes": [], "errors": []}
        self.t_start = time.monotonic()
        self.clip = None

    # --- setup ---------------------------------------------------------------------------------

    def make_clip(self):
        full = os.path.join(WORK, "clip1080.flv")
        if os.path.exists(full):
            self.clip, self.clip_seconds = full, 60
        elif self.args.smoke:
            self.clip, self.clip_seconds = os.path.join(WORK, "clip1080-12s.flv"), 12
        else:
            self.clip, self.clip_seconds = full, 60
        if not os.path.exists(self.clip):
            log("making %s (takes a while)" % self.clip)
            cmd = CLIP_CMD.format(t=self.clip_seconds, out=self.clip + ".tmp").split()
            subprocess.run(cmd[:1] + ["-v", "error", "-y"] + cmd[1:], check=True)
            os.replace(self.clip + ".tmp", self.clip)

    def clip_info(self):
        r = subprocess.run(
            ["ffprobe", "-v", "error", "-show_entries",
             "format=duration,bit_rate,size:stream=codec_name,width,height,r_frame_rate,bit_rate,sample_rate,channels",
             "-of", "json", self.clip], capture_output=True, text=True)
        probe = json.loads(r.stdout)
        h = hashlib.sha256()
        with open(self.clip, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
        return {"path": os.path.relpath(self.clip, ROOT), "sha256": h.hexdigest()[:16],
                "made_with": CLIP_CMD.format(t=self.clip_seconds, out=os.path.basename(self.clip)),
                "format": probe.get("format"), "streams": probe.get("streams")}

    def versions(self):
        def first(cmd, err=False):
            try:
                r = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
                text = (r.stderr if err else r.stdout) or r.stdout or r.stderr
                return text.strip().splitlines()[0] if text.strip() else None
            except (OSError, subprocess.TimeoutExpired):
                return None

        def dpkg(pkg):
            return first(["dpkg-query", "-W", "-f", "${Version}", pkg])

        nms_pkg = os.path.join(WORK, "node_modules", "node-media-server", "package.json")
        commit = first(["git", "-C", ROOT, "rev-parse", "--short=12", "HEAD"])
        dirty = subprocess.run(["git", "-C", ROOT, "status", "--porcelain", "--", "modules", "pom.xml",
                                "application.conf", "bin"], capture_output=True, text=True).stdout.strip()
        stale = staleness.newer_source(ROOT)
        return {
            "nrs_commit": commit + ("+dirty" if dirty else "") + (" (jar older than sources)" if stale else ""),
            "java": first(["java", "-version"], err=True),
            "ffmpeg": first(["ffmpeg", "-version"]),
            "nginx": first(["nginx", "-v"], err=True),
            "libnginx-mod-rtmp": dpkg("libnginx-mod-rtmp"),
            "node": first(["node", "--version"]),
            "node-media-server": json.load(open(nms_pkg))["version"] if os.path.exists(nms_pkg) else None,
            "wrk": dpkg("wrk"),
            "python": sys.version.split()[0],
        }

    def start_servers(self):
        jar = os.path.join(ROOT, "modules", "api", "target", "nrs-node.jar")
        if not os.path.exists(jar):
            raise RuntimeError("no %s: bench/run builds it; run that instead" % jar)
        self.nrs = servers.Nrs(os.path.join(self.run_dir, "nrs"), ROOT, self.nrs_java_opts)
        # worker_processes 1 for per-stream CPU and latency (one worker does all the work, as
        # NRS's one JVM does; no cross-worker hand-off), 2 (= cores, "auto") for capacity.
        self.ngx1 = servers.NginxRtmp(os.path.join(self.run_dir, "nginx-rtmp-1"), 1)
        self.ngx2 = servers.NginxRtmp(os.path.join(self.run_dir, "nginx-rtmp-2"), os.cpu_count())
        self.nms = servers.Nms(os.path.join(self.run_dir, "nms"),
                               os.path.join(WORK, "node_modules", "node-media-server", "bin", "app.js"))
        self.ngx_http = servers.NginxHttp(os.path.join(self.run_dir, "nginx-http"),
                                          os.path.join(self.nrs.data_dir, "hls"), os.cpu_count())
        for s in (self.nrs, self.ngx1, self.ngx2, self.nms, self.ngx_http):
            log("starting %s" % s.label)
            s.start()
            self.servers.append(s)

    def stop_servers(self):
        for s in reversed(self.servers):
            try:
                s.stop()
            except Exception as e:  # keep stopping the others
                log("stopping %s: %s" % (s.label, e))

    def check_alive(self):
        for s in self.servers:
            if not s.alive():
                raise RuntimeError("%s died (exit %s); see %s" % (s.label, s.proc.returncode, s.log.name))

    def pub_log(self, name):
        d = os.path.join(self.run_dir, "publishers")
        os.makedirs(d, exist_ok=True)
        return os.path.join(d, name + ".log")

    # --- warm-up and feature probes -----------------------------------------------------------

    def warmup(self):
        c = self.cfg
        log("JIT warm-up: %d publishers into NRS for %d s" % (c["warmup_streams"], c["warmup_s"]))
        streams = self.nrs.streams(c["warmup_streams"], "warmup", fresh=True)
        self.serve_stream = streams[0]
        group = load.PublisherGroup(streams, self.clip, c["warmup_s"], self.pub_log("warmup"))
        # Halfway, warm up NRS's HLS serving too (the files exist by then).
        wrk_done = [False]

        def tick():
            if not wrk_done[0] and time.monotonic() - group.pubs[0].started > c["warmup_s"] / 2:
                wrk_done[0] = True
                url = self.nrs.url("/live/%s/source/index.m3u8" % self.serve_stream.ident)
                load.run_wrk(url, 20, max(1, int(c["warmup_s"] / 6)))
        group.wait(c["warmup_s"] + 30, on_tick=tick)
        state = self.nrs.stream_state(streams[0])
        self.features = {
            "abr": len(state.get("renditions") or []) > 1,
            "recording": self.nrs.api("GET", "/api/v1/streams/%s/recordings" % streams[0].ident)[0] == 200,
            "restream": self.nrs.api(
                "GET", "/api/v1/streams/%s/restream-targets" % streams[0].ident)[0] == 200,
        }
        self.results["nrs_features"] = self.features
        self.results["warmup"] = {"streams": c["warmup_streams"], "seconds": c["warmup_s"],
                                  "publisher_failures": group.failures()}
        log("features built in NRS: %s" % self.features)
        time.sleep(2)

    # --- scenario 1: copy path cost -----------------------------------------------------------

    def idle_rates(self, seconds, targets):
        t0 = time.monotonic()
        c0 = {s.name: s.cpu() for s in targets}
        j0 = self.nrs.jit_cpu()
        time.sleep(seconds)
        dt = time.monotonic() - t0
        rates = {s.name: (s.cpu() - c0[s.name]) / dt for s in targets}
        rates["nrs-nojit"] = rates["nrs"] - (self.nrs.jit_cpu() - j0) / dt
        return rates

    def gc_probe_threads_cpu(self):
        """CPU of the JVM threads a jcmd GC.run / heap_info probe keeps busy."""
        total = 0
        pid = self.nrs.java_pid()
        for tid in os.listdir("/proc/%d/task" % pid):
            try:
                comm = open("/proc/%d/task/%s/comm" % (pid, tid)).read().strip()
                if comm.startswith(("GC Thread", "G1 ", "VM Thread", "Attach Listener", "VM Periodic")):
                    rest = open("/proc/%d/task/%s/stat" % (pid, tid)).read()
                    rest = rest[rest.rindex(")") + 2:].split()
                    total += int(rest[11]) + int(rest[12])
            except (FileNotFoundError, ProcessLookupError):
                pass
        return total / procstat.HZ

    def memory_probe(self, server):
        """(rss kB, heap kB after a full GC or None, CPU seconds the probe cost the server)."""
        if server is self.nrs:
            g0 = self.gc_probe_threads_cpu()
            heap = self.nrs.heap_used_kb()
            cost = self.gc_probe_threads_cpu() - g0
            return server.rss_kb(), heap, cost
        return server.rss_kb(), None, 0.0

    def copy_run(self, server, n, seconds, rnd, idle, record=False):
        streams = server.streams(n, "copy%s-n%d-r%d" % ("rec" if record else "", n, rnd))
        if record:  # the second row: the same node, each stream recorded (local store)
            for s in streams:
                st, body = server.api("PUT", "/api/v1/streams/%s/outputs" % s.ident, {"record": True})
                if st != 200:
                    raise RuntimeError("recording could not be switched on: %s %s" % (st, body))
        watcher = load.DiskWatcher(streams) if server.has_hls else None
        nms_seen0 = server.publishes_seen() if server is self.nms else None
        rss0, heap0, _ = self.memory_probe(server)
        time.sleep(0.5)
        t0, c0, m0 = time.monotonic(), server.cpu(), procstat.machine_busy_seconds()
        j0 = self.nrs.jit_cpu() if server is self.nrs else 0.0
        # runs longer than the 60 s clip (--set copy_s=120: past the start-up and the JIT's tail)
        # read it over again
        group = load.PublisherGroup(streams, self.clip, seconds, self.pub_log("copy-%s-n%d-r%d" % (server.name, n, rnd)),
                                    spread=min(2.0, 0.05 * n), loop=seconds > 50)
        probe = {"done": False, "rss": None, "heap": None, "cost": 0.0}

        def tick():
            if watcher:
                watcher.poll()
            if not probe["done"] and time.monotonic() - t0 > seconds / 2 + 1:
                probe["done"] = True
                probe["rss"], probe["heap"], probe["cost"] = self.memory_probe(server)
        group.wait(seconds + 30, on_tick=tick, tick=0.25)
        time.sleep(1.0)  # the last segment is closed when the connection ends
        if record:
            # the recordings end now (not after the reconnect grace, inside a later run) and their
            # last parts are stored before the window closes: that work is the row's
            for s in streams:
                server.api("POST", "/api/v1/streams/%s/stop" % s.ident)
            deadline = time.monotonic() + 60
            pending = list(streams)
            while pending and time.monotonic() < deadline:
                st, body = server.api("GET", "/api/v1/streams/%s/recordings" % pending[0].ident)
                if st == 200 and body and body[0].get("status") != "recording":
                    pending.pop(0)
                else:
                    time.sleep(0.25)
            if pending:
                raise RuntimeError("%d recordings still open 60 s after their streams stopped" % len(pending))
        t1, c1, m1 = time.monotonic(), server.cpu(), procstat.machine_busy_seconds()
        j1 = self.nrs.jit_cpu() if server is self.nrs else 0.0
        if watcher:
            watcher.poll()
        window = t1 - t0
        stream_min = n * seconds / 60.0
        cpu = c1 - c0 - probe["cost"]
        net = cpu - idle[server.name] * window
        row = {
            "server": server.name + ("-recording" if record else ""), "n": n, "round": rnd, "media_s": seconds, "window_s": round(window, 2),
            "cpu_s": round(c1 - c0, 3), "probe_cpu_s": round(probe["cost"], 3),
            "idle_cpu_s": round(idle[server.name] * window, 3),
            "cpu_per_stream_min": net / stream_min,
            "publishers_cpu_s": round(group.cpu(), 3),
            "machine_busy_pct": round(100 * (m1 - m0) / window / os.cpu_count(), 1),
            "rss_base_mb": rss0 / 1024, "rss_live_mb": (probe["rss"] or 0) / 1024,
            "rss_per_stream_mb": ((probe["rss"] or 0) - rss0) / 1024 / n,
            "publisher_failures": group.failures(),
        }
        if server is self.nrs:
            jit = j1 - j0
            row["jit_cpu_s"] = round(jit, 3)
            row["cpu_per_stream_min_nojit"] = (cpu - jit - idle["nrs-nojit"] * window) / stream_min
            row["heap_base_mb"] = heap0 / 1024
            row["heap_live_mb"] = (probe["heap"] or 0) / 1024
            row["heap_per_stream_mb"] = ((probe["heap"] or 0) - heap0) / 1024 / n
        problems = []
        if group.failures():
            problems.append("%d publisher processes failed (%d streams)" % (len(group.failures()), group.failed_streams()))
        if watcher:
            short = [s.ident for s in streams if watcher.published(s.ident) < seconds - 1.0]
            row["output_media_s_min"] = round(min(watcher.published(s.ident) for s in streams), 2)
            if short:
                problems.append("%d streams published less than %g s of HLS" % (len(short), seconds - 1))
        if server is self.nms:
            seen = server.publishes_seen() - nms_seen0
            row["publishes_seen"] = seen
            if seen != n:
                problems.append("NMS logged %d publishes, expected %d" % (seen, n))
        row["problems"] = problems
        log("  copy %-10s N=%-3d r%d: %.3f CPU-s/stream-min%s, RSS %+.2f MB/stream%s" % (
            row["server"], n, rnd, row["cpu_per_stream_min"],
            " (%.3f w/o JIT)" % row["cpu_per_stream_min_nojit"] if "cpu_per_stream_min_nojit" in row else "",
            row["rss_per_stream_mb"], "; PROBLEMS: " + "; ".join(problems) if problems else ""))
        return row

    def scenario_copy(self):
        c = self.cfg
        targets = [self.nrs, self.ngx1, self.nms]
        runs, idles = [], []
        for rnd in range(1, c["copy_rounds"] + 1):
            idle = self.idle_rates(c["copy_s"], targets)
            idles.append(idle)
            log("copy path round %d, idle CPU/s: %s" % (rnd, {k: round(v, 4) for k, v in idle.items()}))
            for n in c["copy_ns"]:
                for server in targets:
                    self.check_alive()
                    runs.append(self.copy_run(server, n, c["copy_s"], rnd, idle))
                    if server is self.nrs and self.features.get("recording"):
                        runs.append(self.copy_run(server, n, c["copy_s"], rnd, idle, record=True))
        out = {"runs": runs, "idle_cpu_per_s": idles, "by_n": {}}
        for n in c["copy_ns"]:
            by = {}
            for server in targets:
                rs = [r for r in runs if r["server"] == server.name and r["n"] == n]
                by[server.name] = {
                    "label": server.label + ("" if server.has_hls else " (RTMP ingest only: v4 has no HLS)"),
                    "cpu_per_stream_min": summary([r["cpu_per_stream_min"] for r in rs]),
                    "rss_per_stream_mb": summary([r["rss_per_stream_mb"] for r in rs]),
                    "problems": sorted({p for r in rs for p in r["problems"]}),
                }
                if server is self.nrs:
                    by["nrs"]["cpu_per_stream_min_nojit"] = summary([r["cpu_per_stream_min_nojit"] for r in rs])
                    by["nrs"]["heap_per_stream_mb"] = summary([r["heap_per_stream_mb"] for r in rs])
            nrs_runs = [r["cpu_per_stream_min"] for r in runs if r["server"] == "nrs" and r["n"] == n]
            ngx_runs = [r["cpu_per_stream_min"] for r in runs if r["server"] == "nginx-rtmp" and r["n"] == n]
            nms_runs = [r["cpu_per_stream_min"] for r in runs if r["server"] == "nms" and r["n"] == n]
            nojit_runs = [r["cpu_per_stream_min_nojit"] for r in runs if r["server"] == "nrs" and r["n"] == n]
            by["ratio_vs_nginx_rtmp"] = ratio_summary(nrs_runs, ngx_runs)
            by["ratio_nojit_vs_nginx_rtmp"] = ratio_summary(nojit_runs, ngx_runs)
            by["ratio_vs_nms"] = ratio_summary(nrs_runs, nms_runs)
            out["by_n"][str(n)] = by
        rec = []
        for n in c["copy_ns"]:
            on = [r["cpu_per_stream_min"] for r in runs if r["server"] == "nrs-recording" and r["n"] == n]
            off = [r["cpu_per_stream_min"] for r in runs if r["server"] == "nrs" and r["n"] == n]
            if on:
                out["by_n"][str(n)]["nrs-recording"] = {
                    "cpu_per_stream_min": summary(on),
                    "rss_per_stream_mb": summary([r["rss_per_stream_mb"] for r in runs
                                                  if r["server"] == "nrs-recording" and r["n"] == n]),
                    "problems": sorted({p for r in runs if r["server"] == "nrs-recording" and r["n"] == n
                                        for p in r["problems"]}),
                }
                ratio = ratio_summary(on, off)
                rec.append("N=%d: %.3f CPU-s/stream-min, %.2fx without recording" % (
                    n, statistics.median(on), ratio["ratio"] if ratio else float("nan")))
        out["recording_row"] = "; ".join(rec) if rec else "not built"
        self.results["scenarios"]["copy"] = out

    # --- scenario 2: capacity -----------------------------------------------------------------

    def capacity_step(self, server, n, seconds, rnd):
        streams = server.streams(n, "cap-n%d-r%d" % (n, rnd))
        watcher = load.DiskWatcher(streams)
        spread = min(3.0, 0.02 * n)
        t0, c0, m0 = time.monotonic(), server.cpu(), procstat.machine_busy_seconds()
        meters = []  # (t, machine busy s, server CPU s): the steady part of the run is read from them

        def tick():
            watcher.poll()
            meters.append((time.monotonic(), procstat.machine_busy_seconds(), server.cpu()))
        group = load.PublisherGroup(streams, self.clip, seconds, self.pub_log("cap-%s-n%d-r%d" % (server.name, n, rnd)),
                                    spread=spread)
        group.wait(seconds + spread + 40, on_tick=tick, tick=1.0)
        t_end = time.monotonic()
        c1, m1 = server.cpu(), procstat.machine_busy_seconds()
        steady_meters = [m for m in meters if t0 + spread + min(5.0, 0.4 * seconds) <= m[0] <= t0 + seconds]
        if len(steady_meters) >= 2:
            (ta, ma, sa), (tb, mb, sb) = steady_meters[0], steady_meters[-1]
            steady_machine = 100 * (mb - ma) / (tb - ta) / os.cpu_count()
            steady_server = 100 * (sb - sa) / (tb - ta)
        else:
            steady_machine = steady_server = None
        drops = 0
        if server is self.nrs:
            for s in streams:
                health = (self.nrs.stream_state(s).get("health") or {})
                drops += sum((health.get("branchDrops") or {}).values())
        time.sleep(1.5)
        watcher.poll()
        # Lag: media the publisher sent (its run time) minus media the server has published
        # (listed segments), sampled each second once the stream is steady. It saw-tooths over one
        # segment (2 s) while the server keeps up; a server that falls behind lets it grow.
        steady = min(5.0, 0.4 * seconds)
        spans, growths, lags = [], [], []
        for s in streams:
            start = group.starts[s.ident]
            samples = [(t - start, (t - start) - snap[s.ident]) for t, snap in watcher.samples
                       if steady <= t - start <= seconds]
            half = steady + (seconds - steady) / 2
            early = [lag for age, lag in samples if age < half]
            late = [lag for age, lag in samples if age >= half]
            lags += [lag for _, lag in samples]
            if early and late:
                spans.append(max(late) - min(early))
                growths.append(statistics.mean(late) - statistics.mean(early))
        max_lag = max(lags) if lags else None
        span = max(spans) if spans else None
        growth = max(growths) if growths else None
        short = [s.ident for s in streams if watcher.published(s.ident) < seconds - 1.0]
        late_pubs = [d for d in group.durations() if d > seconds + 3.0]
        window = t_end - t0
        problems = []
        if group.failures():
            problems.append("%d publisher processes failed (%d streams)" % (len(group.failures()), group.failed_streams()))
        if max_lag is None or max_lag > 6.0:
            problems.append("ingest lag up to %s s" % (round(max_lag, 1) if max_lag is not None else "?"))
        if span is not None and span > 3.0:
            problems.append("lag rose %.1f s within the run" % span)
        if growth is not None and growth > 1.0:
            problems.append("mean lag grew %.1f s" % growth)
        if short:
            problems.append("%d streams lost media (HLS shorter than %g s)" % (len(short), seconds - 1))
        if late_pubs:
            problems.append("%d publisher processes ran over real time (up to %.1f s for %g s)" % (
                len(late_pubs), max(late_pubs), seconds))
        if drops:
            problems.append("%d packets dropped by NRS branches" % drops)
        row = {
            "server": server.name, "n": n, "round": rnd, "media_s": seconds, "window_s": round(window, 2),
            "passed": not problems, "problems": problems,
            "max_lag_s": round(max_lag, 2) if max_lag is not None else None,
            "lag_rise_s": round(span, 2) if span is not None else None,
            "lag_growth_s": round(growth, 2) if growth is not None else None,
            "publisher_processes": len(group.pubs),
            "server_cpu_pct": round(100 * (c1 - c0) / window, 1),
            "publishers_cpu_pct": round(100 * group.cpu() / window, 1),
            "publisher_cpu_per_stream_min": round(group.cpu() / (n * seconds / 60), 3),
            "machine_busy_pct": round(100 * (m1 - m0) / window / os.cpu_count(), 1),
            "nrs_branch_drops": drops if server is self.nrs else None,
        }
        row["steady_machine_busy_pct"] = round(steady_machine, 1) if steady_machine is not None else None
        row["steady_server_cpu_pct"] = round(steady_server, 1) if steady_server is not None else None
        if steady_machine is not None and steady_machine >= 90:
            row["note"] = "machine saturated: >= 90% of all cores busy while steady (server, publishers and kernel)"
        log("  capacity %-10s N=%-3d r%d: %s; lag max %s rise %s s; server %s%% publishers %s%%; steady: server %s%%, "
            "machine %s%% busy" % (
                server.name, n, rnd, "sustained" if row["passed"] else "NOT sustained (" + "; ".join(problems) + ")",
                row["max_lag_s"], row["lag_rise_s"], row["server_cpu_pct"], row["publishers_cpu_pct"],
                row["steady_server_cpu_pct"], row["steady_machine_busy_pct"]))
        return row

    def scenario_capacity(self):
        c = self.cfg
        targets = [self.nrs, self.ngx2]
        steps = c["capacity_steps"]
        runs = []
        t_begin = time.monotonic()
        best = {s.name: [] for s in targets}
        # Round 1: ascending steps, the servers alternating at each step, until both fail or the
        # time budget is spent.
        failed = set()
        best_r1 = {s.name: 0 for s in targets}
        for n in steps:
            if len(failed) == len(targets):
                break
            if time.monotonic() - t_begin > c["capacity_budget_s"] * (0.6 if c["rounds"] > 1 else 1.0):
                self.results["notes"].append("capacity: round 1 stopped at N=%d by its time budget" % n)
                break
            for s in targets:
                if s.name in failed:
                    continue
                self.check_alive()
                row = self.capacity_step(s, n, c["capacity_s"], 1)
                runs.append(row)
                if row["passed"]:
                    best_r1[s.name] = n
                else:
                    failed.add(s.name)
        best = {k: [v] for k, v in best_r1.items()}
        # Round 2: each server again at its round-1 capacity, then one step above, alternating.
        # Its round-2 capacity is the highest of those it sustained with every lower one.
        if c["rounds"] > 1:
            plan = {}
            for s in targets:
                b = best_r1[s.name]
                above = [x for x in steps if x > b][:1]
                plan[s.name] = ([b] if b else []) + above
            r2 = {s.name: 0 for s in targets}
            ok = {s.name: True for s in targets}
            for k in range(2):
                for s in targets:
                    ns = plan[s.name]
                    if k >= len(ns) or not ok[s.name]:
                        continue
                    if time.monotonic() - t_begin > c["capacity_budget_s"]:
                        self.results["notes"].append("capacity: round 2 cut short by its time budget")
                        continue
                    self.check_alive()
                    row = self.capacity_step(s, ns[k], c["capacity_s"], 2)
                    runs.append(row)
                    if row["passed"]:
                        r2[s.name] = ns[k]
                    else:
                        ok[s.name] = False
            for s in targets:
                if not r2[s.name] and plan[s.name] and best_r1[s.name]:
                    below = [x for x in steps if x < best_r1[s.name]]
                    r2[s.name] = below[-1] if below else 0
                    self.results["notes"].append(
                        "capacity: %s did not sustain N=%d again in round 2; counted as the step below (%d), "
                        "not re-run" % (s.name, best_r1[s.name], r2[s.name]))
                best[s.name].append(r2[s.name])
        out = {"runs": runs, "steps": steps, "media_s": c["capacity_s"], "capacity": {}}
        for s in targets:
            out["capacity"][s.name] = {"label": s.label, "per_round": best[s.name],
                                       "capacity": min(best[s.name]) if best[s.name] else 0,
                                       "median": median(best[s.name])}
        a, b = out["capacity"]["nrs"]["median"], out["capacity"]["nginx-rtmp"]["median"]
        out["ratio"] = ratio_summary(best["nrs"], best["nginx-rtmp"]) if b else None
        top = max(steps)
        out["search_capped"] = {s.name: best_r1[s.name] == top for s in targets}
        self.results["scenarios"]["capacity"] = out

    # --- scenario 3: ABR ladder ---------------------------------------------------------------

    def ffmpeg_ladder(self, seconds):
        """The ffmpeg CLI: decode once, split, scale and encode each rung, AAC once per rung."""
        rungs = "".join("[v%d]" % i for i in range(len(LADDER)))
        filt = "[0:v]split=%d%s;" % (len(LADDER), rungs) + ";".join(
            "[v%d]scale=-2:%d[o%d]" % (i, r["height"], i) for i, r in enumerate(LADDER))
        cmd = ["ffmpeg", "-hide_banner", "-nostdin", "-loglevel", "error", "-y", "-t", str(seconds),
               "-i", self.clip, "-filter_complex", filt]
        for i, r in enumerate(LADDER):
            b = r["bitrate_k"]
            # keyframes where the source has them, as NRS forces them at the segment clock's cuts
            cmd += ["-map", "[o%d]" % i, "-map", "0:a", "-c:v", "libx264", "-preset", ABR_PRESET,
                    "-tune", ABR_TUNE, "-b:v", "%dk" % b, "-maxrate", "%dk" % b,
                    "-bufsize", "%dk" % (2 * b), "-force_key_frames", "source",
                    "-c:a", "aac", "-b:a", "%dk" % r["audio_k"], "-f", "mpegts", "/dev/null"]
        progress = os.path.join(self.run_dir, "abr-progress.txt")
        cmd[1:1] = ["-progress", progress]
        t0 = time.monotonic()
        p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL)
        _, status, ru = os.wait4(p.pid, 0)
        p.returncode = os.waitstatus_to_exitcode(status)
        wall = time.monotonic() - t0
        frames = 0
        with open(progress) as f:
            for line in f:
                if line.startswith("frame="):
                    frames = int(line.split("=")[1])
        return {"exit": p.returncode, "frames": frames, "wall_s": round(wall, 2),
                "fps": frames / wall if wall and p.returncode == 0 else None,
                "cpu_s": round(ru.ru_utime + ru.ru_stime, 2), "cmd": " ".join(cmd)}

    def nrs_ladder(self, seconds):
        """NRS's LadderTranscoder (bytedeco FFmpeg) on the same clip, muxing each rung to TS."""
        jar = os.path.join(ROOT, "modules", "api", "target", "nrs-node.jar")
        spec = ",".join("%s:%d:%d:%d" % (r["name"], r["height"], r["bitrate_k"], r["audio_k"])
                        for r in LADDER)
        cmd = ["java", "-Xms128m", "-Xmx1g", "-cp", jar,
               "com.nrsgirls.streaming.pipeline.abr.LadderBenchmark",
               self.clip, str(seconds), ABR_PRESET, ABR_TUNE, spec]
        t0 = time.monotonic()
        p = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True)
        wall = time.monotonic() - t0
        if p.returncode != 0:
            return {"exit": p.returncode, "fps": None, "error": p.stderr[-2000:], "cmd": " ".join(cmd)}
        r = json.loads(p.stdout.strip().splitlines()[-1])
        r.update({"exit": 0, "process_wall_s": round(wall, 2), "cmd": " ".join(cmd)})
        return r

    def scenario_abr(self):
        c = self.cfg
        nrs_runs, ff_runs, ratios = [], [], []
        for rnd in range(1, c["rounds"] + 1):
            n = self.nrs_ladder(c["abr_s"])
            n["round"] = rnd
            nrs_runs.append(n)
            f = self.ffmpeg_ladder(c["abr_s"])
            f["round"] = rnd
            ff_runs.append(f)
            if n.get("fps") and f.get("fps"):
                ratios.append(n["fps"] / f["fps"])
            log("  ABR r%d: NRS %.1f fps (%s frames), ffmpeg CLI %.1f fps (%d frames in %.1f s)" % (
                rnd, n.get("fps") or 0, n.get("frames"), f["fps"] or 0, f["frames"], f["wall_s"]))
        ok = [r for r in nrs_runs if r.get("fps")]
        self.results["scenarios"]["abr"] = {
            "ladder": LADDER, "preset": ABR_PRESET, "tune": ABR_TUNE, "source_seconds": c["abr_s"],
            "ffmpeg_runs": ff_runs, "nrs_runs": nrs_runs,
            "ffmpeg_fps": summary([r["fps"] for r in ff_runs]),
            "nrs_fps": summary([r["fps"] for r in ok]) if ok else None,
            "ratio": summary(ratios) if ratios else None,
            # one 30 fps stream needs 30 fps of ladder: how many the 2 cores carry at this speed
            "realtime_streams_estimate": summary([r["fps"] / 30.0 for r in ok]) if ok else None,
            "nrs_rss_per_stream_mb": summary([(r["rss_peak_kb"] - r["rss_before_kb"]) / 1024.0
                                              for r in ok]) if ok else None,
            "nrs": "built" if ok else "failed: " + (nrs_runs[0].get("error") or "")[-300:],
        }

    # --- scenario 4: HLS serving --------------------------------------------------------------

    def scenario_serving(self):
        c = self.cfg
        sid = self.serve_stream.ident
        listed = load.read_playlist_file(self.serve_stream.playlist_file)
        if not listed:
            raise RuntimeError("the warm-up stream has no playlist to serve")
        seg = listed[len(listed) // 2][0]
        seg_path = os.path.join(self.nrs.data_dir, "hls", sid, "source", seg)
        paths = {"playlist": "/live/%s/source/index.m3u8" % sid, "segment": "/live/%s/source/%s" % (sid, seg)}
        sizes = {"playlist": os.path.getsize(self.serve_stream.playlist_file), "segment": os.path.getsize(seg_path)}
        targets = [(self.nrs, self.nrs.url), (self.ngx_http, self.ngx_http.url)]
        for s, url in targets:  # warm both up the same way (the JIT, nginx's open-file cache)
            for kind in ("playlist", "segment"):
                load.run_wrk(url(paths[kind]), 50, c["serving_warm_s"])
        runs = []
        for rnd in range(1, c["rounds"] + 1):
            for conns in c["serving_conns"]:
                for kind in ("playlist", "segment"):
                    for s, url in targets:
                        self.check_alive()
                        c0 = s.cpu()
                        r = load.run_wrk(url(paths[kind]), conns, c["serving_s"])
                        r.update(server=s.name, kind=kind, connections=conns, round=rnd,
                                 server_cpu_s=round(s.cpu() - c0, 2))
                        runs.append(r)
                        log("  serving %-10s %-8s c=%-4d r%d: %s req/s, p99 %s ms, errors %d" % (
                            s.name, kind, conns, rnd, r["rps"], r["p99_ms"], r["socket_errors"] + r["non_2xx"]))
                        time.sleep(0.5)
        out = {"paths": paths, "sizes_bytes": sizes, "runs": [{k: v for k, v in r.items() if k != "raw"} for r in runs],
               "raw_samples": {r["server"] + "-" + r["kind"] + "-c%d" % r["connections"]: r["raw"] for r in runs[-len(targets) * 2:]},
               "table": []}
        for conns in c["serving_conns"]:
            for kind in ("playlist", "segment"):
                a = [r for r in runs if r["server"] == "nrs" and r["kind"] == kind and r["connections"] == conns]
                b = [r for r in runs if r["server"] == "nginx" and r["kind"] == kind and r["connections"] == conns]
                out["table"].append({
                    "kind": kind, "connections": conns,
                    "nrs_rps": summary([r["rps"] for r in a]), "nginx_rps": summary([r["rps"] for r in b]),
                    "nrs_p99_ms": summary([r["p99_ms"] for r in a]), "nginx_p99_ms": summary([r["p99_ms"] for r in b]),
                    "nrs_errors": sum(r["socket_errors"] + r["non_2xx"] for r in a),
                    "nginx_errors": sum(r["socket_errors"] + r["non_2xx"] for r in b),
                    "ratio": ratio_summary([r["rps"] for r in a], [r["rps"] for r in b]),
                })
        out["nginx_label"] = self.ngx_http.label
        self.results["scenarios"]["serving"] = out

    # --- scenario 5: latency ------------------------------------------------------------------

    def latency_run(self, server, seconds, n, rnd):
        streams = server.streams(n, "lat-r%d" % rnd, fresh=True)
        pollers = [load.HttpPoller(s.playlist_url, self.cfg["poll_ms"] / 1000.0) for s in streams]
        for p in pollers:
            p.start()
        procs, logs = [], []
        for i, s in enumerate(streams):
            tsv = os.path.join(self.run_dir, "latency-%s-r%d-%d.tsv" % (server.name, rnd, i))
            logs.append(tsv)
            procs.append(subprocess.Popen(
                [sys.executable, os.path.join(HARNESS, "rtmp_publish.py"), s.publish_url, self.clip,
                 "--seconds", str(seconds), "--log", tsv], stdin=subprocess.DEVNULL))
            time.sleep(2.0 / n * 0.35 if n > 1 else 0)  # keyframes of the streams do not coincide
        codes = [p.wait(seconds + 60) for p in procs]
        time.sleep(1.0)
        for p in pollers:
            p.stop()
        samples, unmatched = [], 0
        for tsv, poller, code in zip(logs, pollers, codes):
            if code != 0 or not os.path.exists(tsv):
                continue
            got, miss = analyze_latency(tsv, poller.first_seen)
            samples += got
            unmatched += miss
        row = {"server": server.name, "round": rnd, "streams": n, "media_s": seconds,
               "publisher_exit_codes": codes, "polls": sum(p.polls for p in pollers),
               "poll_errors": sum(p.errors for p in pollers), "segments": len(samples),
               "unmatched_segments": unmatched, "samples": samples}
        lat = [x["last_frame_ms"] for x in samples]
        log("  latency %-10s r%d: %d segments, last frame -> listed p50 %s ms, max %s ms" % (
            server.name, rnd, len(samples), round(median(lat), 1) if lat else None,
            round(max(lat), 1) if lat else None))
        return row

    def scenario_latency(self):
        c = self.cfg
        runs = []
        for rnd in range(1, c["rounds"] + 1):
            for server in (self.nrs, self.ngx1):
                self.check_alive()
                runs.append(self.latency_run(server, c["latency_s"], c["latency_streams"], rnd))
        out = {"runs": runs, "poll_ms": c["poll_ms"], "by_server": {}}
        for name, label in (("nrs", self.nrs.label), ("nginx-rtmp", self.ngx1.label)):
            samples = [x for r in runs if r["server"] == name for x in r["samples"]]
            per_round = [percentile([x["last_frame_ms"] for x in r["samples"]], 99)
                         for r in runs if r["server"] == name]
            out["by_server"][name] = {
                "label": label, "segments": len(samples),
                "last_frame_p50_ms": percentile([x["last_frame_ms"] for x in samples], 50),
                "last_frame_p99_ms": percentile([x["last_frame_ms"] for x in samples], 99),
                "last_frame_max_ms": max([x["last_frame_ms"] for x in samples], default=None),
                "last_frame_p99_per_round_ms": per_round,
                "keyframe_p50_ms": percentile([x["keyframe_ms"] for x in samples], 50),
                "keyframe_p99_ms": percentile([x["keyframe_ms"] for x in samples], 99),
                "error_bound_ms": max([x["error_ms"] for x in samples], default=None),
                "error_bound_median_ms": percentile([x["error_ms"] for x in samples], 50),
            }
        self.results["scenarios"]["latency"] = out

    # --- scenario 6: restream -----------------------------------------------------------------

    def ffmpeg_relays(self, k, seconds, rnd):
        """k `ffmpeg -i rtmp://.../live/SRC -c copy -f flv rtmp://.../sink/T` relays wait on a
        stream of nginx-rtmp, one publisher feeds it for `seconds`; once it ended the relays are
        stopped (SIGINT). Returns the relays' CPU (wait4 rusage) per target-minute of media."""
        src = self.ngx1.streams(1, "rs-src-r%d" % rnd)[0]
        relay_log = open(self.pub_log("restream-relays-r%d" % rnd), "ab")
        relays = []
        for i in range(k):
            relays.append(subprocess.Popen(
                ["ffmpeg", "-hide_banner", "-nostdin", "-loglevel", "error", "-i", src.publish_url,
                 "-c", "copy", "-f", "flv", "rtmp://127.0.0.1:%d/sink/%s-t%d" % (self.ngx1.rtmp_port, src.ident, i)],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=relay_log))
        time.sleep(0.5)
        group = load.PublisherGroup([src], self.clip, seconds, self.pub_log("restream-src-r%d" % rnd))
        group.wait(seconds + 30)
        time.sleep(1.0)
        cpu, codes = 0.0, []
        # An idle RTMP input needs a second SIGINT before ffmpeg lets go (the first asks it to
        # finish); wait4 reports the rusage of a killed process too.
        for _ in range(2):
            for p in relays:
                try:
                    os.kill(p.pid, signal.SIGINT)  # not p.poll(): it would reap, losing the rusage
                except ProcessLookupError:
                    pass
            time.sleep(0.3)
        for p in relays:
            deadline = time.monotonic() + 3
            while True:
                pid, status, ru = os.wait4(p.pid, os.WNOHANG)
                if pid:
                    break
                if time.monotonic() > deadline:
                    p.kill()
                    pid, status, ru = os.wait4(p.pid, 0)
                    break
                time.sleep(0.05)
            p.returncode = os.waitstatus_to_exitcode(status)
            codes.append(p.returncode)
            cpu += ru.ru_utime + ru.ru_stime
        relay_log.close()
        return {"targets": k, "round": rnd, "relay_cpu_s": round(cpu, 3), "relay_exit_codes": codes,
                "cpu_per_target_min": cpu / (k * seconds / 60.0),
                "source_failures": group.failures()}

    def nrs_restream(self, k, seconds, rnd):
        """NRS with k restream targets (nginx-rtmp's sink) minus NRS with none, same publish."""
        def one(targets):
            s = self.nrs.streams(1, "rs", fresh=True)[0]
            for i in range(targets):
                st, body = self.nrs.api("PUT", "/api/v1/streams/%s/restream-targets/t%d" % (s.ident, i), {
                    "platform": "custom", "url": "rtmp://127.0.0.1:%d/sink" % self.ngx1.rtmp_port,
                    "streamKey": "%s-t%d" % (s.ident, i), "enabled": True})
                if st != 200:
                    raise RuntimeError("PUT restream target answered %s %s" % (st, body))
            c0 = self.nrs.cpu()
            g = load.PublisherGroup([s], self.clip, seconds, self.pub_log("restream-nrs-r%d" % rnd))
            g.wait(seconds + 30)
            time.sleep(1.0)
            return self.nrs.cpu() - c0
        without, with_k = one(0), one(k)
        return {"targets": k, "round": rnd, "cpu_without_s": round(without, 3), "cpu_with_s": round(with_k, 3),
                "cpu_per_target_min": (with_k - without) / (k * seconds / 60.0)}

    def scenario_restream(self):
        c = self.cfg
        runs, nrs_runs = [], []
        for rnd in range(1, c["rounds"] + 1):
            if self.features.get("restream"):
                nrs_runs.append(self.nrs_restream(c["restream_targets"], c["restream_s"], rnd))
            r = self.ffmpeg_relays(c["restream_targets"], c["restream_s"], rnd)
            runs.append(r)
            log("  restream ffmpeg -c copy relays r%d: %.3f CPU-s per target-minute (exit %s)" % (
                rnd, r["cpu_per_target_min"], r["relay_exit_codes"]))
        out = {"targets": c["restream_targets"], "media_s": c["restream_s"], "ffmpeg_runs": runs,
               "ffmpeg_cpu_per_target_min": summary([r["cpu_per_target_min"] for r in runs])}
        if nrs_runs:
            out["nrs_runs"] = nrs_runs
            out["nrs_cpu_per_target_min"] = summary([r["cpu_per_target_min"] for r in nrs_runs])
            out["ratio"] = ratio_summary([r["cpu_per_target_min"] for r in nrs_runs],
                                         [r["cpu_per_target_min"] for r in runs])
            out["nrs"] = "built"
        else:
            out["nrs"] = "not built"
        self.results["scenarios"]["restream"] = out

    # --- the run ------------------------------------------------------------------------------

    def run(self):
        self.make_clip()
        self.results.update(
            mode="smoke" if self.args.smoke else "full",
            started=datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            machine=procstat.machine_info(), versions=self.versions(), clip=self.clip_info(),
            config=self.cfg, nrs_java_opts=self.nrs_java_opts,
            servers_config={
                "nrs": "bin/nrs-streaming, embedded defaults (H2 journal, segments on local disk), "
                       "NRS_JAVA_OPTS=" + self.nrs_java_opts,
                "nginx-rtmp": "live on; hls on; hls_fragment 2s; hls_playlist_length 12s; worker_processes 1 "
                              "for copy path and latency, %d (= cores) for capacity" % os.cpu_count(),
                "nms": "node-media-server v4 bin/app.js, webadmin and recording off; RTMP ingest only (v4 has no HLS)",
                "nginx": "static files from NRS's segment directory, same URLs and Cache-Control/CORS headers as NRS, "
                         "worker_processes %d, sendfile on, keepalive_requests 1000000" % os.cpu_count(),
            })
        self.start_servers()
        self.features = {}
        self.warmup()
        order = [s for s in ["copy", "latency", "capacity", "serving", "abr", "restream"] if s in self.only]
        for name in order:
            log("scenario %s" % name)
            t0 = time.monotonic()
            try:
                getattr(self, "scenario_" + name)()
            except Exception as e:
                traceback.print_exc()
                self.results["errors"].append("%s: %s" % (name, e))
                self.results["scenarios"].setdefault(name, {})["error"] = str(e)
            self.results.setdefault("scenario_wall_s", {})[name] = round(time.monotonic() - t0, 1)
        self.results["wall_s"] = round(time.monotonic() - self.t_start, 1)


def percentile(xs, p):
    """Nearest-rank percentile."""
    xs = sorted(x for x in xs if x is not None)
    if not xs:
        return None
    k = max(0, min(len(xs) - 1, int(-(-p * len(xs) // 100)) - 1))
    return xs[k]


def analyze_latency(tsv, first_seen):
    """Per finished segment: when it was first listed minus when its last frame (and the
    keyframe that closed it) went out. Returns (samples, segments that matched no keyframe)."""
    tags = []
    with open(tsv) as f:
        next(f)
        for line in f:
            typ, dts, key, cfg, start, end = line.rstrip("\n").split("\t")
            if cfg == "1":
                continue
            tags.append((typ, int(dts), key == "1", float(start), float(end)))
    keys = [i for i, t in enumerate(tags) if t[0] == "V" and t[2]]
    if not keys:
        return [], len(first_seen)
    last_send = tags[-1][4]
    expected = tags[keys[0]][1]
    samples, unmatched = [], 0
    for uri, (lo, hi, dur) in sorted(first_seen.items(), key=lambda kv: kv[1][1]):
        expected += dur * 1000
        i = min(keys, key=lambda j: abs(tags[j][1] - expected))
        if abs(tags[i][1] - expected) > 60 or i == keys[0] or hi > last_send + 0.1 and lo > last_send:
            unmatched += 1  # e.g. the last segment, closed by the end of the stream
            continue
        expected = tags[i][1]
        appear = (lo + hi) / 2
        samples.append({
            "segment": uri, "closing_keyframe_dts": tags[i][1],
            "last_frame_ms": (appear - tags[i - 1][4]) * 1000,
            "keyframe_ms": (appear - tags[i][4]) * 1000,
            "error_ms": (hi - lo) / 2 * 1000,
        })
    return samples, unmatched


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--smoke", action="store_true", help="one stream, a few seconds per scenario")
    ap.add_argument("--only", help="comma-separated subset of: " + ",".join(SCENARIOS))
    ap.add_argument("--out", help="results directory (default bench/results, smoke: bench/work/results-smoke)")
    ap.add_argument("--nrs-opts", default="", metavar="FLAGS",
                    help="JVM flags appended to NRS's (e.g. -Dnrs.streaming.ingest.read-interval=0ms); results go under -custom")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=JSON",
                    help="override an input, e.g. --set copy_ns=[10] --set rounds=1 (results go under -custom)")
    args = ap.parse_args()
    bench = Bench(args)

    def on_signal(signum, _):
        raise KeyboardInterrupt("signal %d" % signum)
    signal.signal(signal.SIGTERM, on_signal)
    failed = False
    try:
        bench.run()
    except KeyboardInterrupt as e:
        bench.results["errors"].append("interrupted: %s" % e)
        failed = True
    except Exception as e:
        traceback.print_exc()
        bench.results["errors"].append("fatal: %s" % e)
        failed = True
    finally:
        bench.stop_servers()
    out_dir = args.out or (os.path.join(WORK, "results-smoke") if args.smoke else os.path.join(BENCH, "results"))
    os.makedirs(out_dir, exist_ok=True)
    name = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d")
    if args.set or args.nrs_opts:
        name += "-custom"
    if args.only or failed:
        name += "-partial"
    md_path, json_path = report.write(bench.results, out_dir, name, selected=bench.only)
    log("results: %s and %s" % (os.path.relpath(md_path, ROOT), os.path.relpath(json_path, ROOT)))
    missing = report.missing_figures(bench.results, bench.only)
    for m in missing:
        log("MISSING FIGURE: %s" % m)
    if failed or missing or bench.results["errors"]:
        sys.exit(1)


if __name__ == "__main__":
    main()

"""NRS soak test: one node under steady publish and HLS load for an hour, sampled every minute, to
show that its memory, threads and file descriptors stay flat and that viewers never miss a segment.

Run through bench/soak (which installs what is missing and holds /tmp/nrs-bench.lock):

    bench/soak              # 20 publishers, 200 HLS viewers, 60 min; bench/results/soak-<date>.{md,json}
    bench/soak --minutes N --publishers P --viewers V
    bench/soak --smoke      # 2 min, 2 publishers, 10 viewers (bench/work/results-smoke); exit 1 if a figure is missing

The load: P RTMP publishers (`ffmpeg -re -stream_loop -1 -i CLIP -c copy`, a 720p30 clip looped)
and V viewer threads, round-robin over the streams, each polling its stream's media playlist over
its own keep-alive connection every target duration and downloading every new segment. Each
minute the node's JVM is sampled: RSS, heap after a full GC, threads, open files, CPU. See
bench/README.md.
"""

import argparse
import datetime
import http.client
import json
import os
import random
import re
import signal
import statistics
import subprocess
import sys
import threading
import time
import traceback
import urllib.error
import urllib.parse
import urllib.request

import bench
import load
import procstat
import servers
import staleness

# 720p30, ~2 Mbit/s CBR, a keyframe every 2 s (= NRS's target duration, so every segment is one
# GOP), AAC: a typical streamer's upload. Not bench.py's 1080p clip: a soak wants many viewers,
# and their downloads, not the publishers, should be what loads the node.
CLIP = os.path.join(bench.WORK, "clip720-60s.flv")
CLIP_CMD = (
    "ffmpeg -f lavfi -i testsrc2=size=1280x720:rate=30 -f lavfi -i sine=frequency=440:sample_rate=48000 "
    "-t 60 -c:v libx264 -preset veryfast -b:v 2000k -minrate 2000k -maxrate 2000k -bufsize 4000k "
    "-x264-params nal-hrd=cbr -g 60 -keyint_min 60 -sc_threshold 0 -bf 2 -c:a aac -b:a 128k -ac 2 -f flv {out}")

# bench.py's flags (the per-IP RTMP limit lifted: every publisher is 127.0.0.1), and the per-address
# HTTP limit lifted for the same reason: every viewer is 127.0.0.1 too (the default, 256, would
# refuse viewers beyond it).
NRS_JAVA_OPTS = bench.NRS_JAVA_OPTS + " -Dnrs.streaming.api.max-connections-per-address=0"

FULL = dict(minutes=60, publishers=20, viewers=200)
SMOKE = dict(minutes=2, publishers=2, viewers=10)

# Minutes before this one are the warm-up (JIT, heap sizing, buffers filling): left out of the
# flatness figures. A smoke run is too short to leave anything out.
STEADY_FROM = {"full": 5, "smoke": 1}
FLAT_PCT = 10.0
FIGURES = [("rss_mb", "RSS", "MB"), ("heap_after_gc_mb", "heap after full GC", "MB"),
           ("threads", "threads", ""), ("fds", "open file descriptors", "")]

DEFAULT_TARGET_S = 2.0

log = bench.log


# --- viewers ----------------------------------------------------------------------------------


def parse_media_playlist(text):
    """(EXT-X-MEDIA-SEQUENCE, EXT-X-TARGETDURATION in seconds, [segment URIs]) of a media playlist."""
    seq, target = 0, DEFAULT_TARGET_S
    for line in text.splitlines():
        if line.startswith("#EXT-X-MEDIA-SEQUENCE:"):
            seq = int(line.split(":", 1)[1])
        elif line.startswith("#EXT-X-TARGETDURATION:"):
            target = float(line.split(":", 1)[1])
    return seq, target, [uri for uri, _ in load.parse_playlist(text)]


class Viewer(threading.Thread):
    """One HLS viewer on one keep-alive connection: polls the media playlist every target duration
    (with jitter) and downloads every segment listed after the last one it saw.

    A gap: a playlist whose first segment comes after the one following the last the viewer saw
    (segments slid out of the window before it could see them). An anomaly: a media sequence that
    goes backwards or restarts, or a playlist it cannot read; the viewer then joins again at the
    live edge. Counters are written by this thread only and read by the sampler as they are.
    """

    def __init__(self, port, playlist_path, stop_flag):
        super().__init__(daemon=True)
        self.port = port
        self.playlist_path = playlist_path
        self.stop_flag = stop_flag
        self.conn = None
        self.first_seq = None  # media sequence of the last playlist read
        self.last_seq = None  # sequence number of the newest segment seen
        self.requests = self.non_200 = self.conn_errors = 0
        self.segments = self.bytes = 0
        self.gaps = self.skipped = self.anomalies = 0

    def run(self):
        """Polls until stopped; a connection error closes the connection, the next poll reopens it."""
        # Start somewhere in the first target duration, so that the viewers' polls do not coincide.
        self.stop_flag.wait(random.uniform(0, DEFAULT_TARGET_S))
        while not self.stop_flag.is_set():
            interval = DEFAULT_TARGET_S
            try:
                interval = self.poll()
            except (OSError, http.client.HTTPException):
                self.conn_errors += 1
                self.close()
            except ValueError:
                self.anomalies += 1
                self.last_seq = None
            self.stop_flag.wait(interval * random.uniform(0.9, 1.1))
        self.close()

    def close(self):
        """Closes the connection, if open."""
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def get(self, path):
        """(status, body) of a GET on the viewer's connection, the body read whole."""
        if self.conn is None:
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        self.conn.request("GET", path)
        r = self.conn.getresponse()
        body = r.read()
        self.requests += 1
        self.bytes += len(body)
        if r.status != 200:
            self.non_200 += 1
        return r.status, body

    def poll(self):
        """Reads the playlist, counts gaps and anomalies, downloads the new segments; returns the
        target duration (how long to wait before the next poll)."""
        status, body = self.get(self.playlist_path)
        if status != 200:
            return DEFAULT_TARGET_S
        seq, target, uris = parse_media_playlist(body.decode("utf-8", "replace"))
        last = seq + len(uris) - 1
        if self.last_seq is not None:
            if seq < self.first_seq or last < self.last_seq:
                self.anomalies += 1
                self.last_seq = None
            elif seq > self.last_seq + 1:
                self.gaps += 1
                self.skipped += seq - self.last_seq - 1
        self.first_seq = seq
        # A viewer that has seen nothing yet joins at the live edge (the newest segment).
        start = last if self.last_seq is None else max(seq, self.last_seq + 1)
        for n in range(start, last + 1):
            # Seen whatever the answer: a segment that failed is counted, not fetched again.
            self.last_seq = n
            status, _ = self.get(urllib.parse.urljoin(self.playlist_path, uris[n - seq]))
            if status == 200:
                self.segments += 1
        return target


def viewer_totals(viewers):
    """The viewers' counters summed."""
    keys = ("requests", "non_200", "conn_errors", "segments", "bytes", "gaps", "skipped", "anomalies")
    return {k: sum(getattr(v, k) for v in viewers) for k in keys}


def lists_segment(url):
    """Whether the playlist at url answers 200 and lists at least one segment."""
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            return bool(load.parse_playlist(r.read().decode("utf-8", "replace")))
    except (urllib.error.URLError, OSError):
        return False


def wait_playlists(streams, timeout):
    """Waits until every stream's media playlist lists a segment; raises after timeout seconds."""
    deadline = time.monotonic() + timeout
    pending = list(streams)
    while True:
        pending = [s for s in pending if not lists_segment(s.playlist_url)]
        if not pending:
            return
        if time.monotonic() > deadline:
            raise RuntimeError("%d of %d streams list no segment after %d s" % (len(pending), len(streams), timeout))
        time.sleep(0.5)


# --- the node ---------------------------------------------------------------------------------


def scrape_metrics(nrs):
    """The node's own series from /metrics ({series: value}, e.g. 'nrs_rtmp_connections_open');
    empty if the scrape fails."""
    try:
        with urllib.request.urlopen(nrs.url("/metrics"), timeout=10) as r:
            text = r.read().decode("utf-8", "replace")
    except (urllib.error.URLError, OSError):
        return {}
    out = {}
    for line in text.splitlines():
        if line.startswith("nrs_"):
            series, _, value = line.rpartition(" ")
            try:
                out[series] = float(value)
            except ValueError:
                continue
    return out


def heap_after_gc_mb(nrs):
    """Heap in use after a full GC in MB (servers.Nrs.heap_used_kb), or None if jcmd failed."""
    try:
        kb = nrs.heap_used_kb()
    except (subprocess.SubprocessError, OSError):
        return None
    return round(kb / 1024, 1) if kb else None


def node_log_summary(path):
    """WARN and ERROR lines in the node's log: counts, and the first few lines."""
    counts, first = {"WARN": 0, "ERROR": 0}, []
    try:
        with open(path, errors="replace") as f:
            for line in f:
                words = line.split(None, 2)
                if len(words) >= 2 and words[1] in counts:
                    counts[words[1]] += 1
                    if len(first) < 10:
                        first.append(line.rstrip()[:300])
    except FileNotFoundError:
        pass
    return {"warn": counts["WARN"], "error": counts["ERROR"], "first": first}


# --- setup ------------------------------------------------------------------------------------


def make_clip():
    """Makes the 720p clip into bench/work if it is missing."""
    if os.path.exists(CLIP):
        return
    log("making %s (takes a while)" % CLIP)
    os.makedirs(bench.WORK, exist_ok=True)
    cmd = CLIP_CMD.format(out=CLIP + ".tmp").split()
    subprocess.run(cmd[:1] + ["-v", "error", "-y"] + cmd[1:], check=True)
    os.replace(CLIP + ".tmp", CLIP)


def clip_info():
    """Path, command and probe (duration, bit rate, video size and rate) of the clip."""
    r = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries",
         "format=duration,bit_rate:stream=codec_name,width,height,r_frame_rate,sample_rate",
         "-of", "json", CLIP], capture_output=True, text=True)
    probe = json.loads(r.stdout or "{}")
    return {"path": os.path.relpath(CLIP, bench.ROOT), "made_with": CLIP_CMD.format(out=os.path.basename(CLIP)),
            "format": probe.get("format"), "streams": probe.get("streams")}


def first_line(cmd, stderr=False):
    """First line a version command prints, or None."""
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    text = ((r.stderr if stderr else r.stdout) or r.stdout or r.stderr).strip()
    return text.splitlines()[0] if text else None


def versions():
    """The node's commit (as bench.py records it: +dirty, stale jar) and the tools' versions."""
    commit = first_line(["git", "-C", bench.ROOT, "rev-parse", "--short=12", "HEAD"])
    dirty = subprocess.run(["git", "-C", bench.ROOT, "status", "--porcelain", "--", "modules", "pom.xml",
                            "application.conf", "bin"], capture_output=True, text=True).stdout.strip()
    stale = staleness.newer_source(bench.ROOT)
    return {
        "nrs_commit": "%s%s%s" % (commit, "+dirty" if dirty else "", " (jar older than sources)" if stale else ""),
        "java": first_line(["java", "-version"], stderr=True),
        "ffmpeg": (first_line(["ffmpeg", "-version"]) or "").split(" Copyright")[0] or None,
        "python": sys.version.split()[0],
    }


# --- the run ----------------------------------------------------------------------------------


class Soak:
    """One soak run: the node, its publishers and viewers, and what the sampler collected."""

    def __init__(self, cfg, mode):
        self.cfg = cfg
        self.mode = mode
        self.run_dir = os.path.join(bench.WORK, "soak-" + time.strftime("%Y%m%d-%H%M%S"))
        os.makedirs(self.run_dir, exist_ok=True)
        self.nrs = None
        self.group = None
        self.viewers = []
        self.stop_flag = threading.Event()
        self.t_start = time.monotonic()
        self.results = {"mode": mode, "config": cfg, "nrs_java_opts": NRS_JAVA_OPTS,
                        "steady_from_minute": STEADY_FROM[mode], "samples": [], "errors": []}

    def run(self):
        """Starts everything, then samples the node once a minute until the time is up."""
        c = self.cfg
        if not os.path.exists(os.path.join(bench.ROOT, "modules", "api", "target", "nrs-node.jar")):
            raise RuntimeError("no nrs-node.jar: bench/soak builds it; run that instead")
        make_clip()
        self.results.update(
            started=datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            machine=procstat.machine_info(), versions=versions(), clip=clip_info())
        log("starting NRS")
        self.nrs = servers.Nrs(os.path.join(self.run_dir, "nrs"), bench.ROOT, NRS_JAVA_OPTS)
        self.nrs.start()
        streams = self.nrs.streams(c["publishers"], "soak", fresh=True)
        # -t is a backstop (a publisher left behind ends on its own); the run stops them itself.
        log("starting %d publishers (looping %s)" % (c["publishers"], os.path.basename(CLIP)))
        self.group = load.PublisherGroup(streams, CLIP, c["minutes"] * 60 + 300,
                                         os.path.join(self.run_dir, "publishers.log"), spread=2.0, loop=True)
        # Without the stream keys: the results are meant to be committed.
        self.results["publisher_cmd"] = re.sub(r"/live/[^|\s]+", "/live/KEY", " ".join(self.group.pubs[0].cmd))
        self.results["publisher_processes"] = len(self.group.pubs)
        wait_playlists(streams, 60)
        log("starting %d viewers" % c["viewers"])
        for i in range(c["viewers"]):
            path = urllib.parse.urlsplit(streams[i % len(streams)].playlist_url).path
            self.viewers.append(Viewer(self.nrs.http_port, path, self.stop_flag))
        for v in self.viewers:
            v.start()
        t0 = time.monotonic()
        prev = (t0, procstat.cpu_seconds(self.nrs.java_pid()))
        for minute in range(1, c["minutes"] + 1):
            self.wait_until(t0 + 60 * minute)
            sample = self.sample(minute, prev)
            prev = (time.monotonic(), sample["cpu_s"])
            self.results["samples"].append(sample)
            log(sample_line(sample, c["publishers"]))

    def wait_until(self, due):
        """Sleeps until the monotonic time due, checking every second that the node still runs."""
        while True:
            if not self.nrs.alive():
                raise RuntimeError("NRS died (exit %s); see %s" % (self.nrs.proc.returncode, self.nrs.log.name))
            left = due - time.monotonic()
            if left <= 0:
                return
            time.sleep(min(1.0, left))

    def sample(self, minute, prev):
        """One minute's figures: the JVM's, the node's RTMP gauge, the viewers' counters so far."""
        pid = self.nrs.java_pid()
        now = time.monotonic()
        cpu = procstat.cpu_seconds(pid)
        # /proc first: the jcmd probe below attaches to the JVM (a thread, a socket) and runs a GC.
        s = {"minute": minute, "elapsed_s": round(now - self.t_start, 1),
             "rss_mb": round(procstat.rss_kb(pid) / 1024, 1) or None,
             "threads": procstat.threads(pid) or None, "fds": procstat.open_fds(pid) or None,
             "cpu_s": round(cpu, 1), "cpu_pct": round(100 * (cpu - prev[1]) / (now - prev[0]), 1),
             "rtmp_connections_open": scrape_metrics(self.nrs).get("nrs_rtmp_connections_open"),
             "journal_mb": journal_mb(self.nrs),
             "publisher_processes_running": self.group.running()}
        s["heap_after_gc_mb"] = heap_after_gc_mb(self.nrs)
        s.update(viewer_totals(self.viewers))
        return s

    def stop(self):
        """Stops viewers, publishers and node (each even if another fails) and records the end."""
        self.stop_flag.set()
        for v in self.viewers:
            v.join(15)
        self.results["totals"] = viewer_totals(self.viewers)
        if self.group is not None:
            try:
                # Ended before being stopped: a publisher the node dropped, or one that failed.
                self.results["publishers_ended_early"] = [p.exit_code for p in self.group.pubs if p.reap()]
                self.group.wait(0)
            except Exception as e:  # keep stopping the node
                log("stopping the publishers: %s" % e)
        if self.nrs is not None:
            if self.nrs.alive():
                self.results["node_counters"] = scrape_metrics(self.nrs)
            try:
                self.nrs.stop()
            except Exception as e:
                log("stopping NRS: %s" % e)
            self.results["node_log"] = node_log_summary(os.path.join(self.nrs.workdir, "node.log"))
            self.results["node_log"]["path"] = os.path.relpath(os.path.join(self.nrs.workdir, "node.log"), bench.ROOT)
        self.results["wall_s"] = round(time.monotonic() - self.t_start, 1)


def journal_mb(nrs):
    """The embedded H2 journal file's size: it only grows while the node runs (it is compacted at
    start), so its growth per minute is what the node writes to its journal under this load."""
    path = os.path.join(nrs.data_dir, "journal", "nrs.mv.db")
    return round(os.path.getsize(path) / 1e6, 2) if os.path.exists(path) else None


def sample_line(s, publishers):
    """The log line printed for one minute's sample."""
    def num(v, f="%.0f"):
        return "?" if v is None else f % v
    return ("minute %2d: RSS %s MB, heap after GC %s MB, %s threads, %s fds, CPU %s %%, journal %s MB; "
            "RTMP open %s, publisher processes %d; viewers: %d requests, %d segments (%.0f MB), %d gaps, "
            "%d anomalies, %d errors" % (
                s["minute"], num(s["rss_mb"]), num(s["heap_after_gc_mb"], "%.1f"), num(s["threads"]), num(s["fds"]),
                num(s["cpu_pct"]), num(s.get("journal_mb"), "%.2f"), num(s["rtmp_connections_open"]),
                s["publisher_processes_running"],
                s["requests"], s["segments"], s["bytes"] / 1e6, s["gaps"], s["anomalies"],
                s["non_200"] + s["conn_errors"]))


# --- summary and report -----------------------------------------------------------------------


def flatness(samples, key, first_minute):
    """Each steady minute's value against the steady minutes' median: the largest deviation in
    percent, where it was, and the verdict."""
    vals = [(s["minute"], s[key]) for s in samples if s["minute"] >= first_minute and s.get(key) is not None]
    missing = sum(1 for s in samples if s["minute"] >= first_minute and s.get(key) is None)
    if not vals:
        return {"verdict": "no figure", "missing": missing}
    med = statistics.median(v for _, v in vals)
    minute, worst = max(vals, key=lambda mv: abs(mv[1] - med))
    dev = 100 * abs(worst - med) / med
    return {"median": med, "min": min(v for _, v in vals), "max": max(v for _, v in vals),
            "max_deviation_pct": round(dev, 1), "at_minute": minute, "minutes": len(vals), "missing": missing,
            "trend_pct_per_hour": trend_pct_per_hour(vals, med),
            "verdict": "flat within ±%g %%" % FLAT_PCT if dev <= FLAT_PCT else "not flat"}


def trend_pct_per_hour(vals, median):
    """The least-squares slope of (minute, value), in percent of the median per hour: what tells a
    leak (a steady climb) from noise (heap after GC swings with the responses in flight at the
    moment of the probe, RSS with the JIT's late work)."""
    if len(vals) < 2 or not median:
        return None
    mx = statistics.mean(m for m, _ in vals)
    my = statistics.mean(v for _, v in vals)
    var = sum((m - mx) ** 2 for m, _ in vals)
    if not var:
        return None
    slope = sum((m - mx) * (v - my) for m, v in vals) / var
    return round(100 * slope * 60 / median, 1)


def summarize(results):
    """Flatness per figure and the viewers' totals, with the overall verdict."""
    first = results["steady_from_minute"]
    t = results.get("totals") or {}
    out = {key: flatness(results["samples"], key, first) for key, _, _ in FIGURES}
    out["gaps"] = t.get("gaps", 0)
    out["skipped_segments"] = t.get("skipped", 0)
    out["anomalies"] = t.get("anomalies", 0)
    out["errors"] = t.get("non_200", 0) + t.get("conn_errors", 0)
    out["requests"] = t.get("requests", 0)
    out["segments"] = t.get("segments", 0)
    flat = all(out[key]["verdict"].startswith("flat") for key, _, _ in FIGURES)
    out["goal_met"] = flat and out["gaps"] == 0 and not results["errors"]
    return out


def missing_figures(results):
    """What the report needs and did not get: samples, their figures, downloaded segments."""
    missing = []
    if not results["samples"]:
        missing.append("no minute was sampled")
    for s in results["samples"]:
        for key in ("rss_mb", "heap_after_gc_mb", "threads", "fds", "cpu_s"):
            if not s.get(key):
                missing.append("minute %d: %s" % (s["minute"], key))
    if not (results.get("totals") or {}).get("segments"):
        missing.append("no segment was downloaded")
    return missing


def fmt(v, unit="", digits=0):
    """A number with its unit, or a dash."""
    if v is None:
        return "—"
    return ("%." + str(digits) + "f%s") % (v, " " + unit if unit else "")


def markdown(results):
    """The readable report."""
    r, m, v, sm = results, results.get("machine") or {}, results.get("versions") or {}, results["summary"]
    c, clip = r["config"], r.get("clip") or {}
    cf = clip.get("format") or {}
    first = r["steady_from_minute"]
    last = r["samples"][-1]["minute"] if r["samples"] else first
    lines = [
        "# NRS Streaming soak test, %s (%s run)" % (r.get("started", "?"), r["mode"]),
        "",
        "Generated by `bench/soak%s`: one node under steady RTMP publish and HLS viewer load, its JVM "
        "sampled every minute (RSS, heap after a full GC, threads, open file descriptors, CPU). "
        "Method: [bench/README.md](../README.md#soak-test)." % (" --smoke" if r["mode"] == "smoke" else ""),
        "",
        "| | |", "|---|---|",
        "| machine | %s cores (%s), %s GiB RAM, kernel %s |" % (m.get("cores"), m.get("cpu", "?"), m.get("ram_gib"),
                                                              m.get("kernel")),
        "| NRS | commit %s; JVM flags `%s` |" % (v.get("nrs_commit"), r["nrs_java_opts"]),
        "| java / ffmpeg / python | %s / %s / %s |" % (v.get("java"), v.get("ffmpeg"), v.get("python")),
        "| parameters | %d publishers, %d HLS viewers (round-robin over the streams), %d minutes |" % (
            c["publishers"], c["viewers"], c["minutes"]),
        "| clip | `%s`: %s s, %s kbit/s; made with `%s` |" % (
            clip.get("path"), cf.get("duration"), int(cf.get("bit_rate", 0) or 0) // 1000, clip.get("made_with")),
        "| publishers | `%s` (%s processes; `-f tee` when one carries several streams) |" % (
            r.get("publisher_cmd", "—"), r.get("publisher_processes", "—")),
        "| viewers | one thread and one keep-alive connection each: GET the media playlist, GET every segment "
        "after the last seen (a new viewer starts at the newest), wait the target duration ±10 % |",
        "| wall time | %s s |" % r.get("wall_s"),
        "",
        "## Summary",
        "",
        "Goal: RSS, heap after GC, threads and file descriptors flat within ±%g %% of their median from "
        "minute %d on (minutes before are the warm-up), and no media-sequence gap. **%s.**" % (
            FLAT_PCT, first, "Met" if sm["goal_met"] else "Not met"),
        "",
        "| figure | median (minutes %d–%d) | min–max | largest deviation from the median | trend | verdict |"
        % (first, last),
        "|---|---|---|---|---|---|",
    ]
    for key, label, unit in FIGURES:
        f = sm[key]
        if "median" not in f:
            lines.append("| %s | — | — | — | — | %s |" % (label, f["verdict"]))
            continue
        digits = 1 if unit else 0
        trend = f.get("trend_pct_per_hour")
        lines.append("| %s | %s | %s–%s | %.1f %% (minute %d) | %s | %s%s |" % (
            label, fmt(f["median"], unit, digits), fmt(f["min"], "", digits), fmt(f["max"], unit, digits),
            f["max_deviation_pct"], f["at_minute"], "—" if trend is None else "%+.1f %% per hour" % trend,
            f["verdict"],
            " (%d minutes without a figure)" % f["missing"] if f["missing"] else ""))
    t = r.get("totals") or {}
    lines += [
        "",
        "| viewers, whole run | |", "|---|---|",
        "| media-sequence gaps (goal 0) | %d (%d segments skipped) |" % (sm["gaps"], sm["skipped_segments"]),
        "| anomalies (sequence back or restarted, unreadable playlist) | %d |" % sm["anomalies"],
        "| errors | %d (%d non-200 answers, %d connection errors) |" % (
            sm["errors"], t.get("non_200", 0), t.get("conn_errors", 0)),
        "| requests | %d (%d segments downloaded, %.1f MB) |" % (sm["requests"], sm["segments"], t.get("bytes", 0) / 1e6),
        "| publishers that ended before the stop | %s |" % (r.get("publishers_ended_early") or "none"),
        "",
        "## Per minute",
        "",
        "Cumulative viewer counters; CPU in % of one core over the minute (it includes the previous "
        "sample's full GC).",
        "",
        "| minute | RSS MB | heap after GC MB | threads | fds | CPU % | journal MB | RTMP open | "
        "publisher processes | requests | segments | MB | gaps | anomalies | errors |",
        "|" + "---|" * 15,
    ]
    for s in r["samples"]:
        lines.append("| %d | %s | %s | %s | %s | %s | %s | %s | %d | %d | %d | %.0f | %d | %d | %d |" % (
            s["minute"], fmt(s["rss_mb"], "", 1), fmt(s["heap_after_gc_mb"], "", 1), fmt(s["threads"]),
            fmt(s["fds"]), fmt(s["cpu_pct"]), fmt(s.get("journal_mb"), "", 2), fmt(s["rtmp_connections_open"]),
            s["publisher_processes_running"],
            s["requests"], s["segments"], s["bytes"] / 1e6, s["gaps"], s["anomalies"], s["non_200"] + s["conn_errors"]))
    nl = r.get("node_log") or {}
    lines += ["", "## The node", "",
              "Log `%s`: %s WARN, %s ERROR lines." % (nl.get("path"), nl.get("warn"), nl.get("error"))]
    if nl.get("first"):
        lines += ["", "```"] + nl["first"] + ["```"]
    counters = {k: val for k, val in (r.get("node_counters") or {}).items() if val}
    if counters:
        lines += ["", "Its own series in `/metrics` at the end (non-zero):", "", "| series | value |", "|---|---|"]
        lines += ["| `%s` | %g |" % kv for kv in sorted(counters.items())]
    if r["errors"]:
        lines += ["", "## Errors", ""] + ["- %s" % e for e in r["errors"]]
    return "\n".join(lines) + "\n"


def write(results, out_dir, name):
    """Writes NAME.md and NAME.json into out_dir; returns their paths."""
    os.makedirs(out_dir, exist_ok=True)
    md_path, json_path = os.path.join(out_dir, name + ".md"), os.path.join(out_dir, name + ".json")
    with open(json_path, "w") as f:
        json.dump(results, f, indent=1)
    with open(md_path, "w") as f:
        f.write(markdown(results))
    return md_path, json_path


def main():
    """Parses the arguments, runs the soak (stopping cleanly on Ctrl-C or SIGTERM) and writes the
    results; exits 1 on a failure or a missing figure."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--smoke", action="store_true", help="2 minutes, 2 publishers, 10 viewers")
    ap.add_argument("--minutes", type=int, help="how long to sample (default 60)")
    ap.add_argument("--publishers", type=int, help="streams, each with its RTMP publisher (default 20)")
    ap.add_argument("--viewers", type=int, help="HLS viewers, round-robin over the streams (default 200)")
    args = ap.parse_args()
    mode = "smoke" if args.smoke else "full"
    defaults = SMOKE if args.smoke else FULL
    cfg = {k: d if getattr(args, k) is None else getattr(args, k) for k, d in defaults.items()}
    if min(cfg.values()) < 1:
        ap.error("--minutes, --publishers and --viewers must be at least 1")
    soak = Soak(cfg, mode)

    def on_signal(signum, _):
        raise KeyboardInterrupt("signal %d" % signum)
    signal.signal(signal.SIGTERM, on_signal)
    failed = False
    try:
        soak.run()
    except KeyboardInterrupt as e:
        soak.results["errors"].append("interrupted: %s" % (str(e) or "Ctrl-C"))
        failed = True
    except Exception as e:
        traceback.print_exc()
        soak.results["errors"].append("fatal: %s" % e)
        failed = True
    finally:
        log("stopping")
        soak.stop()
    soak.results["summary"] = summarize(soak.results)
    name = "soak-smoke" if args.smoke else "soak"
    if cfg != defaults:
        name += "-custom"
    if failed:
        name += "-partial"
    name += "-" + datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d")
    # Like bench.py: a smoke run's results stay in the git-ignored work directory.
    out_dir = os.path.join(bench.WORK, "results-smoke") if args.smoke else os.path.join(bench.BENCH, "results")
    md_path, json_path = write(soak.results, out_dir, name)
    sm = soak.results["summary"]
    for key, label, _ in FIGURES:
        f = sm[key]
        log("%s: %s%s" % (label, f["verdict"], " (largest deviation %.1f %% at minute %d)" % (
            f["max_deviation_pct"], f["at_minute"]) if "median" in f else ""))
    log("viewers: %d gaps (%d segments skipped), %d anomalies, %d errors, %d requests, %d segments" % (
        sm["gaps"], sm["skipped_segments"], sm["anomalies"], sm["errors"], sm["requests"], sm["segments"]))
    log("results: %s and %s" % (os.path.relpath(md_path, bench.ROOT), os.path.relpath(json_path, bench.ROOT)))
    missing = missing_figures(soak.results)
    for m in missing:
        log("MISSING FIGURE: %s" % m)
    if failed or missing:
        sys.exit(1)


if __name__ == "__main__":
    main()

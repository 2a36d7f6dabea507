"""Load generators and observers: ffmpeg publishers, wrk, playlist watchers and pollers."""

import http.client
import os
import re
import subprocess
import threading
import time


# --- ffmpeg publishers ------------------------------------------------------------------------


class Publisher:
    """One `ffmpeg -re -t SECONDS -i CLIP -c copy` process publishing to one RTMP URL (`-f flv`)
    or to several at once (`-f tee`, the clip read once); reaped with its rusage. With loop, the
    clip is read over and over (`-stream_loop -1`) until SECONDS of media went out."""

    def __init__(self, urls, clip, seconds, log, loop=False):
        self.urls = urls
        self.started = time.monotonic()
        if len(urls) == 1:
            out = ["-f", "flv", urls[0]]
        else:
            out = ["-map", "0", "-f", "tee", "|".join("[f=flv]" + u for u in urls)]
        self.cmd = (["ffmpeg", "-hide_banner", "-nostdin", "-loglevel", "error", "-re"]
                    + (["-stream_loop", "-1"] if loop else [])
                    + ["-t", "%g" % seconds, "-i", clip, "-c", "copy"] + out)
        self.proc = subprocess.Popen(self.cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=log)
        self.ended = None
        self.exit_code = None
        self.cpu = 0.0

    def reap(self, block=False):
        """True once the process has ended (its CPU and exit code recorded)."""
        if self.ended is not None:
            return True
        pid, status, ru = os.wait4(self.proc.pid, 0 if block else os.WNOHANG)
        if pid == 0:
            return False
        self.ended = time.monotonic()
        self.exit_code = os.waitstatus_to_exitcode(status)
        self.proc.returncode = self.exit_code
        self.cpu = ru.ru_utime + ru.ru_stime
        return True

    def kill(self):
        if self.ended is None:
            try:
                self.proc.kill()
            except ProcessLookupError:
                pass
            self.reap(block=True)


def group_size(n, max_processes=10):
    """Outputs per ffmpeg process: one process per stream up to 10 streams, then at most 10
    processes (a 4.7 Mbit/s `-re -c copy` ffmpeg costs ~1.2 CPU-s per minute on its own, each
    further tee output ~0.2: one process per stream would make the load generator, not the
    server, the limit of a 2-core machine)."""
    return max(1, -(-n // max_processes))


class PublisherGroup:
    """N streams published by ffmpeg processes (see group_size) started over `spread` seconds,
    so their keyframes do not all coincide."""

    def __init__(self, streams, clip, seconds, log_path, spread=1.0, per_process=None, loop=False):
        self.log = open(log_path, "ab")
        self.pubs = []
        self.starts = {}
        g = per_process or group_size(len(streams))
        batches = [streams[i:i + g] for i in range(0, len(streams), g)]
        t0 = time.monotonic()
        for i, batch in enumerate(batches):
            due = t0 + (spread * i / len(batches) if len(batches) > 1 else 0)
            delay = due - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            p = Publisher([s.publish_url for s in batch], clip, seconds, self.log, loop=loop)
            self.pubs.append(p)
            for s in batch:
                self.starts[s.ident] = p.started
        self.per_process = g

    def running(self):
        return sum(0 if p.reap() else 1 for p in self.pubs)

    def wait(self, timeout, on_tick=None, tick=0.5):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.running() == 0:
                break
            if on_tick:
                on_tick()
            time.sleep(tick)
        for p in self.pubs:
            p.kill()
        self.log.close()

    def cpu(self):
        return sum(p.cpu for p in self.pubs)

    def failures(self):
        return [p.exit_code for p in self.pubs if p.exit_code != 0]

    def failed_streams(self):
        return sum(len(p.urls) for p in self.pubs if p.exit_code != 0)

    def durations(self):
        return [p.ended - p.started for p in self.pubs if p.ended is not None]


# --- playlists --------------------------------------------------------------------------------

_EXTINF = re.compile(r"#EXTINF:([0-9.]+)")


def parse_playlist(text):
    """[(uri, seconds)] of a media playlist."""
    out, dur = [], None
    for line in text.splitlines():
        line = line.strip()
        m = _EXTINF.match(line)
        if m:
            dur = float(m.group(1))
        elif line and not line.startswith("#") and dur is not None:
            out.append((line, dur))
            dur = None
    return out


def read_playlist_file(path):
    try:
        with open(path) as f:
            return parse_playlist(f.read())
    except (FileNotFoundError, UnicodeDecodeError):
        return []


class DiskWatcher:
    """Follows streams' media playlists on disk: media seconds published since the watch began.

    A stream's lag at time t is (t - its publisher's start) - media published. It stays between
    about one and two segment durations while a server keeps up, and grows when it does not.
    """

    def __init__(self, streams):
        self.streams = [s for s in streams if s.playlist_file]
        self.before = {s.ident: {u for u, _ in read_playlist_file(s.playlist_file)} for s in self.streams}
        self.seen = {s.ident: {} for s in self.streams}
        self.samples = []  # (t, {ident: published seconds})

    def poll(self):
        now = time.monotonic()
        snap = {}
        for s in self.streams:
            seen = self.seen[s.ident]
            for uri, dur in read_playlist_file(s.playlist_file):
                if uri not in self.before[s.ident] and uri not in seen:
                    seen[uri] = dur
            snap[s.ident] = sum(seen.values())
        self.samples.append((now, snap))

    def published(self, ident):
        return sum(self.seen[ident].values())

    def segments(self, ident):
        return len(self.seen[ident])


class HttpPoller(threading.Thread):
    """Polls one media playlist over HTTP/1.1 keep-alive every `interval` seconds and records,
    for every segment URI, when it was first listed: between the request of the last poll that
    did not list it and the response of the first poll that did."""

    def __init__(self, url, interval):
        super().__init__(daemon=True)
        m = re.match(r"http://([^/:]+):(\d+)(/.*)", url)
        self.host, self.port, self.path = m.group(1), int(m.group(2)), m.group(3)
        self.interval = interval
        self.stop_flag = threading.Event()
        self.first_seen = {}  # uri -> (lower bound, upper bound, seconds)
        self.polls = 0
        self.errors = 0

    def run(self):
        conn = None
        last_req = None
        known = set()
        while not self.stop_flag.is_set():
            t_req = time.monotonic()
            try:
                if conn is None:
                    conn = http.client.HTTPConnection(self.host, self.port, timeout=5)
                conn.request("GET", self.path)
                r = conn.getresponse()
                body = r.read()
                t_resp = time.monotonic()
                self.polls += 1
                if r.status == 200:
                    for uri, dur in parse_playlist(body.decode("utf-8", "replace")):
                        if uri not in known:
                            known.add(uri)
                            lower = last_req if last_req is not None else t_req
                            self.first_seen[uri] = (lower, t_resp, dur)
                last_req = t_req
            except (OSError, http.client.HTTPException):
                self.errors += 1
                if conn is not None:
                    conn.close()
                conn = None
            delay = t_req + self.interval - time.monotonic()
            if delay > 0:
                time.sleep(delay)
        if conn is not None:
            conn.close()

    def stop(self):
        self.stop_flag.set()
        self.join(5)


# --- wrk --------------------------------------------------------------------------------------

_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def _ms(text):
    m = re.match(r"([0-9.]+)(us|ms|s|m)$", text)
    return float(m.group(1)) * _UNITS[m.group(2)] if m else None


def run_wrk(url, connections, seconds, threads=2):
    """Runs wrk; returns requests/s, p50/p99 latency in ms, errors, and the raw output."""
    cmd = ["wrk", "-t%d" % threads, "-c%d" % connections, "-d%ds" % seconds, "--latency",
           "--timeout", "10s", url]
    t0 = time.monotonic()
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 60)
    out = r.stdout + r.stderr
    res = {"cmd": " ".join(cmd), "wall_s": round(time.monotonic() - t0, 2), "exit": r.returncode}
    m = re.search(r"Requests/sec:\s+([0-9.]+)", out)
    res["rps"] = float(m.group(1)) if m else None
    for pct in ("50", "75", "90", "99"):
        m = re.search(r"^\s+%s%%\s+(\S+)" % pct, out, re.M)
        res["p%s_ms" % pct] = _ms(m.group(1)) if m else None
    m = re.search(r"(\d+) requests in", out)
    res["requests"] = int(m.group(1)) if m else None
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    res["socket_errors"] = sum(int(x) for x in m.groups()) if m else 0
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    res["non_2xx"] = int(m.group(1)) if m else 0
    m = re.search(r"Transfer/sec:\s+(\S+)", out)
    res["transfer_per_s"] = m.group(1) if m else None
    res["raw"] = out.strip()
    return res

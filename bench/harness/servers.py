"""The servers under test, each started by the harness in bench/work/run-*/ on loopback ports.

- Nrs: bin/nrs-streaming (the JVM is the process the harness starts: the script execs java).
- NginxRtmp: Debian nginx + libnginx-mod-rtmp, `hls on`, its own prefix, pid file and logs,
  in the foreground (daemon off, master + workers).
- NginxHttp: plain nginx serving NRS's segment directory, for scenario 4.
- Nms: Node-Media-Server v4 from bench/work/node_modules (RTMP ingest only: v4 has no HLS).

Each server reports its processes, so CPU and RSS are summed over master and workers (nginx) or
node and any child (NMS).
"""

import json
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request

import procstat

NGINX_RTMP_MODULE = "/usr/lib/nginx/modules/ngx_rtmp_module.so"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, timeout, proc=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError("process exited with %s before listening on %d" % (proc.returncode, port))
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("nothing listens on port %d after %ss" % (port, timeout))


class Stream:
    """One publishable stream: where to publish, where its media playlist is on disk and over HTTP."""

    def __init__(self, ident, publish_url, playlist_file=None, playlist_url=None):
        self.ident = ident
        self.publish_url = publish_url
        self.playlist_file = playlist_file
        self.playlist_url = playlist_url


class Server:
    name = "?"
    label = "?"
    has_hls = True

    def __init__(self, workdir):
        self.workdir = workdir
        self.proc = None
        self.log = None

    def _spawn(self, args, env=None, log_name="server.log"):
        os.makedirs(self.workdir, exist_ok=True)
        self.log = open(os.path.join(self.workdir, log_name), "ab")
        self.proc = subprocess.Popen(
            args, env=env, stdout=self.log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True)

    def pids(self):
        if self.proc is None or self.proc.poll() is not None:
            return []
        return procstat.descendants(self.proc.pid)

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def cpu(self):
        return sum(procstat.cpu_seconds(p) for p in self.pids())

    def rss_kb(self):
        return sum(procstat.rss_kb(p) for p in self.pids())

    def stop(self, sig=signal.SIGTERM, timeout=20):
        if self.proc is None:
            return
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, sig)
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)
            except ProcessLookupError:
                pass
        if self.log:
            self.log.close()


class Nrs(Server):
    name = "nrs"
    label = "NRS"

    def __init__(self, workdir, root, java_opts):
        super().__init__(workdir)
        self.root = root
        self.java_opts = java_opts
        self.data_dir = os.path.join(workdir, "data")
        self.http_port = free_port()
        self.rtmp_port = free_port()
        self.cluster_port = free_port()
        self.token = "bench-" + os.urandom(8).hex()
        self.pool = []

    def start(self):
        env = dict(os.environ)
        env.update(
            NRS_DATA_DIR=self.data_dir, NRS_HTTP_PORT=str(self.http_port),
            NRS_RTMP_PORT=str(self.rtmp_port), NRS_CLUSTER_PORT=str(self.cluster_port),
            NRS_ADMIN_TOKEN=self.token, NRS_BIND_ADDRESS="127.0.0.1", NRS_JAVA_OPTS=self.java_opts)
        self._spawn([os.path.join(self.root, "bin", "nrs-streaming")], env=env, log_name="node.log")
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("NRS exited with %s; see %s" % (self.proc.returncode, self.log.name))
            try:
                with urllib.request.urlopen(self.url("/health/ready"), timeout=2) as r:
                    if r.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.3)
        raise RuntimeError("NRS not ready after 120 s")

    def url(self, path):
        return "http://127.0.0.1:%d%s" % (self.http_port, path)

    def api(self, method, path, body=None, ok=(200, 201, 202, 204)):
        """(status, parsed JSON or None); never raises for an HTTP status."""
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.url(path), data=data, method=method)
        req.add_header("Authorization", "Bearer " + self.token)
        if data is not None:
            req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                raw = r.read()
                return r.status, (json.loads(raw) if raw else None)
        except urllib.error.HTTPError as e:
            raw = e.read()
            try:
                return e.code, json.loads(raw)
            except ValueError:
                return e.code, None

    def create_stream(self, title="bench"):
        status, body = self.api(
            "POST", "/api/v1/streams", {"creatorId": "bench", "creatorType": "DJ", "title": title})
        if status != 201:
            raise RuntimeError("creating a stream answered %s %s" % (status, body))
        sid, key = body["streamId"], body["streamKey"]
        return Stream(
            sid, "rtmp://127.0.0.1:%d/live/%s" % (self.rtmp_port, key),
            playlist_file=os.path.join(self.data_dir, "hls", sid, "source", "index.m3u8"),
            playlist_url=self.url("/live/%s/source/index.m3u8" % sid))

    def streams(self, n, tag, fresh=False):
        """n streams: fresh ones, or from a pool reused across runs (a new session each time)."""
        if fresh:
            return [self.create_stream(tag) for _ in range(n)]
        while len(self.pool) < n:
            self.pool.append(self.create_stream("pool"))
        return self.pool[:n]

    def stream_state(self, stream):
        return self.api("GET", "/api/v1/streams/" + stream.ident)[1] or {}

    def java_pid(self):
        return self.proc.pid

    def jit_cpu(self):
        return procstat.jit_cpu_seconds(self.proc.pid)

    def jcmd(self, *args):
        r = subprocess.run(["jcmd", str(self.proc.pid)] + list(args), capture_output=True, text=True, timeout=60)
        return r.stdout

    def heap_used_kb(self):
        """Heap in use right after a full GC (jcmd GC.run, then GC.heap_info)."""
        self.jcmd("GC.run")
        out = self.jcmd("GC.heap_info")
        for line in out.splitlines():
            words = line.replace(",", " ").split()
            if "used" in words:
                i = words.index("used")
                v = words[i + 1]
                if v.endswith("K"):
                    return int(v[:-1])
        return 0


def nginx_common(w, workers):
    """The main context every nginx of the bench runs with, and the lines its http block shares."""
    main = f"""daemon off;
master_process on;
worker_processes {workers};
worker_rlimit_nofile 16384;
pid {w}/nginx.pid;
error_log {w}/logs/error.log warn;
events {{ worker_connections 8192; }}
"""
    http_common = f"""  client_body_temp_path {w}/tmp/client; proxy_temp_path {w}/tmp/proxy;
  fastcgi_temp_path {w}/tmp/fastcgi; uwsgi_temp_path {w}/tmp/uwsgi; scgi_temp_path {w}/tmp/scgi;
  types {{ application/vnd.apple.mpegurl m3u8; video/mp2t ts; }}
"""
    return main, http_common


def run_nginx(server, conf):
    """Writes conf into the server's work directory and starts nginx on it in the foreground."""
    path = os.path.join(server.workdir, "nginx.conf")
    with open(path, "w") as f:
        f.write(conf)
    server._spawn(["nginx", "-p", server.workdir, "-c", path], log_name="stdout.log")


class NginxRtmp(Server):
    name = "nginx-rtmp"
    label = "nginx-rtmp"

    def __init__(self, workdir, workers):
        super().__init__(workdir)
        self.workers = workers
        self.rtmp_port = free_port()
        self.http_port = free_port()
        self.hls_dir = os.path.join(workdir, "hls")
        self.counter = 0
        self.label = "nginx-rtmp (%s worker%s)" % (workers, "" if workers == 1 else "s")

    def start(self):
        for d in ("hls", "logs", "tmp"):
            os.makedirs(os.path.join(self.workdir, d), exist_ok=True)
        os.chmod(self.hls_dir, 0o777)
        w = self.workdir
        main, http_common = nginx_common(w, self.workers)
        conf = f"""
load_module {NGINX_RTMP_MODULE};
{main}rtmp {{
  server {{
    listen 127.0.0.1:{self.rtmp_port};
    application live {{
      live on;
      hls on;
      hls_path {self.hls_dir};
      hls_fragment 2s;
      hls_playlist_length 12s;
    }}
    application sink {{
      live on;
    }}
  }}
}}
http {{
  access_log off;
{http_common}  server {{
    listen 127.0.0.1:{self.http_port};
    location /hls/ {{ alias {self.hls_dir}/; add_header Cache-Control no-cache; }}
  }}
}}
"""
        run_nginx(self, conf)
        wait_port(self.rtmp_port, 10, self.proc)
        wait_port(self.http_port, 10, self.proc)

    def streams(self, n, tag, fresh=True):
        out = []
        for _ in range(n):
            self.counter += 1
            name = "%s-%d" % (tag, self.counter)
            out.append(Stream(
                name, "rtmp://127.0.0.1:%d/live/%s" % (self.rtmp_port, name),
                playlist_file=os.path.join(self.hls_dir, name + ".m3u8"),
                playlist_url="http://127.0.0.1:%d/hls/%s.m3u8" % (self.http_port, name)))
        return out


class NginxHttp(Server):
    """nginx serving the same files NRS serves (its segment directory), same URLs and headers."""

    name = "nginx"
    label = "nginx"

    def __init__(self, workdir, root_dir, workers="auto"):
        super().__init__(workdir)
        self.root_dir = root_dir
        self.workers = workers
        self.http_port = free_port()
        self.label = "nginx (%s workers)" % workers

    def start(self):
        for d in ("logs", "tmp"):
            os.makedirs(os.path.join(self.workdir, d), exist_ok=True)
        w = self.workdir
        main, http_common = nginx_common(w, self.workers)
        conf = f"""
{main}http {{
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 1000000;
  open_file_cache max=1000 inactive=20s;
{http_common}  # the same Cache-Control NRS sends: short for playlists, immutable for segments
  map $uri $nrs_cache {{ ~\\.m3u8$ "max-age=1, public"; default "public, max-age=31536000, immutable"; }}
  server {{
    listen 127.0.0.1:{self.http_port};
    location /live/ {{
      alias {self.root_dir}/;
      add_header Cache-Control $nrs_cache;
      add_header Access-Control-Allow-Origin *;
      add_header Access-Control-Allow-Methods "GET, HEAD, OPTIONS";
      add_header Access-Control-Allow-Headers "Range, Origin, Accept";
      add_header Access-Control-Max-Age 86400;
    }}
  }}
}}
"""
        run_nginx(self, conf)
        wait_port(self.http_port, 10, self.proc)

    def url(self, path):
        return "http://127.0.0.1:%d%s" % (self.http_port, path)


class Nms(Server):
    name = "nms"
    label = "Node-Media-Server"
    has_hls = False

    def __init__(self, workdir, app_js):
        super().__init__(workdir)
        self.app_js = app_js
        self.rtmp_port = free_port()
        self.http_port = free_port()
        self.counter = 0

    def start(self):
        os.makedirs(self.workdir, exist_ok=True)
        config = {
            "bind": "127.0.0.1",
            "rtmp": {"port": self.rtmp_port},
            "http": {"port": self.http_port},
            "webadmin": {"enable": False},
            "store": {"path": os.path.join(self.workdir, "data")},
            "record": {"auto": False, "path": os.path.join(self.workdir, "record")},
            "auth": {"play": False, "publish": False, "secret": "bench"},
            "notify": {"url": ""},
        }
        path = os.path.join(self.workdir, "config.json")
        with open(path, "w") as f:
            json.dump(config, f)
        self._spawn(["node", self.app_js, "-c", path], log_name="nms.log")
        wait_port(self.rtmp_port, 20, self.proc)

    def streams(self, n, tag, fresh=True):
        out = []
        for _ in range(n):
            self.counter += 1
            name = "%s-%d" % (tag, self.counter)
            out.append(Stream(name, "rtmp://127.0.0.1:%d/live/%s" % (self.rtmp_port, name)))
        return out

    def publishes_seen(self):
        """How many publishes NMS logged as started (its log line 'start push')."""
        with open(self.log.name, "rb") as f:
            return f.read().count(b"start push")

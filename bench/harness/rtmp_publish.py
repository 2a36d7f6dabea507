"""A paced RTMP publisher that logs when each FLV tag was handed to the kernel.

Scenario 5 (latency) needs to know when the last frame of a segment reached the server. ffmpeg
-re paces the same way but does not say when it sent what, so this publisher does it itself:
it reads an FLV file, plays the simple RTMP handshake and the connect / createStream / publish
commands, then sends every tag as an RTMP message once the wall clock reaches its timestamp
(like ffmpeg -re), and records, per tag, CLOCK_MONOTONIC right after sendall() returned. On
loopback that is when the bytes are in the server's receive queue (the socket buffers never fill
at 4.7 Mbit/s against a server that keeps up; a blocked sendall would show as a late send).

    python3 rtmp_publish.py rtmp://127.0.0.1:1935/live/KEY clip.flv --seconds 20 --log tags.tsv

The log has one line per media tag: type (V/A), dts ms, keyframe (1/0), monotonic seconds when
the send started and when it finished. Standard library only.
"""

import argparse
import os
import socket
import struct
import sys
import threading
import time
from urllib.parse import urlparse

CHUNK_SIZE = 65536


# --- AMF0 -------------------------------------------------------------------------------------


def amf_encode(value):
    if value is None:
        return b"\x05"
    if isinstance(value, bool):
        return b"\x01" + (b"\x01" if value else b"\x00")
    if isinstance(value, (int, float)):
        return b"\x00" + struct.pack(">d", float(value))
    if isinstance(value, str):
        raw = value.encode()
        return b"\x02" + struct.pack(">H", len(raw)) + raw
    if isinstance(value, dict):
        out = b"\x03"
        for k, v in value.items():
            raw = k.encode()
            out += struct.pack(">H", len(raw)) + raw + amf_encode(v)
        return out + b"\x00\x00\x09"
    raise TypeError(type(value))


def amf_decode_all(data):
    values, pos = [], 0
    while pos < len(data):
        value, pos = _amf_decode(data, pos)
        values.append(value)
    return values


def _amf_decode(data, pos):
    marker = data[pos]
    pos += 1
    if marker == 0x00:
        return struct.unpack_from(">d", data, pos)[0], pos + 8
    if marker == 0x01:
        return data[pos] != 0, pos + 1
    if marker == 0x02:
        n = struct.unpack_from(">H", data, pos)[0]
        return data[pos + 2 : pos + 2 + n].decode("utf-8", "replace"), pos + 2 + n
    if marker == 0x0C:
        n = struct.unpack_from(">I", data, pos)[0]
        return data[pos + 4 : pos + 4 + n].decode("utf-8", "replace"), pos + 4 + n
    if marker in (0x03, 0x08):
        if marker == 0x08:
            pos += 4
        obj = {}
        while True:
            n = struct.unpack_from(">H", data, pos)[0]
            pos += 2
            if n == 0 and data[pos] == 0x09:
                return obj, pos + 1
            key = data[pos : pos + n].decode("utf-8", "replace")
            obj[key], pos = _amf_decode(data, pos + n)
    if marker in (0x05, 0x06):
        return None, pos
    if marker == 0x0A:
        n = struct.unpack_from(">I", data, pos)[0]
        pos += 4
        arr = []
        for _ in range(n):
            v, pos = _amf_decode(data, pos)
            arr.append(v)
        return arr, pos
    if marker == 0x0B:
        return struct.unpack_from(">d", data, pos)[0], pos + 10
    raise ValueError("AMF0 marker %d not supported" % marker)


# --- RTMP chunk stream ------------------------------------------------------------------------


class ChunkReader:
    """Reassembles the server's messages (RTMP spec 5.3.1); tracks its chunk size."""

    def __init__(self, sock):
        self.sock = sock
        self.buf = bytearray()
        self.chunk_size = 128
        self.streams = {}

    def _need(self, n):
        while len(self.buf) < n:
            data = self.sock.recv(65536)
            if not data:
                raise ConnectionError("server closed the connection")
            self.buf += data

    def _take(self, n):
        self._need(n)
        out = bytes(self.buf[:n])
        del self.buf[:n]
        return out

    def read_message(self):
        while True:
            b0 = self._take(1)[0]
            fmt, csid = b0 >> 6, b0 & 0x3F
            if csid == 0:
                csid = 64 + self._take(1)[0]
            elif csid == 1:
                b = self._take(2)
                csid = 64 + b[0] + 256 * b[1]
            st = self.streams.setdefault(
                csid, {"ts": 0, "delta": 0, "len": 0, "type": 0, "sid": 0, "data": bytearray()}
            )
            if fmt <= 2:
                h = self._take(3)
                tsfield = int.from_bytes(h, "big")
            if fmt <= 1:
                h = self._take(4)
                st["len"] = int.from_bytes(h[:3], "big")
                st["type"] = h[3]
            if fmt == 0:
                st["sid"] = struct.unpack("<I", self._take(4))[0]
            if fmt <= 2 and tsfield == 0xFFFFFF:
                tsfield = struct.unpack(">I", self._take(4))[0]
            if fmt == 0:
                st["ts"] = tsfield
            elif fmt <= 2:
                st["delta"] = tsfield
                st["ts"] += tsfield
            n = min(self.chunk_size, st["len"] - len(st["data"]))
            st["data"] += self._take(n)
            if len(st["data"]) >= st["len"]:
                msg = (st["type"], st["sid"], st["ts"], bytes(st["data"]))
                st["data"] = bytearray()
                if msg[0] == 1:
                    self.chunk_size = struct.unpack(">I", msg[3][:4])[0] & 0x7FFFFFFF
                return msg


def chunk_message(csid, mtype, sid, ts, payload, chunk_size=CHUNK_SIZE):
    ts_field = min(ts, 0xFFFFFF)
    header = bytes([csid]) + ts_field.to_bytes(3, "big") + len(payload).to_bytes(3, "big")
    header += bytes([mtype]) + struct.pack("<I", sid)
    ext = struct.pack(">I", ts) if ts >= 0xFFFFFF else b""
    out = [header, ext, payload[:chunk_size]]
    for off in range(chunk_size, len(payload), chunk_size):
        out += [bytes([0xC0 | csid]), ext, payload[off : off + chunk_size]]
    return b"".join(out)


# --- FLV --------------------------------------------------------------------------------------


def read_flv(path, seconds=None):
    """Yields (tag type, timestamp ms, data) for every tag, up to `seconds` of media."""
    with open(path, "rb") as f:
        header = f.read(9)
        if header[:3] != b"FLV":
            raise ValueError(path + " is not FLV")
        f.seek(int.from_bytes(header[5:9], "big") + 4)
        while True:
            h = f.read(11)
            if len(h) < 11:
                return
            ttype, size = h[0] & 0x1F, int.from_bytes(h[1:4], "big")
            ts = int.from_bytes(h[4:7], "big") | (h[7] << 24)
            data = f.read(size)
            f.read(4)
            if len(data) < size:
                return
            if seconds is not None and ttype in (8, 9) and ts >= seconds * 1000:
                return
            yield ttype, ts, data


# --- the publisher ----------------------------------------------------------------------------


class Publisher:
    def __init__(self, url, timeout=10.0):
        u = urlparse(url)
        parts = u.path.lstrip("/").split("/", 1)
        self.app, self.name = parts[0], parts[1]
        self.tc_url = "%s://%s/%s" % (u.scheme, u.netloc, self.app)
        self.sock = socket.create_connection((u.hostname, u.port or 1935), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.reader = ChunkReader(self.sock)
        self.stream_id = 0
        self.closed = False

    def _send(self, data):
        self.sock.sendall(data)

    def _command(self, name, txn, *args, sid=0):
        payload = amf_encode(name) + amf_encode(txn) + b"".join(amf_encode(a) for a in args)
        self._send(chunk_message(3, 20, sid, 0, payload))

    def _wait_command(self, want):
        while True:
            mtype, _, _, data = self.reader.read_message()
            if mtype == 20:
                values = amf_decode_all(data)
                if values and values[0] in want:
                    return values
                if values and values[0] == "_error":
                    raise ConnectionError("server refused: %r" % (values[3:],))

    def handshake(self):
        c1 = struct.pack(">II", 0, 0) + os.urandom(1528)
        self._send(b"\x03" + c1)
        s0s1 = self.reader._take(1 + 1536)
        self._send(s0s1[1:])  # C2 echoes S1
        self.reader._take(1536)  # S2

    def publish(self):
        self.handshake()
        self._send(chunk_message(2, 1, 0, 0, struct.pack(">I", CHUNK_SIZE), 128))
        self._command(
            "connect",
            1,
            {
                "app": self.app,
                "type": "nonprivate",
                "flashVer": "FMLE/3.0 (compatible; nrs-bench)",
                "tcUrl": self.tc_url,
            },
        )
        self._wait_command({"_result"})
        self._command("releaseStream", 2, None, self.name)
        self._command("FCPublish", 3, None, self.name)
        self._command("createStream", 4, None)
        while True:
            values = self._wait_command({"_result"})
            if values[1] == 4:
                self.stream_id = int(values[3])
                break
        self._command("publish", 5, None, self.name, "live", sid=self.stream_id)
        while True:
            values = self._wait_command({"onStatus"})
            info = values[3] if len(values) > 3 and isinstance(values[3], dict) else {}
            code = info.get("code", "")
            if code == "NetStream.Publish.Start":
                break
            if "Publish" in code and code != "NetStream.Publish.Start":
                raise ConnectionError("publish refused: " + code)
        self.sock.settimeout(None)
        threading.Thread(target=self._drain, daemon=True).start()

    def _drain(self):
        # Acknowledgements, pings and status messages: read them so the server never blocks.
        try:
            while not self.closed:
                mtype, _, _, data = self.reader.read_message()
                if mtype == 4 and len(data) >= 6 and struct.unpack(">H", data[:2])[0] == 6:
                    self._send(chunk_message(2, 4, 0, 0, b"\x00\x07" + data[2:6]))
        except (OSError, ConnectionError, ValueError, struct.error):
            pass

    def send_tag(self, ttype, ts, data):
        if ttype == 18:
            data = amf_encode("@setDataFrame") + data
        csid = {8: 4, 9: 6, 18: 5}[ttype]
        self._send(chunk_message(csid, ttype, self.stream_id, ts, data))

    def close(self):
        self.closed = True
        try:
            self._command("FCUnpublish", 6, None, self.name)
            self._command("deleteStream", 7, None, self.stream_id)
            self.sock.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        self.sock.close()


def run(url, clip, seconds, log_path, start_at=None):
    pub = Publisher(url)
    pub.publish()
    rows = []
    t0 = time.monotonic() if start_at is None else start_at
    first_ts = None
    for ttype, ts, data in read_flv(clip, seconds):
        if ttype not in (8, 9, 18):
            continue
        if ttype == 18:
            pub.send_tag(ttype, 0, data)
            continue
        if first_ts is None:
            first_ts = ts
        due = t0 + (ts - first_ts) / 1000.0
        delay = due - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        start = time.monotonic()
        pub.send_tag(ttype, ts, data)
        end = time.monotonic()
        key = 1 if ttype == 9 and (data[0] >> 4) == 1 and len(data) > 1 and data[1] == 1 else 0
        cfg = 1 if len(data) > 1 and data[1] == 0 else 0  # AVC/AAC sequence header
        rows.append("%s\t%d\t%d\t%d\t%.6f\t%.6f\n" % ("V" if ttype == 9 else "A", ts, key, cfg, start, end))
    # Let the server take the last frames before the connection closes.
    time.sleep(0.2)
    pub.close()
    with open(log_path, "w") as f:
        f.write("type\tdts\tkey\tconfig\tsend_start\tsend_end\n")
        f.writelines(rows)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("url")
    ap.add_argument("clip")
    ap.add_argument("--seconds", type=float, default=None)
    ap.add_argument("--log", required=True)
    a = ap.parse_args()
    try:
        run(a.url, a.clip, a.seconds, a.log)
    except (OSError, ConnectionError) as e:
        print("rtmp_publish: %s" % e, file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""A container heartbeats (keep-alive, 100/s) for 10 s quiet, then 10 s while N slowloris
connections from 127.0.0.2 send one header byte per second each (reconnecting when the node
closes them); prints both latency distributions and the p99 ratio. Bounded: 25 s.

Usage: slowloris.py PORT N
"""
import http.client
import json
import socket
import statistics
import sys
import threading
import time
import uuid

PORT, N = int(sys.argv[1]), int(sys.argv[2])
PHASE = 10.0


def beats(seconds):
    execution = str(uuid.uuid4())
    conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=5, source_address=("127.0.0.3", 0))
    out, bad = [], 0
    end = time.time() + seconds
    while time.time() < end:
        body = json.dumps({"execution_id": execution, "container_id": "c", "status": "running", "timestamp": int(time.time()), "progress": {"n": len(out)}})
        t = time.perf_counter()
        conn.request("POST", "/api/v1/monitoring/heartbeat", body=body, headers={"content-type": "application/json"})
        r = conn.getresponse()
        r.read()
        out.append((time.perf_counter() - t) * 1000)
        bad += r.status != 200
        time.sleep(0.01)
    conn.close()
    return out, bad


def attack(stop, stats):
    line = b"POST /api/v1/monitoring/heartbeat HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 4096
    conns = []

    def connect():
        s = socket.socket()
        s.bind(("127.0.0.2", 0))
        s.setblocking(False)
        try:
            s.connect(("127.0.0.1", PORT))
        except BlockingIOError:
            pass
        return [s, 0]

    conns = [connect() for _ in range(N)]
    deadline = time.time() + PHASE + 5
    while not stop.is_set() and time.time() < deadline:
        for c in conns:
            try:
                c[0].send(line[c[1] % len(line):c[1] % len(line) + 1])
                c[1] += 1
            except (BlockingIOError, InterruptedError):
                pass
            except OSError:
                c[0].close()
                stats["reconnects"] += 1
                c[:] = connect()
        time.sleep(1.0)
    for c in conns:
        c[0].close()


def p(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * q))]


quiet, quiet_bad = beats(PHASE)
stop = threading.Event()
stats = {"reconnects": 0}
attacker = threading.Thread(target=attack, args=(stop, stats), daemon=True)
attacker.start()
time.sleep(1)
loud, loud_bad = beats(PHASE)
stop.set()
attacker.join(10)
print(f"quiet:     {len(quiet)} heartbeats, p50 {statistics.median(quiet):.2f} ms, p99 {p(quiet, 0.99):.2f} ms, non-200 {quiet_bad}")
print(f"slowloris: {len(loud)} heartbeats, p50 {statistics.median(loud):.2f} ms, p99 {p(loud, 0.99):.2f} ms, non-200 {loud_bad}; "
      f"{N} slow connections, {stats['reconnects']} closed by the node and reopened")
print(f"p99 ratio slowloris/quiet: {p(loud, 0.99) / p(quiet, 0.99):.2f} (target <= 2)")

#!/usr/bin/env python3
"""The HTTP surface, attacked (issue 15): against one live `vigil serve` with every token set,
1. schemathesis (PyPI) generates requests from the served /openapi.json, with every check on,
   seeded and bounded in time: no 5xx, no response that contradicts the document;
2. a seeded fuzz of malformed HTTP framing on raw sockets (broken request lines, headers,
   lengths, chunked bodies, binary noise): no 5xx, and the node still answers afterwards.

Usage: VIGIL_BIN=.build/debug/vigil scripts/tests/openapi-fuzz.py [SCHEMATHESIS_SECONDS]
"""
import os
import random
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from livecluster import Cluster, Failure, http  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BIN = os.environ.get("VIGIL_BIN", os.path.join(ROOT, ".build/debug/vigil"))
ADMIN = "fuzz-admin-0123456789abcdef"
BUDGET = int(sys.argv[1]) if len(sys.argv) > 1 else 90


def schemathesis(c, port):
    c.step(f"schemathesis against http://127.0.0.1:{port}/openapi.json (all checks, seed 15, at most {BUDGET} s)")
    command = [
        "schemathesis", "run", f"http://127.0.0.1:{port}/openapi.json", "--checks", "all",
        "--header", f"Authorization: Bearer {ADMIN}", "--seed", "15", "--max-examples", "40",
        "--max-time", str(BUDGET), "--workers", "1", "--request-timeout", "10",
        "--report", "ndjson", "--report-dir", c.path("schemathesis"),
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=BUDGET + 120)
    summary = [line for line in result.stdout.splitlines() if line.strip()][-25:]
    print("\n".join(summary), flush=True)
    if result.returncode != 0:
        with open(c.path("schemathesis.out"), "w") as f:
            f.write(result.stdout + result.stderr)
        c.fail(f"schemathesis found problems (exit {result.returncode}); full output in {c.path('schemathesis.out')}")


def mutations(rng):
    """Seeded malformed requests: each a bytes payload for one connection."""
    routes = [b"/api/v1/monitoring/heartbeat", b"/api/v1/executions", b"/admin/heartbeat/stop", b"/health", b"/", b"/k/x/api/v1/marks"]
    body = b'{"execution_id":"550e8400-e29b-41d4-a716-446655440000","container_id":"c","status":"running","timestamp":1640995200}'
    auth = f"Authorization: Bearer {ADMIN}\r\n".encode()
    for _ in range(1500):
        route = rng.choice(routes)
        kind = rng.randrange(10)
        if kind == 0:  # noise
            yield os.urandom(rng.randrange(1, 2000))
        elif kind == 1:  # bad request line
            yield rng.choice([b"POST", b"P\x00ST", b"GET  ", b"\xff\xfe"]) + b" " + route + rng.choice([b" HTTP/1.1", b" HTTP/9.9", b"", b" HTTP/1.1 extra"]) + b"\r\n\r\n"
        elif kind == 2:  # lying content length
            n = rng.choice([b"-1", b"99999999999999999999", b"abc", str(len(body) + rng.randrange(1, 50)).encode(), b"1, 2"])
            yield b"POST " + route + b" HTTP/1.1\r\nHost: x\r\n" + auth + b"Content-Type: application/json\r\nContent-Length: " + n + b"\r\n\r\n" + body
        elif kind == 3:  # broken chunked body
            chunk = rng.choice([b"zz\r\n", b"5\r\nab\r\n", b"ffffffffffffffff\r\n", b"3\r\nabc\r\n0\r\n"])
            yield b"POST " + route + b" HTTP/1.1\r\nHost: x\r\n" + auth + b"Transfer-Encoding: chunked\r\nContent-Type: application/json\r\n\r\n" + chunk
        elif kind == 4:  # both framings
            yield b"POST " + route + b" HTTP/1.1\r\nHost: x\r\n" + auth + b"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n" + body
        elif kind == 5:  # header garbage
            yield b"GET " + route + b" HTTP/1.1\r\n" + os.urandom(rng.randrange(1, 200)).replace(b"\r\n\r\n", b"") + b"\r\n\r\n"
        elif kind == 6:  # huge header
            yield b"GET " + route + b" HTTP/1.1\r\nX-Big: " + b"a" * rng.choice([9000, 90000]) + b"\r\n\r\n"
        elif kind == 7:  # body bytes flipped
            broken = bytearray(body)
            for _ in range(rng.randrange(1, 8)):
                broken[rng.randrange(len(broken))] = rng.randrange(256)
            yield b"POST " + route + b" HTTP/1.1\r\nHost: x\r\n" + auth + b"Content-Type: application/json\r\nContent-Length: " + str(len(broken)).encode() + b"\r\n\r\n" + bytes(broken)
        elif kind == 8:  # truncated mid-request
            whole = b"POST " + route + b" HTTP/1.1\r\nHost: x\r\n" + auth + b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body
            yield whole[: rng.randrange(1, len(whole))]
        else:  # pipelined mix of good and bad
            good = b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n"
            yield good + b"GET " + route + b" HTTP/1.1\r\nHost: x\r\nContent-Length: x\r\n\r\n" + good


def framing(c, port):
    c.step("seeded fuzz of malformed HTTP framing (1,500 requests, seed 15)")
    rng = random.Random(15)
    statuses = {}
    server_errors = []
    for payload in mutations(rng):
        s = socket.create_connection(("127.0.0.1", port), timeout=2)
        try:
            s.sendall(payload)
            s.shutdown(socket.SHUT_WR)
            data = b""
            while len(data) < 1 << 20:
                part = s.recv(65536)
                if not part:
                    break
                data += part
        except (socket.timeout, ConnectionResetError, BrokenPipeError):
            data = b""
        finally:
            s.close()
        for line in data.split(b"\r\n"):
            if line.startswith(b"HTTP/1.1 "):
                code = int(line[9:12])
                statuses[code] = statuses.get(code, 0) + 1
                if code >= 500:
                    server_errors.append((payload[:80], line))
    if server_errors:
        c.fail(f"{len(server_errors)} answers were 5xx, e.g. {server_errors[:3]}")
    if http("GET", port, "/health")[0] != 200:
        c.fail("the node no longer answers after the fuzz")
    c.step(f"no 5xx; answers by status {dict(sorted(statuses.items()))}; the node still answers")


def main():
    c = Cluster("openapi-fuzz", BIN, {"http": {"admin_token": ADMIN, "read_token": "fuzz-read-0123456789abcdef", "ingest_tokens": ["fuzz-ingest-0123456789ab"]}}, token=ADMIN)
    try:
        c.start("n1")
        port = c.http_ports["n1"]
        started = time.time()
        schemathesis(c, port)
        framing(c, port)
        if not c.up("n1"):
            c.fail("the node died")
        print(f"openapi-fuzz: PASS in {time.time() - started:.0f} s")
        return 0
    except Failure as failure:
        print(failure, file=sys.stderr)
        return 1
    finally:
        c.close()


if __name__ == "__main__":
    sys.exit(main())

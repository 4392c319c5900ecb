#!/usr/bin/env python3
"""Seed 002's prober end to end, with real processes: three `vigil serve` nodes on loopback and
a small HTTP service (probe_service.py) with a repair command that starts it again.

- killed, the service is repaired once, within max_retries x interval + the probe timeout;
- killed again inside the cooldown, it is not repaired before the cooldown ends, then once;
- killed together with the sweep leader, the new leader repairs it, once;
- a service that accepts connections and never answers is down after its timeouts, and never
  holds up the other probes;
- service events reach a notification channel; every node shows the real state.

    VIGIL_BIN=.build/debug/vigil scripts/tests/probes-live.py

Exits non-zero with a message on the first failure; every wait is bounded.
"""
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from livecluster import Cluster, Failure, free_port, http  # noqa: E402

BIN = os.environ.get("VIGIL_BIN", ".build/debug/vigil")
HERE = os.path.dirname(os.path.abspath(__file__))
INTERVAL, TIMEOUT, RETRIES, COOLDOWN = 1.0, 1.0, 3, 8.0
c = Cluster("probes-live", BIN)
fail, step, wait_for, start, up, leader = c.fail, c.step, c.wait_for, c.start, c.up, c.leader
procs, http_ports, tmp = c.procs, c.http_ports, c.tmp


def get(port, path, timeout=2):
    return http("GET", port, path, timeout=timeout)


try:
    ids = ["n1", "n2", "n3"]
    service_port, hang_port = free_port(), free_port()
    pidfile = os.path.join(tmp, "service.pid")
    repairs_log = os.path.join(tmp, "repairs.log")
    events_log = os.path.join(tmp, "events.jsonl")
    repair = os.path.join(tmp, "repair.sh")
    with open(repair, "w") as f:
        f.write(f"""#!/bin/sh
date +%s.%N >> {repairs_log}
nohup {sys.executable} {os.path.join(HERE, 'probe_service.py')} {service_port} {pidfile} >/dev/null 2>&1 </dev/null &
echo restarted
""")
    os.chmod(repair, 0o755)
    record = os.path.join(tmp, "record.sh")
    with open(record, "w") as f:
        f.write('#!/bin/sh\nbody=$(cat)\nexec 9>>"$1"\nflock 9\nprintf \'%s\\n\' "$body" >&9\n')
    os.chmod(record, 0o755)

    # A service that accepts and never answers.
    hang = socket.socket()
    hang.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    hang.bind(("127.0.0.1", hang_port))
    hang.listen(64)
    held = []
    def accept_forever():
        while True:
            try:
                held.append(hang.accept()[0])
            except OSError:
                return
    threading.Thread(target=accept_forever, daemon=True).start()

    c.configure({
        "executions": {"heartbeat_timeout_s": 2, "check_interval_s": 0.5, "max_strikes": 3},
        "probes": {"interval_s": INTERVAL, "timeout_s": TIMEOUT, "max_retries": RETRIES, "restart_cooldown_s": COOLDOWN,
                   "startup_grace_s": 1, "success_threshold": 2},
        "services": [
            {"name": "api", "url": f"http://127.0.0.1:{service_port}/health", "description": "the job API", "critical": True,
             "healthy": {"status": [200], "json_field": "status", "json_equals": "ok"},
             "repair": {"command": [repair], "timeout_s": 10}},
            {"name": "hang", "url": f"http://127.0.0.1:{hang_port}/health", "timeout_s": 0.5, "critical": False},
        ],
        "notifications": {"channels": [{"name": "log", "type": "command", "argv": [record, events_log], "events": ["service.*"]}]},
    })

    def service(name, node=None):
        node = node or leader()
        if not node:
            return None
        _, body = get(http_ports[node], "/api/v1/services")
        return next((s for s in (body or {}).get("services", []) if s["name"] == name), None)

    def repairs():
        if not os.path.exists(repairs_log):
            return []
        with open(repairs_log) as f:
            return [float(line) for line in f if line.strip()]

    def kill_service():
        with open(pidfile) as f:
            pid = int(f.read())
        os.kill(pid, signal.SIGKILL)
        for _ in range(100):
            try:
                os.kill(pid, 0)
                time.sleep(0.02)
            except ProcessLookupError:
                break

    procs["service"] = subprocess.Popen([sys.executable, os.path.join(HERE, "probe_service.py"), str(service_port), pidfile])
    for n in ids:
        start(n)
    first_leader = wait_for("the three nodes did not agree on a leader", 30, leader)
    wait_for("api never showed healthy on the leader", 15, lambda: (s := service("api")) and s["status"] == "healthy" and s["last_probe"])
    step(f"cluster up, leader {first_leader}, api healthy")

    # 1. Killed: repaired once, within max_retries x interval + the timeout.
    kill_service()
    killed = time.time()
    wait_for("api was not repaired", 15, lambda: len(repairs()) >= 1)
    first = repairs()[0]
    bound = RETRIES * INTERVAL + TIMEOUT
    step(f"killed -> repair command ran after {first - killed:.2f} s (bound {bound:.1f} s + 0.5 s scheduling)")
    if first - killed > bound + 0.5:
        fail(f"the repair came {first - killed:.2f} s after the death, over {bound} s")
    wait_for("api did not come back healthy after its repair", 15, lambda: (s := service("api")) and s["status"] == "healthy")

    # 2. Killed again inside the cooldown: no repair before the cooldown ends, then one.
    kill_service()
    step("killed again inside the cooldown")
    wait_for("api was not repaired after the cooldown", COOLDOWN + 10, lambda: len(repairs()) >= 2)
    second = repairs()[1]
    # The times are the repair script's own (`date` after it was spawned): allow 0.1 s for the
    # difference between two spawns; the node itself decides on the repair's start time.
    if second - first < COOLDOWN - 0.1:
        fail(f"a second repair came {second - first:.2f} s after the first, inside the {COOLDOWN} s cooldown")
    step(f"second repair {second - first:.2f} s after the first (cooldown {COOLDOWN} s)")
    wait_for("api did not come back healthy after its second repair", 15, lambda: (s := service("api")) and s["status"] == "healthy")
    s = service("api")
    if s["repairs"] != 2 or not (s["last_repair"] or {}).get("outcome", "").startswith("ok"):
        fail(f"the leader shows {s['repairs']} repairs, last {s['last_repair']}")

    # 3. Killed together with the leader: the new leader repairs it, once.
    while time.time() < second + COOLDOWN + 0.5:
        time.sleep(0.1)
    old = leader()
    kill_service()
    procs[old].send_signal(signal.SIGKILL)
    procs[old].wait(5)
    t = time.time()
    step(f"killed api and SIGKILLed the leader {old}")
    wait_for("the new leader did not repair api", 30, lambda: len(repairs()) >= 3)
    third = repairs()[2]
    new = wait_for("no new leader", 10, leader)
    step(f"new leader {new} repaired api {third - t:.2f} s after the kill")
    wait_for("api did not come back healthy after the failover repair", 15, lambda: (s := service("api")) and s["status"] == "healthy")
    settle = time.time() + COOLDOWN + 2
    while time.time() < settle:
        time.sleep(0.2)
    if len(repairs()) != 3:
        fail(f"{len(repairs())} repairs in all, expected 3 (one per outage)")

    # 4. The hung service is down after its timeouts and held up nothing.
    h = service("hang")
    if not h or not h["status"].startswith("down") or "timed out" not in (h["last_probe"] or {}).get("result", ""):
        fail(f"the hung service shows {h}")
    a = service("api")
    if a["status"] != "healthy" or not a["last_probe"]["healthy"]:
        fail(f"api is not healthy next to the hung service: {a}")
    # Every node shows the durable state; the nodes themselves are probed services too.
    for n in ids:
        if not up(n):
            continue
        status, body = get(http_ports[n], "/health/service/api")
        if status != 200 or body["repairs"] != 3 or body["status"] != "healthy":
            fail(f"{n}'s /health/service/api: {status} {body}")
    dead = service(f"vigil-{old}")
    if not dead or not dead["status"].startswith(("down", "failing")):
        fail(f"the killed node {old} is not shown failing: {dead}")

    # 5. The service events reached the channel.
    with open(events_log) as f:
        events = [json.loads(line) for line in f if line.strip()]
    kinds = [(e["event"], e.get("service")) for e in events]
    for wanted in ["service.down", "service.repaired", "service.up"]:
        if (wanted, "api") not in kinds:
            fail(f"no {wanted} event for api reached the channel: {kinds}")
    if ("service.down", "hang") not in kinds:
        fail(f"no service.down for the hung service: {kinds}")
    step(f"{len(events)} service events delivered: {sorted(set(k for k, _ in kinds))}")
    print(f"probes-live: PASS in {time.time() - c.t0:.0f} s")
except Failure as failure:
    print(failure, file=sys.stderr)
    sys.exit(1)
finally:
    try:
        with open(os.path.join(tmp, "service.pid")) as f:
            os.kill(int(f.read()), signal.SIGKILL)
    except (OSError, ValueError):
        pass
    c.close()

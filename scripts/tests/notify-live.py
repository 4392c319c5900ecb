#!/usr/bin/env python3
"""Notifications end to end, with real processes: three `vigil serve` nodes on loopback (short
timings), a webhook receiver process (notify_receiver.py: verifies signatures with the
`standardwebhooks` library, answers 500 to some first attempts) and a command channel (a script
that appends each event to a file).

20 executions stop heartbeating, 4 keep heartbeating, 3 complete. As soon as the receiver takes
its first delivery the leader is SIGKILLed (deliveries in flight), and the receiver is then down
for 3 s. Afterwards: every failed execution reached the receiver, always under the key
`execution.failed:<id>`; after dedupe by key exactly one per execution; nothing for a live one;
no invalid signature; the command channel saw each one; the restarted node resends nothing.

    VIGIL_BIN=.build/debug/vigil scripts/tests/notify-live.py

Exits non-zero with a message on the first failure; every wait is bounded.
"""
import base64
import os
import random
import signal
import subprocess
import sys
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from livecluster import Cluster, Failure, free_port, http, read_jsonl  # noqa: E402

BIN = os.environ.get("VIGIL_BIN", ".build/debug/vigil")
HERE = os.path.dirname(os.path.abspath(__file__))
c = Cluster("notify-live", BIN)
fail, step, wait_for, start = c.fail, c.step, c.wait_for, c.start
procs, http_ports, tmp = c.procs, c.http_ports, c.tmp

try:
    ids = ["n1", "n2", "n3"]
    receiver_port = free_port()
    secret = "whsec_" + base64.b64encode(os.urandom(32)).decode()
    deliveries = os.path.join(tmp, "deliveries.jsonl")
    commands = os.path.join(tmp, "commands.jsonl")
    append = os.path.join(tmp, "append.sh")
    with open(append, "w") as f:
        # One locked write per event: runs overlap (the leader sends concurrently).
        f.write('#!/bin/sh\nbody=$(cat)\nexec 9>>"$1"\nflock 9\nprintf \'%s\\n\' "$body" >&9\n')
    os.chmod(append, 0o755)
    c.configure({
        "executions": {"heartbeat_timeout_s": 2, "check_interval_s": 0.5, "max_strikes": 3, "mass_failure_share": 1},
        "timezone": "Asia/Shanghai",
        "notifications": {
            "first_retry_s": 0.2, "max_retry_s": 1,
            "channels": [
                {"name": "hook", "type": "webhook", "url": f"http://127.0.0.1:{receiver_port}/hook", "secret": secret,
                 "events": ["execution.failed", "execution.completed"], "timeout_s": 2},
                {"name": "log", "type": "command", "argv": [append, commands], "events": ["execution.failed"], "timeout_s": 5},
            ],
        },
    })

    def start_receiver():
        procs["receiver"] = subprocess.Popen([sys.executable, os.path.join(HERE, "notify_receiver.py"), str(receiver_port), deliveries, secret],
                                             stdout=subprocess.PIPE, stderr=open(os.path.join(tmp, "receiver.log"), "a"), text=True)
        line = procs["receiver"].stdout.readline()
        if "listening" not in line:
            fail(f"the receiver did not start: {line!r}")

    def leader():
        return c.leader()

    start_receiver()
    for n in ids:
        start(n)
    first_leader = wait_for("the three nodes did not agree on a leader", 30, leader)
    step(f"cluster up, leader {first_leader}")

    dying = [str(uuid.uuid4()) for _ in range(20)]
    live = [str(uuid.uuid4()) for _ in range(4)]
    completing = [str(uuid.uuid4()) for _ in range(3)]
    rng = random.Random(7)

    def beat(execution, node=None):
        node = node or rng.choice([n for n in ids if procs[n].poll() is None])
        http("POST", http_ports[node], "/api/v1/monitoring/heartbeat",
             {"execution_id": execution, "container_id": f"c-{execution[:8]}", "status": "running", "progress": {"percentage": 50.0}, "timestamp": int(time.time())})

    for _ in range(4):
        for e in dying + live + completing:
            beat(e)
        time.sleep(0.3)
    for e in completing:
        status, _ = http("POST", http_ports[rng.choice(ids)], "/api/v1/monitoring/completion", {"execution_id": e, "container_id": f"c-{e[:8]}", "success": True, "result_data": {"rows": 3}})
        if status != 200:
            fail(f"the completion of {e} answered {status}")
    step("20 executions went silent, 3 completed, 4 keep heartbeating")

    killed = None
    receiver_down_until = None
    deadline = time.time() + 60
    while time.time() < deadline:
        for e in live:
            beat(e)
        got = read_jsonl(deliveries)
        if killed is None and any(d["status"] == 200 and d["event"] == "execution.failed" for d in got):
            killed = leader() or first_leader
            killed_at = time.time()
            procs[killed].send_signal(signal.SIGKILL)
            procs[killed].wait(5)
            step(f"first delivery seen: SIGKILLed leader {killed} with deliveries in flight; receiver down for 3 s")
            procs["receiver"].terminate()
            procs["receiver"].wait(5)
            receiver_down_until = time.time() + 3
        if receiver_down_until and time.time() >= receiver_down_until:
            start_receiver()
            receiver_down_until = None
            step("receiver back")
        delivered = {d["execution_id"] for d in got if d["status"] == 200 and d["event"] == "execution.failed"}
        if killed and receiver_down_until is None and set(dying) <= delivered:
            break
        time.sleep(0.25)
    if killed is None:
        fail("no failure was delivered within 60 s")

    got = read_jsonl(deliveries)
    ok = [d for d in got if d["status"] == 200]
    failed_keys = {}
    for d in ok:
        if d["event"] == "execution.failed":
            failed_keys.setdefault(d["execution_id"], set()).add(d["id"])
    missing = [e for e in dying if e not in failed_keys]
    if missing:
        fail(f"{len(missing)} failed execution(s) never delivered: {missing[:3]}")
    for e, keys in failed_keys.items():
        if keys != {f"execution.failed:{e}"}:
            fail(f"execution {e} delivered under keys {keys}")
    if set(failed_keys) - set(dying):
        fail(f"execution.failed delivered for executions that were not silent: {set(failed_keys) - set(dying)}")
    if any(not d["valid"] for d in got):
        fail(f"invalid signature(s): {[d for d in got if not d['valid']][:2]}")
    completed = {d["execution_id"] for d in ok if d["event"] == "execution.completed"}
    if completed != set(completing):
        fail(f"execution.completed delivered for {completed}, expected {set(completing)}")
    refused = sum(1 for d in got if d["status"] == 500)
    repeats = sum(1 for d in ok) - len({d["id"] for d in ok})
    senders = sorted({d["sender"] for d in ok})
    step(f"every failed execution delivered under its one key ({len(ok)} deliveries, {refused} answered 500, {repeats} same-key repeats, senders {senders})")
    # Mark (the sweep's time, in finished_at) -> first attempt at the receiver, for the events
    # whose first attempt reached it (the receiver was up).
    from datetime import datetime
    first_seen = {}
    for d in got:
        if d["event"] == "execution.failed" and d.get("finished_at_utc") and d["id"] not in first_seen:
            first_seen[d["id"]] = d
    def latency(d):
        return d["t"] - datetime.fromisoformat(d["finished_at_utc"].replace("Z", "+00:00")).timestamp()
    before = sorted(latency(d) for d in first_seen.values() if d["t"] < killed_at)
    after_kill = sorted(latency(d) for d in first_seen.values() if d["t"] >= killed_at)
    step(f"mark -> first attempt received, before the kill: n={len(before)} median {before[len(before) // 2] * 1000:.0f} ms, max {before[-1] * 1000:.0f} ms; "
         f"after it (new leader, receiver down 3 s): n={len(after_kill)} max {max(after_kill, default=0) * 1000:.0f} ms")
    if before[-1] > 2:
        fail(f"with the receiver up, a first attempt came {before[-1]:.1f} s after its mark")

    # The command channel saw each failure (it may see a same-key repeat across the kill).
    ran = read_jsonl(commands)
    keys = {c["key"] for c in ran}
    if keys != {f"execution.failed:{e}" for e in dying}:
        fail(f"the command channel saw {len(keys)} distinct failure keys, expected 20")

    # The killed leader comes back (a new process), leads again, and resends nothing acknowledged.
    before = len(read_jsonl(deliveries)), len(read_jsonl(commands))
    start(killed)
    wait_for(f"{killed} did not rejoin and lead", 30, lambda: leader() == killed)
    settle = time.time() + 4
    while time.time() < settle:
        for e in live:
            beat(e)
        time.sleep(0.3)
    after = len(read_jsonl(deliveries)), len(read_jsonl(commands))
    if after != before:
        fail(f"after {killed}'s restart the channels got {after[0] - before[0]} webhook and {after[1] - before[1]} command deliveries again")
    status, listing = http("GET", http_ports[killed], "/api/v1/notifications?state=all&limit=1000")
    if status != 200 or listing["pending"] != 0:
        fail(f"{killed} still lists pending notifications: {listing and listing['pending']}")
    delivered_listed = [n for n in listing["notifications"] if n["state"] == "delivered"]
    step(f"{killed} restarted, leads, resent nothing; it lists {len(delivered_listed)} delivered notifications")
    status, test = http("POST", http_ports[killed], "/admin/notifications/test", {"channel": "hook"}, timeout=15)
    if status != 200 or not test.get("delivered"):
        fail(f"the test send did not deliver: {status} {test}")
    status, _ = http("POST", http_ports[killed], "/admin/notifications/test", {"channel": "nope"})
    if status != 404:
        fail(f"a test send to an unknown channel answered {status}, expected 404")
    print(f"notify-live: PASS in {time.time() - c.t0:.0f} s")
except Failure as failure:
    print(failure, file=sys.stderr)
    sys.exit(1)
finally:
    c.close(extra_logs=["receiver"])

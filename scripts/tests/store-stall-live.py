#!/usr/bin/env python3
"""A leader whose store stalls (issue 22), with real processes: three `vigil serve` nodes on
loopback, each reaching one shared store directory through its own FUSE passthrough mount
(`bindfs -f SHARED MOUNT`, as hosts reach one network filesystem). SIGSTOP of the leader's bindfs
freezes its store the way an NFS hard mount or a GlusterFS client freezes when its server is
unreachable: every write and read on it blocks.

Rule: timeout 2 s, checks every 0.5 s, 3 strikes (window 4 s); store.stall_s 5. 4 executions go
silent just before the freeze, 6 keep heartbeating to every node. The leader's mount stays frozen
for 30 s. Checked:

- the frozen node's /health stops answering 200 within stall_s + 1 s;
- a first heartbeat sent to it once its store is stalled is answered 503 (with Retry-After)
  within 2 s; running heartbeats to it keep being answered 200;
- the 4 silent executions are FAILED within window + stall_s + take-over (15 s) of going silent,
  by another node; no heartbeating execution is ever FAILED;
- after the thaw the node answers /health 200 again, and every acknowledged first heartbeat
  (registration) is known to all three nodes: nothing acknowledged was lost;
- the new leader told a command channel `store.stalled` and then `store.recovered` about the
  frozen node, once each.

Needs root and /dev/fuse (skipped with the reason otherwise) and bindfs.

    VIGIL_BIN=.build/debug/vigil scripts/tests/store-stall-live.py
"""
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from livecluster import Cluster, Failure, http, read_jsonl  # noqa: E402

BIN = os.environ.get("VIGIL_BIN", ".build/debug/vigil")
FREEZE_S = 30
if os.geteuid() != 0 or not os.path.exists("/dev/fuse") or shutil.which("bindfs") is None:
    print("store-stall-live: SKIP (needs root, /dev/fuse and bindfs)")
    sys.exit(0)

c = Cluster("store-stall-live", BIN)
fail, step, wait_for = c.fail, c.step, c.wait_for
shared = c.path("shared")
os.makedirs(shared)
mounts, bindfs = {}, {}


def mount(node):
    path = c.path(f"mount-{node}")
    os.makedirs(path)
    bindfs[node] = subprocess.Popen(["bindfs", "-f", shared, path], stdout=subprocess.DEVNULL, stderr=open(c.path(f"bindfs-{node}.log"), "a"))
    mounts[node] = path
    wait_for(f"the bindfs mount of {node} did not appear", 10, lambda: os.path.ismount(path))


def beat(execution, node, timeout=3):
    body = {"execution_id": execution, "container_id": f"c-{execution[:8]}", "status": "running", "timestamp": int(time.time())}
    return http("POST", c.http_ports[node], "/api/v1/monitoring/heartbeat", body, timeout=timeout)[0]


def status(execution, node):
    view = c.execution(execution, node)
    return view.get("status") if view else None


try:
    events = c.path("events.jsonl")
    append = c.path("append.sh")
    with open(append, "w") as f:
        f.write('#!/bin/sh\nbody=$(cat)\nexec 9>>"$1"\nflock 9\nprintf \'%s\\n\' "$body" >&9\n')
    os.chmod(append, 0o755)
    c.configure({
        "executions": {"heartbeat_timeout_s": 2, "check_interval_s": 0.5, "max_strikes": 3}, "store": {"path": shared, "stall_s": 5},
        "notifications": {"channels": [{"name": "log", "type": "command", "argv": [append, events], "events": ["store.*"], "timeout_s": 5}]},
    })
    for n in c.ids:
        mount(n)
        c.start(n, env={"VIGIL_STORE_PATH": mounts[n]})
    leader = wait_for("the three nodes did not agree on a leader", 30, c.leader)
    others = [n for n in c.ids if n != leader]
    step(f"cluster up on three bindfs mounts of one store, leader {leader}")

    live = [str(uuid.uuid4()) for _ in range(6)]
    silent = [str(uuid.uuid4()) for _ in range(4)]
    acknowledged = set()
    for rounds in range(4):
        for e in live + silent:
            node = c.ids[(rounds + hash(e)) % 3]
            if beat(e, node) == 200:
                acknowledged.add(e)
        time.sleep(0.3)
    if acknowledged != set(live + silent):
        fail("not every first heartbeat was acknowledged before the freeze")

    bindfs[leader].send_signal(signal.SIGSTOP)
    frozen_at = time.time()
    step(f"{len(silent)} executions went silent; froze {leader}'s store (SIGSTOP of its bindfs)")

    unhealthy_after = None
    refused = None
    marked_at = {}
    while time.time() - frozen_at < FREEZE_S:
        for e in live:
            for node in c.ids:
                if beat(e, node, timeout=1) != 200:
                    fail(f"a running heartbeat to {node} was not answered 200 during the freeze")
        if unhealthy_after is None and http("GET", c.http_ports[leader], "/health", timeout=1)[0] != 200:
            unhealthy_after = time.time() - frozen_at
            step(f"{leader}'s /health stopped answering 200 after {unhealthy_after:.1f} s")
        if unhealthy_after is not None and refused is None:
            sent = time.time()
            code = beat(str(uuid.uuid4()), leader, timeout=5)
            refused = (code, time.time() - sent)
            step(f"a first heartbeat to {leader} was answered {code} in {refused[1]:.2f} s")
        for e in silent:
            if e not in marked_at and status(e, others[0]) == "failed":
                marked_at[e] = time.time() - frozen_at
        for e in live:
            if any(status(e, n) == "failed" for n in others):
                fail(f"a heartbeating execution {e} was marked FAILED")
        time.sleep(0.3)
    bindfs[leader].send_signal(signal.SIGCONT)
    step(f"thawed {leader}'s store after {FREEZE_S} s; silent executions marked at {sorted(round(t, 1) for t in marked_at.values())} s")

    if unhealthy_after is None or unhealthy_after > 6:
        fail(f"{leader}'s /health still answered 200 more than stall_s + 1 s into the freeze ({unhealthy_after})")
    if refused is None or refused[0] != 503 or refused[1] > 2:
        fail(f"a first heartbeat to the stalled node was not refused with 503 within 2 s: {refused}")
    if len(marked_at) != len(silent):
        fail(f"only {len(marked_at)} of {len(silent)} silent executions were marked during the freeze")
    # They went silent at most 0.3 s before the freeze: window 4 s + stall 5 s + take-over.
    if max(marked_at.values()) > 15:
        fail(f"a silent execution was marked {max(marked_at.values()):.1f} s after the freeze (target 15 s)")
    wait_for(f"{leader}'s /health did not answer 200 again after the thaw", 20, lambda: http("GET", c.http_ports[leader], "/health")[0] == 200)

    def all_known():
        return all(c.execution(e, n) is not None for e in acknowledged for n in c.ids)

    wait_for("an acknowledged registration is missing on some node after the thaw", 20, all_known)
    for e in live:
        if any(status(e, n) == "failed" for n in c.ids):
            fail(f"a heartbeating execution {e} was marked FAILED")
    step("after the thaw: healthy again, every acknowledged registration on all three nodes, no live execution failed")

    def told():
        got = [(e.get("event"), e.get("subject_node")) for e in read_jsonl(events)]
        return ("store.stalled", leader) in got and ("store.recovered", leader) in got and got

    got = wait_for("store.stalled and store.recovered did not both reach the channel", 20, told)
    if sorted(set(got)) != sorted(got):
        fail(f"a store event reached the channel twice: {got}")
    step(f"the channel was told: {got}")
    print("store-stall-live: PASS")
except Failure as failure:
    print(failure, file=sys.stderr)
    c.keep = True
    sys.exit(1)
finally:
    for p in bindfs.values():
        if p.poll() is None:
            p.send_signal(signal.SIGCONT)
    c.stop(wait=15)  # before unmounting: the nodes hold files on the mounts
    unmount = shutil.which("fusermount3") or shutil.which("fusermount") or "fusermount"
    for node, path in mounts.items():
        subprocess.run([unmount, "-u", path], stderr=subprocess.DEVNULL)
        if bindfs[node].poll() is None:
            bindfs[node].terminate()
            try:
                bindfs[node].wait(5)
            except subprocess.TimeoutExpired:
                bindfs[node].kill()
    c.close()

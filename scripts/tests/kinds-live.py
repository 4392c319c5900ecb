#!/usr/bin/env python3
"""Rules per job (issue 24) with real processes: three `vigil serve` nodes on loopback, checks
every 0.25 s, the default rule the seed's (300 s, 3 strikes), and four kinds:

- `fast` (timeout 1 s) and `slow` (timeout 4 s), 3 strikes each: three executions of each
  heartbeat once and go silent. Each kind is FAILED within its own window (timeout + 3 checks,
  plus a check and 1 s of slack), and no `slow` one before its timeout;
- `crawler` (progress_timeout_s 2): heartbeats every 0.25 s to every node in turn; its progress
  moves for 1 s, then stands still (only `runtime_seconds` ticks) until it is seen `stalled`
  (target: within 2 s + one interval of the last change, +0.5 s of slack), listed by
  `vigil executions --status stalled`, and its `execution.stalled` event reached the channel
  (the sweep's judgement, at most one check later), then moves again and is unstalled within one
  interval (+0.5 s); a command channel that only wants kinds crawler and batch gets `execution.stalled`
  and `execution.unstalled`, once each, and no event of the other kinds;
- `batch` (max_runtime_s 4): heartbeats go on, and it is FAILED with rule `max_runtime` within
  4 s + one interval (+1 s) of its registration;
- a seed client (no kind) stays RUNNING under the default rule; an unknown kind and an
  out-of-range `monitor` value get 400 naming the field.

    VIGIL_BIN=.build/debug/vigil scripts/tests/kinds-live.py
"""
import os
import subprocess
import sys
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from livecluster import Cluster, Failure, http, read_jsonl  # noqa: E402

BIN = os.environ.get("VIGIL_BIN", ".build/debug/vigil")
INTERVAL = 0.25
c = Cluster("kinds-live", BIN)
fail, step, wait_for = c.fail, c.step, c.wait_for


def beat(execution, node, kind=None, progress=None, monitor=None):
    body = {"execution_id": execution, "container_id": f"c-{execution[:8]}", "timestamp": int(time.time())}
    if kind:
        body["kind"] = kind
    if progress is not None:
        body["progress"] = progress
    if monitor is not None:
        body["monitor"] = monitor
    return http("POST", c.http_ports[node], "/api/v1/monitoring/heartbeat", body)


def view(execution, node="n1"):
    return c.execution(execution, node) or {}


try:
    events = c.path("events.jsonl")
    append = c.path("append.sh")
    with open(append, "w") as f:
        f.write('#!/bin/sh\nbody=$(cat)\nexec 9>>"$1"\nflock 9\nprintf \'%s\\n\' "$body" >&9\n')
    os.chmod(append, 0o755)
    c.configure({
        "executions": {"check_interval_s": INTERVAL},
        "kinds": {
            "fast": {"heartbeat_timeout_s": 1}, "slow": {"heartbeat_timeout_s": 4},
            "crawler": {"heartbeat_timeout_s": 5, "progress_timeout_s": 2}, "batch": {"heartbeat_timeout_s": 5, "max_runtime_s": 4},
        },
        "notifications": {"channels": [{
            "name": "log", "type": "command", "argv": [append, events], "events": ["execution.*"], "kinds": ["crawler", "batch"], "timeout_s": 5,
        }]},
    })
    leader = c.start_all()
    step(f"cluster up, leader {leader}")

    # Refusals name the field.
    code, _ = beat(str(uuid.uuid4()), "n1", kind="nope")
    if code != 400:
        fail(f"an unknown kind was answered {code}, not 400")
    status, _ = http("POST", c.http_ports["n2"], "/api/v1/executions", {"execution_id": str(uuid.uuid4()), "monitor": {"max_strikes": 0}})
    if status != 400:
        fail(f"monitor.max_strikes 0 was answered {status}, not 400")

    fast = [str(uuid.uuid4()) for _ in range(3)]
    slow = [str(uuid.uuid4()) for _ in range(3)]
    crawler, batch, seed = str(uuid.uuid4()), str(uuid.uuid4()), str(uuid.uuid4())
    for i, e in enumerate(fast + slow):
        if beat(e, c.ids[i % 3], kind="fast" if e in fast else "slow")[0] != 200:
            fail("a first heartbeat of a fast or slow execution was not accepted")
    silent_at = time.time()
    if beat(batch, "n1", kind="batch", progress={"data_items": 0})[0] != 200 or beat(seed, "n2")[0] != 200:
        fail("the batch or seed execution was not accepted")
    batch_at = time.time()
    if view(batch).get("rule", {}).get("max_runtime_s") != 4:
        fail(f"the API does not show the kind and effective rule: {view(batch)}")
    # Another node knows the rule once it has read the registration record (gossip may bring the
    # heartbeat a store poll earlier).
    wait_for("n3 did not show the fast kind", 2, lambda: view(fast[0], "n3").get("kind") == "fast")

    crawled, last_change, stalled_seen, unstall_change, unstalled_seen, stall_latency = 0, time.time(), None, None, None, None
    failed_at, listed, beats, tick, stall_event_at = {}, False, 0, 0, None
    deadline = time.time() + 14
    # Heartbeats every interval; the views are read every 50 ms, so the figures are good to 50 ms.
    while time.time() < deadline and not (unstalled_seen and len(failed_at) == 7):
        now = time.time()
        if tick % 5 == 0:
            # The progress moves again only once the leader's sweep has judged the stall (its
            # event reached the channel): a node's API shows `stalled` as soon as the timeout
            # passes, the sweep up to one check later, and a stall that ends between the two is
            # one no sweep saw (README, "Rules per kind").
            if now - silent_at < 1 or (stall_event_at and unstall_change is None):
                crawled += 1
                last_change = now
                if stalled_seen:
                    unstall_change = now
            node = c.ids[beats % 3]
            beats += 1
            beat(crawler, node, kind="crawler", progress={"crawled_urls": crawled, "runtime_seconds": round(now - silent_at, 2)})
            if batch not in failed_at:
                beat(batch, node, progress={"data_items": beats})
            beat(seed, node)
        tick += 1
        if stalled_seen and stall_event_at is None and any(d.get("event") == "execution.stalled" for d in read_jsonl(events)):
            stall_event_at = time.time()
            step(f"the channel got execution.stalled {stall_event_at - last_change:.2f} s after the progress last changed")
        v = view(crawler, c.ids[(beats + 1) % 3])  # not the node the last heartbeat went to
        if v.get("stalled") and stalled_seen is None:
            stalled_seen = time.time()
            stall_latency = stalled_seen - last_change
            step(f"crawler stalled {stall_latency:.2f} s after its progress last changed (since {v.get('stalled_since')})")
            out = subprocess.run([BIN, "executions", "--status", "stalled", "--node", c.url("n2"), "--format", "json"], capture_output=True, text=True, timeout=10)
            listed = crawler in out.stdout
        if unstall_change and not v.get("stalled") and unstalled_seen is None:
            unstalled_seen = time.time()
            step(f"crawler unstalled {unstalled_seen - unstall_change:.2f} s after its progress moved")
        for e in fast + slow + [batch]:
            if e not in failed_at and view(e, "n2").get("status") == "failed":
                failed_at[e] = time.time() - (batch_at if e == batch else silent_at)
        time.sleep(0.05)

    fast_t = sorted(round(failed_at.get(e, 99), 2) for e in fast)
    slow_t = sorted(round(failed_at.get(e, 99), 2) for e in slow)
    step(f"fast FAILED after {fast_t} s (window 1 s + 3 checks), slow after {slow_t} s (4 s + 3 checks), batch after {failed_at.get(batch)} s")
    if max(fast_t) > 1 + 4 * INTERVAL + 1:
        fail(f"a fast execution was not FAILED within its window: {fast_t}")
    if min(slow_t) < 4 or max(slow_t) > 4 + 4 * INTERVAL + 1:
        fail(f"a slow execution was FAILED outside its window: {slow_t}")
    reason = view(batch, "n3").get("failure_reason") or ""
    if batch not in failed_at or failed_at[batch] > 4 + INTERVAL + 1 or "max_runtime" not in reason:
        fail(f"batch was not FAILED by max_runtime within 4 s + one interval: {failed_at.get(batch)} {reason!r}")
    if stall_latency is None or stall_latency > 2 + INTERVAL + 0.5:
        fail("crawler was not seen stalled within 2 s + one interval of its last change")
    if stall_event_at is None or stall_event_at - last_change > 2 + 2 * INTERVAL + 1:
        fail("the channel did not get execution.stalled within 2 s + one check (+ delivery) of the last progress change")
    if not listed:
        fail("vigil executions --status stalled did not list the stalled crawler")
    if unstalled_seen is None or unstalled_seen - unstall_change > INTERVAL + 0.5:
        fail(f"crawler was not unstalled within one interval of its progress moving ({unstalled_seen} {unstall_change})")
    if view(seed, "n3").get("status") != "running" or view(seed).get("kind") is not None:
        fail(f"the seed client's execution is not RUNNING under the default rule: {view(seed)}")

    def delivered():
        got = read_jsonl(events)
        kinds = [d.get("event") for d in got]
        return got if "execution.unstalled" in kinds and "execution.failed" in kinds else None
    got = wait_for("the channel did not get the stalled, unstalled and batch failed events", 10, delivered)
    keys = {d["key"] for d in got}
    stalled_keys = [k for k in keys if k.startswith("execution.stalled:")]
    unstalled_keys = [k for k in keys if k.startswith("execution.unstalled:")]
    if len(stalled_keys) != 1 or len(unstalled_keys) != 1 or stalled_keys[0].split(":")[1:] != unstalled_keys[0].split(":")[1:]:
        fail(f"expected one stalled and one matching unstalled event, got {sorted(keys)}")
    if any(e in k for k in keys for e in fast + slow):
        fail(f"the channel filtered by kind got an event of another kind: {sorted(keys)}")
    step(f"channel (kinds crawler, batch) got {sorted(k.split(':')[0] for k in keys)}")
    print("kinds-live: OK")
except Failure as failure:
    print(failure, file=sys.stderr)
    c.close()
    sys.exit(1)
c.close()

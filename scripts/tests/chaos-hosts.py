#!/usr/bin/env python3
"""Chaos on the multi-host bed (issue 16): three `vigil serve` nodes in network namespaces of
their own (scripts/tests/hostbed.py), a fleet of containers in the hub heartbeating to them, and
one disruption per scenario. Every scenario is bounded in time and checks its budget:

- false FAILED = 0: no execution that kept heartbeating is ever marked FAILED, on any node;
- missed FAILED = 0: every execution that went silent is marked FAILED, within the detection
  window (heartbeat timeout + (strikes + 1) x check interval after its last heartbeat; or after
  the heal when no majority existed meanwhile, and + a new leader's take-over when the leader
  was cut off);
- one view after heal: all nodes alive to each other, one leader, within 5 s.

Scenarios: leader-isolated, asymmetric (a node cut off from the leader only), flapping (a link
down/up every 2 s), partition (every link cut, healed after longer than the suspicion timeout),
store-unwritable (one node's store directory made unwritable while heartbeats flow), clock-step
(the leader's wall clock stepped +5 min, then -5 min), and load-balancer (HAProxy in front,
health-checking /health; a node SIGKILLed: 0 heartbeats lost).

Usage: VIGIL_BIN=.build/debug/vigil scripts/tests/chaos-hosts.py [SCENARIO ...] [--seeds N]
Needs root and `ip`; prints why and exits 0 (skipped) otherwise.
"""
import http.client as httpclient
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hostbed  # noqa: E402
from chaos import BIN, CONFIG, FLAP_S, PARTITION_S, RNG, ROOT, run_scenario, statuses  # noqa: E402
from hostbed import BedError, HostBed  # noqa: E402

# ---------------------------------------------------------------- the scenarios

def other(bed, leader):
    return next(i for i in bed.ns if i != leader)


def leader_isolated(bed):
    return run_scenario(bed, "leader-isolated", lambda l: bed.cut(l), lambda l: bed.heal(l), hold_s=5, leader_cut=True)


def asymmetric(bed):
    state = {}

    def disrupt(leader):
        state["x"] = other(bed, leader)
        bed.separate(leader, state["x"])

    return run_scenario(bed, "asymmetric", disrupt, lambda l: bed.unblock_all(), hold_s=5, no_quorum=True)


def flapping(bed):
    state = {}

    def disrupt(leader):
        x = state["x"] = other(bed, leader)
        end = time.time() + FLAP_S
        while time.time() < end:
            bed.cut(x)
            time.sleep(1.0)
            bed.heal(x)
            time.sleep(1.0)

    return run_scenario(bed, "flapping", disrupt, lambda l: bed.heal(state["x"]), hold_s=0)


def partition(bed):
    """Every node cut off from every other (the containers still reach each one)."""
    def disrupt(_):
        for a in bed.ns:
            for b in bed.ns:
                if a < b:
                    bed.separate(a, b)

    # Two containers talk only to n2 and n3: a leader cut off from both must not strike them.
    # Held CHAOS_PARTITION_S: 5 s (+ up to 1 s) in scripts/test, 8 s in scripts/bench-chaos
    # (longer than the longest suspicion timeout, 2.8 s x 2 without confirmations).
    return run_scenario(bed, "partition", disrupt, lambda _: bed.unblock_all(), hold_s=PARTITION_S, no_quorum=True, leader_cut=True, pinned=(2, 3))


def store_unwritable(bed):
    """The leader's own store directory made unwritable (its next segment cannot be created)."""
    state = {}

    def disrupt(leader):
        x = state["x"] = leader
        directory = os.path.join(bed.tmp, "store", f"n{x}")
        state["dir"] = directory
        os.chmod(directory, 0o555)
        # Durable writes at the leader (40 jobs that start and complete) fill its 4 KiB segment,
        # so it needs a new one while it cannot create files.
        state["acknowledged"] = 0
        for _ in range(40):
            job = str(uuid.uuid4())
            bed.http(leader, "POST", "/api/v1/monitoring/heartbeat", {"execution_id": job, "container_id": "short", "status": "running", "timestamp": int(time.time())})
            status, _ = bed.http(leader, "POST", "/api/v1/monitoring/completion", {"execution_id": job, "container_id": "short", "success": True})
            state["acknowledged"] += status == 200

    def heal(_):
        state["rotation_failures"] = rotation_failures(bed, state["x"])
        os.chmod(state["dir"], 0o755)

    # A leader whose writes fail is unfit to lead (StoreHealth.failing): the next node may take over.
    figures = run_scenario(bed, "store-unwritable", disrupt, heal, hold_s=6, leader_cut=True)
    # The disruption must have bitten: the leader needed a new segment and could not make one.
    if state["rotation_failures"] < 1:
        bed.fail("store-unwritable: the leader never failed to open a new segment (the scenario did not disturb it)")
    figures["rotation_failures"] = state["rotation_failures"]
    figures["completions_acknowledged"] = f"{state['acknowledged']}/40"
    return figures


def rotation_failures(bed, i):
    try:
        conn = httpclient.HTTPConnection(bed.address(i), 8000, timeout=2)
        conn.request("GET", "/metrics")
        text = conn.getresponse().read().decode()
        conn.close()
    except OSError:
        return 0
    return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines() if line.startswith("vigil_store_rotation_failures_total"))


def clock_step(bed):
    def disrupt(leader):
        path = bed.path(f"clock-n{leader}")
        with open(path, "w") as f:
            f.write("300000")
        time.sleep(3)
        with open(path, "w") as f:
            f.write("-300000")
        time.sleep(3)

    def heal(leader):
        with open(bed.path(f"clock-n{leader}"), "w") as f:
            f.write("0")

    return run_scenario(bed, "clock-step", disrupt, heal, hold_s=0)


SCENARIOS = {
    "leader-isolated": leader_isolated,
    "asymmetric": asymmetric,
    "flapping": flapping,
    "partition": partition,
    "store-unwritable": store_unwritable,
    "clock-step": clock_step,
}


def bed_for(name, seed):
    config = dict(CONFIG)
    user = None
    if name == "store-unwritable":
        # Root ignores directory permissions: these nodes run as nobody, with small segments so
        # that a new one is needed while the directory is unwritable.
        config["store"] = {"segment_bytes": 4096}
        user = (65534, 65534)
    bed = HostBed(BIN, n=3, name=f"chaos-{name}-{seed}", config=config)
    if user:
        os.chmod(bed.tmp, 0o755)
        os.makedirs(os.path.join(bed.tmp, "store"), mode=0o777, exist_ok=True)
        os.chmod(os.path.join(bed.tmp, "store"), 0o777)
    for i in bed.ns:
        offset = bed.path(f"clock-n{i}")
        with open(offset, "w") as f:
            f.write("0")
        bed.start(i, env={"VIGIL_TEST_WALL_OFFSET_FILE": offset}, user=user)
    bed.wait_for("the nodes did not agree on a leader", 30, bed.agreed_leader)
    return bed


# ---------------------------------------------------------------- one URL: HAProxy

HAPROXY_CFG = """global
    maxconn 1024
defaults
    mode http
    timeout connect 300ms
    timeout client 10s
    timeout server 2s
    retries 3
    option redispatch 1
    retry-on all-retryable-errors
    option http-buffer-request
frontend vigil
    bind {hub}:8000
    default_backend nodes
backend nodes
    balance roundrobin
    option httpchk GET /health
    http-check expect status 200
    default-server inter 300ms fall 2 rise 2
{servers}
"""


def load_balancer(seed):
    if shutil.which("haproxy") is None:
        raise BedError("load-balancer: haproxy is not installed (scripts/test installs it)")
    bed = HostBed(BIN, n=3, name=f"chaos-lb-{seed}", config=CONFIG)
    proxy = None
    try:
        bed.start_all()
        servers = "\n".join(f"    server n{i} {bed.address(i)}:8000 check" for i in bed.ns)
        cfg = bed.path("haproxy.cfg")
        with open(cfg, "w") as f:
            f.write(HAPROXY_CFG.format(hub=f"{bed.subnet}.254", servers=servers))
        proxy = subprocess.Popen(["haproxy", "-f", cfg, "-db"], stdout=subprocess.DEVNULL, stderr=open(bed.path("haproxy.log"), "w"))
        url_host = f"{bed.subnet}.254"
        bed.wait_for("haproxy does not answer /health", 10, lambda: _lb_get(url_host, "/health") == 200)
        # The seed 004 client, unchanged, through the one URL.
        sys.path.insert(0, os.path.join(ROOT, "Tests/live"))
        from heartbeat_client import HeartbeatClient  # noqa: E402
        executions = [str(uuid.uuid4()) for _ in range(6)]
        clients = [HeartbeatClient(api_base_url=f"http://{url_host}:8000", execution_id=e, container_id="lb", heartbeat_interval=1) for e in executions]
        outcomes = []
        lock = threading.Lock()
        stop = threading.Event()

        def beat(client):
            # The seed client's own request, counted: its _send_heartbeat prints and swallows errors.
            while not stop.is_set():
                payload = {"execution_id": client.execution_id, "container_id": client.container_id, "status": "running",
                           "progress": {"n": len(outcomes)}, "timestamp": int(time.time())}
                import requests
                try:
                    status = requests.post(client.heartbeat_url, json=payload, timeout=10, headers={"Content-Type": "application/json"}).status_code
                except requests.RequestException:
                    status = None
                with lock:
                    outcomes.append(status)
                time.sleep(0.1)

        threads = [threading.Thread(target=beat, args=(c,), daemon=True) for c in clients]
        for t in threads:
            t.start()
        time.sleep(2)
        victim = bed.wait_for("load-balancer: the nodes did not agree on a leader", 15, bed.agreed_leader, every=0.2)
        bed.step(f"load-balancer: SIGKILL n{victim} (the leader) while 6 seed clients heartbeat through HAProxy")
        bed.kill(victim)
        time.sleep(5)
        stop.set()
        for t in threads:
            t.join(15)
        lost = [s for s in outcomes if s != 200]
        if lost:
            bed.fail(f"load-balancer: {len(lost)} of {len(outcomes)} heartbeats through HAProxy were not acknowledged: {lost[:5]}")
        # Each client's executions are known to the survivors.
        for e in executions:
            seen = statuses(bed, e)
            if not seen or any(s != "running" for s in seen.values()):
                bed.fail(f"load-balancer: execution {e} is {seen} on the survivors")
        return {"heartbeats": len(outcomes), "lost": 0, "killed": f"n{victim}"}
    finally:
        if proxy and proxy.poll() is None:
            proxy.send_signal(signal.SIGTERM)
            proxy.wait(5)
        bed.close()


def _lb_get(host, path):
    try:
        conn = httpclient.HTTPConnection(host, 8000, timeout=1)
        conn.request("GET", path)
        status = conn.getresponse().status
        conn.close()
        return status
    except OSError:
        return None


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    seeds = int(next((a.split("=")[1] for a in sys.argv[1:] if a.startswith("--seeds=")), "1"))
    reason = hostbed.available()
    if reason:
        print(f"chaos-hosts: skipped: {reason}")
        return 0
    names = args or list(SCENARIOS) + ["load-balancer"]
    started = time.time()
    results, failures = [], []
    for seed in range(1, seeds + 1):
        for name in names:
            RNG.seed(seed * 1000 + len(name))
            t = time.time()
            try:
                if name == "load-balancer":
                    figures = load_balancer(seed)
                else:
                    bed = bed_for(name, seed)
                    try:
                        figures = SCENARIOS[name](bed)
                    finally:
                        bed.close()
            except BedError as failure:
                failures.append((name, seed, str(failure)))
                print(failure, file=sys.stderr, flush=True)
                continue
            results.append((name, seed, figures))
            print(f"chaos-hosts: {name} (seed {seed}): PASS in {time.time() - t:.0f} s {figures}", flush=True)
    views = [f["view_after_heal_s"] for _, _, f in results if "view_after_heal_s" in f]
    print(f"chaos-hosts: {len(results)} runs passed, {len(failures)} failed; one view after heal: max {max(views, default=0):.2f} s; "
          f"{time.time() - started:.0f} s")
    if failures:
        print("chaos-hosts: FAIL: " + "; ".join(f"{n} (seed {s})" for n, s, _ in failures), file=sys.stderr)
        return 1
    print("chaos-hosts: PASS (false FAILED 0, missed FAILED 0)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

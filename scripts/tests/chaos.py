"""What every chaos scenario shares (issues 16 and 23): the fleet of containers heartbeating to
the bed's nodes, the rule they are judged by, and `run_scenario`, which runs one disruption and
checks the budgets:

- false FAILED = 0: no execution that kept heartbeating is ever marked FAILED, on any node;
- missed FAILED = 0: every execution that went silent is marked FAILED, within the detection
  window (heartbeat timeout + (strikes + 1) x check interval after its last heartbeat; or after
  the heal when no majority existed meanwhile, and + a new leader's take-over when the leader
  was cut off);
- one view after heal: all nodes alive to each other, one leader, within 5 s;
- every node still runs at the end, and no heartbeat went unacknowledged by every node.

Used by chaos-hosts.py (links, clocks, a store directory) and chaos-storage.py (GlusterFS).
"""
import http.client as httpclient
import json
import os
import random
import threading
import time
import uuid

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BIN = os.environ.get("VIGIL_BIN", os.path.join(ROOT, ".build/debug/vigil"))
TIMEOUT_S, INTERVAL_S, STRIKES = 2.0, 0.5, 3
WINDOW_S = TIMEOUT_S + (STRIKES + 1) * INTERVAL_S
TAKEOVER_S = 3.0  # a new leader: suspicion of the old one, election, reading the store
FLAP_S = float(os.environ.get("CHAOS_FLAP_S", "30"))
PARTITION_S = float(os.environ.get("CHAOS_PARTITION_S", "5"))
RNG = random.Random(1)  # reseeded per run: when the disruption starts, how long it holds
CONFIG = {
    "executions": {"heartbeat_timeout_s": TIMEOUT_S, "check_interval_s": INTERVAL_S, "max_strikes": STRIKES, "retention_s": 3600},
    "probes": {"enabled": False},
}



class Fleet:
    """Containers in the hub: `live` executions heartbeat every 0.3 s until stopped; `dying`
    ones stop after `beats` heartbeats. Each heartbeat goes to the next node, and on to the
    others when one does not take it (a client with a list of nodes)."""

    def __init__(self, bed, live=8, pinned=(), rng=None):
        self.bed = bed
        self.rng = rng or random.Random(1)
        self.stop = threading.Event()
        self.live = [str(uuid.uuid4()) for _ in range(live)]
        self.last_ack = {}
        self.lost = []
        self.threads = []
        for i, execution in enumerate(self.live):
            self._spawn(execution, None, i)
        # Containers that only ever talk to one node (a client pinned to its nearest node): the
        # rest of the cluster hears of them through gossip alone.
        for node in pinned:
            execution = str(uuid.uuid4())
            self.live.append(execution)
            self._spawn(execution, None, 0, pin=node)

    def _spawn(self, execution, beats, offset, pin=None):
        thread = threading.Thread(target=self._run, args=(execution, beats, offset, pin), daemon=True)
        thread.start()
        self.threads.append(thread)

    def add_dying(self, count, beats=3):
        ids = [str(uuid.uuid4()) for _ in range(count)]
        for i, execution in enumerate(ids):
            self._spawn(execution, beats, i)
        return ids

    def _beat(self, execution, node):
        body = json.dumps({"execution_id": execution, "container_id": "fleet", "status": "running", "timestamp": int(time.time()),
                           "progress": {"at": time.time()}})
        try:
            conn = httpclient.HTTPConnection(self.bed.address(node), 8000, timeout=0.6)
            conn.request("POST", "/api/v1/monitoring/heartbeat", body=body, headers={"content-type": "application/json"})
            status = conn.getresponse().status
            conn.close()
            return status
        except OSError:
            return None

    def _run(self, execution, beats, offset, pin=None):
        nodes = [pin] if pin else list(self.bed.ns)
        k = offset
        sent = 0
        deadline = time.time() + 300
        while not self.stop.is_set() and time.time() < deadline and (beats is None or sent < beats):
            k += 1
            for attempt in range(len(nodes)):
                status = self._beat(execution, nodes[(k + attempt) % len(nodes)])
                if status == 200:
                    self.last_ack[execution] = time.time()
                    break
            else:
                self.lost.append((execution, time.time()))
            sent += 1
            time.sleep(0.3)

    def close(self):
        self.stop.set()
        for thread in self.threads:
            thread.join(5)


def statuses(bed, execution):
    """{node: status} for the nodes that answer."""
    out = {}
    for i in bed.ns:
        if bed.up(i):
            status, body = bed.http(i, "GET", f"/api/v1/executions/{execution}", timeout=1)
            if status == 200:
                out[i] = body["status"]
    return out


def failed_anywhere(bed, executions):
    return [e for e in executions if "failed" in statuses(bed, e).values()]


def one_view(bed, started):
    leader = bed.wait_for("no single view after the heal", 5, lambda: bed.agreed_leader())
    return time.time() - started, leader


def run_scenario(bed, name, disrupt, heal, hold_s, no_quorum=False, leader_cut=False, live=8, pinned=(), takeover_s=None):
    """Runs one scenario; returns its figures. Raises BedError when a budget is broken.

    `no_quorum`: the disruption may keep the leader from a whole view (no majority, or a live
    peer's table it cannot read): marking waits, by design, so detection counts from the heal.
    `leader_cut`: the leader is cut off, so a new one takes over (TAKEOVER_S more); `takeover_s`
    states another take-over allowance (a leader whose store stalls steps down first)."""
    fleet = Fleet(bed, live=live, pinned=pinned)
    try:
        time.sleep(1.5)
        dying = fleet.add_dying(4)
        time.sleep(0.5)
        # A busy 2-core host can leave one view a moment behind (a member suspected and refuted,
        # a members request slower than its timeout): the disruption needs the leader all agree on.
        leader = bed.wait_for(f"{name}: the nodes did not agree on a leader before the disruption", 15, bed.agreed_leader, every=0.2)
        # One observer per node notes when each silent execution is first listed among its
        # failure marks (one request per node per pass; a slow or cut-off node delays no other).
        detected = {}
        watching = threading.Event()
        lock = threading.Lock()

        def observe(i):
            end = time.time() + 300
            while not watching.is_set() and len(detected) < len(dying) and time.time() < end:
                status, body = bed.http(i, "GET", "/api/v1/marks?limit=1000", timeout=0.5)
                if status == 200:
                    now = time.time()
                    marked = {m["execution_id"] for m in body["marks"]}
                    with lock:
                        for e in dying:
                            if e in marked and e not in detected:
                                detected[e] = now
                time.sleep(0.1)

        observers = [threading.Thread(target=observe, args=(i,), daemon=True) for i in bed.ns]
        for observer in observers:
            observer.start()
        time.sleep(RNG.uniform(0, 0.6))
        disrupted_at = time.time()
        disrupt(leader)
        time.sleep(hold_s + (RNG.uniform(0, 1.0) if hold_s else 0))
        heal(leader)
        healed_at = time.time()
        view_s, new_leader = one_view(bed, healed_at)
        # Every silent execution failed within its window.
        allowance = takeover_s if takeover_s is not None else (TAKEOVER_S if leader_cut else 0.0)
        deadline = time.time() + WINDOW_S + allowance + 10
        while len(detected) < len(dying) and time.time() < deadline:
            time.sleep(0.1)
        watching.set()
        for observer in observers:
            observer.join(5)
        missed = [e for e in dying if e not in detected]
        late = []
        for e, at in detected.items():
            since = max(fleet.last_ack.get(e, disrupted_at), healed_at if no_quorum else 0)
            if at - since > WINDOW_S + allowance + 1.0:
                late.append((e, round(at - since, 2)))
        false = failed_anywhere(bed, fleet.live)
        if false:
            bed.fail(f"{name}: false FAILED for executions that kept heartbeating: {false}")
        if missed:
            bed.fail(f"{name}: missed FAILED: {len(missed)} silent executions never failed")
        if late:
            bed.fail(f"{name}: detection outside the window ({WINDOW_S} s + {allowance} s): {late}")
        if fleet.lost:
            bed.fail(f"{name}: {len(fleet.lost)} heartbeats no node took")
        down = [f"n{i}" for i in bed.ns if i in bed.procs and not bed.up(i)]
        if down:
            bed.fail(f"{name}: {down} exited during the scenario (exit {[bed.procs[int(n[1:])].returncode for n in down]})")
        worst = max(at - max(fleet.last_ack.get(e, disrupted_at), healed_at if no_quorum else 0) for e, at in detected.items())
        return {"view_after_heal_s": round(view_s, 2), "worst_detection_s": round(worst, 2), "leader": f"n{leader}->n{new_leader}"}
    finally:
        fleet.close()

#!/usr/bin/env python3
"""See scripts/bench-crash. Every wait is bounded; nodes are ended by PID."""
import os
import signal
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests"))
from livecluster import Cluster, Failure, http  # noqa: E402

TRIALS, N = int(sys.argv[1]), int(sys.argv[2])
BIN = os.environ["VIGIL_BIN"]
IDS = [f"n{i}" for i in range(1, N + 1)]


def state_of(c, viewer, victim):
    status, body = http("GET", c.http_ports[viewer], "/api/v1/cluster/members", timeout=1)
    if status != 200:
        return None
    return next((m["state"] for m in body["members"] if m["id"] == victim), None)


def all_alive(c):
    for viewer in IDS:
        status, body = http("GET", c.http_ports[viewer], "/api/v1/cluster/members", timeout=1)
        if status != 200 or any(m["state"] != "alive" for m in body["members"]):
            return False
    return True


def crash_trial(c, victim):
    """Seconds until every survivor lists the SIGKILLed victim dead."""
    survivors = [n for n in IDS if n != victim]
    c.kill(victim)
    start = time.time()
    seen = {}
    while len(seen) < len(survivors) and time.time() - start < 20:
        for viewer in survivors:
            if viewer not in seen and state_of(c, viewer, victim) == "dead":
                seen[viewer] = time.time() - start
        time.sleep(0.01)
    c.start(victim)
    c.wait_for("the cluster did not heal", 30, lambda: all_alive(c))
    return max(seen.values()) if len(seen) == len(survivors) else None


def pause_trial(c, victim, seconds=3.0):
    """Whether any survivor ever listed the paused victim dead."""
    survivors = [n for n in IDS if n != victim]
    c.procs[victim].send_signal(signal.SIGSTOP)
    convicted = False
    end = time.time() + seconds
    while time.time() < end:
        convicted |= any(state_of(c, v, victim) == "dead" for v in survivors)
        time.sleep(0.05)
    c.procs[victim].send_signal(signal.SIGCONT)
    end = time.time() + 3
    while time.time() < end:
        convicted |= any(state_of(c, v, victim) == "dead" for v in survivors)
        time.sleep(0.05)
    c.wait_for("the cluster did not settle after the pause", 30, lambda: all_alive(c))
    return convicted


def run(probe):
    c = Cluster(f"crash-{'probe' if probe else 'plain'}", BIN, {"gossip": {"interval_s": 0.2, "crash_probe": probe}}, ids=IDS)
    try:
        c.start_all()
        c.wait_for("the cluster did not form", 30, lambda: all_alive(c))
        return c
    except BaseException:
        c.close()
        raise


def main():
    results = {True: [], False: []}
    paused = {True: 0, False: 0}
    clusters = {}
    try:
        for probe in (True, False):
            clusters[probe] = run(probe)
        for trial in range(TRIALS):
            victim = IDS[trial % N]
            for probe in (True, False):
                seconds = crash_trial(clusters[probe], victim)
                results[probe].append(seconds)
                print(f"trial {trial + 1} {'probe' if probe else 'plain'}: {victim} SIGKILLed, dead at every survivor after "
                      f"{seconds if seconds is None else f'{seconds:.2f} s'}", flush=True)
        for trial in range(max(2, TRIALS // 3)):
            victim = IDS[(trial + 1) % N]
            for probe in (True, False):
                paused[probe] += pause_trial(clusters[probe], victim)
        for probe in (True, False):
            times = [t for t in results[probe] if t is not None]
            label = "with crash probe" if probe else "without (suspicion timeout only)"
            print(f"{label:34s}: dead at every survivor p50 {statistics.median(times):.2f} s, max {max(times):.2f} s "
                  f"({len(times)}/{TRIALS} trials); paused 3 s convicted in {paused[probe]} of {max(2, TRIALS // 3)} trials")
        p, q = statistics.median(t for t in results[True] if t), statistics.median(t for t in results[False] if t)
        print(f"ratio with/without: {p / q:.2f}; targets: p50 <= 1 s with the probe, paused never convicted")
    except Failure as failure:
        print(failure, file=sys.stderr)
        return 1
    finally:
        for c in clusters.values():
            c.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())

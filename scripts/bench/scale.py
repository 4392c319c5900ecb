#!/usr/bin/env python3
"""See scripts/bench-scale. N `vigil serve` nodes (default settings, loopback) and N Serf agents
(LAN profile) run side by side; once both have converged, one quiet window samples every
process's CPU time and RSS from /proc, and the figures are printed with the ratio. Every wait is
bounded; every process is ended by its PID."""
import os
import shutil
import socket
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests"))
from livecluster import Cluster, Failure, free_port, http  # noqa: E402

N = int(sys.argv[1])
WINDOW = float(os.environ.get("VIGIL_SCALE_WINDOW", "60"))
SETTLE = float(os.environ.get("VIGIL_SCALE_SETTLE", "15"))
BIN = os.environ["VIGIL_BIN"]
IDS = [f"n{i}" for i in range(1, N + 1)]
TICK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def rss_mib(pid):
    with open(f"/proc/{pid}/statm") as f:
        return int(f.read().split()[1]) * PAGE / 2**20


def threads(pid):
    with open(f"/proc/{pid}/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("Threads:"))


def vigil_converged(c):
    for node in IDS:
        status, body = http("GET", c.http_ports[node], "/api/v1/cluster/members", timeout=2)
        if status != 200 or sum(m["state"] == "alive" for m in body["members"]) != N:
            return False
    return True


class Serf:
    def __init__(self, tmp):
        self.tmp = tmp
        self.procs = []
        self.rpc = []

    def start(self):
        first = None
        for i in range(N):
            bind, rpc = free_port(socket.SOCK_DGRAM), free_port()
            args = ["serf", "agent", f"-node=s{i + 1}", f"-bind=127.0.0.1:{bind}", f"-rpc-addr=127.0.0.1:{rpc}",
                    "-profile=lan", "-log-level=warn"]
            if first:
                args.append(f"-join=127.0.0.1:{first}")
            first = first or bind
            log = open(os.path.join(self.tmp, f"serf-s{i + 1}.log"), "w")
            self.procs.append(subprocess.Popen(args, stdout=log, stderr=log))
            self.rpc.append(rpc)
            time.sleep(0.05)

    def converged(self):
        for rpc in (self.rpc[0], self.rpc[-1]):
            out = subprocess.run(["serf", "members", f"-rpc-addr=127.0.0.1:{rpc}", "-status=alive"],
                                 capture_output=True, text=True, timeout=10).stdout
            if len(out.strip().splitlines()) != N:
                return False
        return True

    def close(self):
        for p in self.procs:
            p.terminate()
        for p in self.procs:
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()


def wait(what, seconds, check):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if check():
            return
        time.sleep(0.5)
    raise Failure(f"bench-scale: {what} (waited {seconds} s)")


def main():
    c = Cluster(f"scale{N}", BIN, {"gossip": {}}, ids=IDS)
    serf = Serf(c.tmp)
    try:
        for node in IDS:
            c.start(node)
        serf.start()
        wait(f"the {N} vigil nodes did not all see each other alive", 120, lambda: vigil_converged(c))
        wait(f"the {N} serf agents did not all see each other alive", 120, serf.converged)
        time.sleep(SETTLE)
        groups = {"vigil": [p.pid for p in c.procs.values()], "serf": [p.pid for p in serf.procs]}
        before = {k: [cpu_seconds(pid) for pid in pids] for k, pids in groups.items()}
        t0 = time.time()
        time.sleep(WINDOW)
        elapsed = time.time() - t0
        after = {k: [cpu_seconds(pid) for pid in pids] for k, pids in groups.items()}
        figures = {}
        for k, pids in groups.items():
            cpu = [100 * (a - b) / elapsed for a, b in zip(after[k], before[k])]
            rss = [rss_mib(pid) for pid in pids]
            figures[k] = (statistics.median(cpu), statistics.mean(cpu), statistics.median(rss), max(rss),
                          statistics.median([threads(pid) for pid in pids]))
        print(f"N = {N}, idle, window {elapsed:.0f} s after convergence + {SETTLE:.0f} s")
        print(f"{'':6s} {'CPU% p50':>9s} {'CPU% mean':>9s} {'RSS MiB p50':>11s} {'RSS max':>8s} {'threads':>7s}")
        for k, (cp50, cmean, rp50, rmax, th) in figures.items():
            print(f"{k:6s} {cp50:9.2f} {cmean:9.2f} {rp50:11.1f} {rmax:8.1f} {th:7.0f}")
        v, s = figures["vigil"], figures["serf"]
        print(f"ratio vigil/serf: CPU {v[0] / max(s[0], 1e-9):.2f}, RSS {v[2] / s[2]:.2f} (target <= 1.00 at N = 25)")
        # Still a cluster after the window: every node sees every other alive.
        if not vigil_converged(c):
            raise Failure("bench-scale: vigil lost a member during the idle window")
    except Failure as failure:
        print(failure, file=sys.stderr)
        c.keep = True
        return 1
    finally:
        serf.close()
        c.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Shared scaffolding of the real-process tests: a temporary 3-node `vigil serve` cluster on
loopback (free ports), bounded waits, and logs printed and kept when a check fails."""
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request

IDS = ["n1", "n2", "n3"]


class Failure(SystemExit):
    pass


def free_port(kind=socket.SOCK_STREAM):
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http(method, port, path, body=None, timeout=2, token=None):
    """(status, parsed JSON) or (None, None) when nothing answered. `token` goes as a bearer token."""
    data = json.dumps(body).encode() if body is not None else None
    headers = {"content-type": "application/json"}
    if token:
        headers["authorization"] = f"Bearer {token}"
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, None
    except OSError:
        return None, None


def read_jsonl(path):
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


class Harness:
    """What every real-process harness shares: timed steps and bounded waits. A subclass has
    `name`, `t0` and `fail(message)` (which raises)."""

    def step(self, message):
        print(f"{self.name}: [{time.time() - self.t0:5.1f} s] {message}", flush=True)

    def wait_for(self, what, seconds, check, every=0.05):
        deadline = time.time() + seconds
        while time.time() < deadline:
            value = check()
            if value:
                return value
            time.sleep(every)
        self.fail(f"{what} (waited {seconds} s)")


class Cluster(Harness):
    """Three nodes of one configuration; `config` is merged into the generated cluster file."""

    def __init__(self, name, binary, config=None, token=None, ids=None):
        self.ids = ids or IDS
        self.name = name
        self.token = token  # sent with the harness's own calls (leader, execution)
        self.binary = binary
        self.t0 = time.time()
        self.tmp = tempfile.mkdtemp(prefix=f"vigil-{name}-test.")
        self.procs = {}
        self.keep = False
        self.http_ports = {n: free_port() for n in self.ids}
        self.gossip_ports = {n: free_port(socket.SOCK_DGRAM) for n in self.ids}
        self.config_path = os.path.join(self.tmp, "cluster.json")
        self.configure(config or {})
        if not os.access(binary, os.X_OK):
            self.fail(f"no vigil binary at {binary} (build it, or set VIGIL_BIN)")

    def configure(self, config):
        """(Re)writes the cluster file: the generated nodes and store, then `config` on top."""
        base = {
            "cluster": self.name,
            "nodes": [{"id": n, "http": f"127.0.0.1:{self.http_ports[n]}", "gossip": f"127.0.0.1:{self.gossip_ports[n]}"} for n in self.ids],
            "store": {"path": os.path.join(self.tmp, "store")},
            "gossip": {"interval_s": 0.1},
            "timezone": "UTC",
        }
        base.update(config)
        with open(self.config_path, "w") as f:
            json.dump(base, f)

    def path(self, name):
        return os.path.join(self.tmp, name)

    def fail(self, message):
        self.keep = True
        raise Failure(f"{self.name}: FAIL: {message}")

    def start(self, node, env=None):
        log = open(self.path(f"{node}.log"), "a")
        self.procs[node] = subprocess.Popen(
            [self.binary, "serve", "--config", self.config_path, "--node", node], stdout=subprocess.PIPE, stderr=log, text=True,
            env={**os.environ, **(env or {})},
        )
        line = self.procs[node].stdout.readline()
        if "listening" not in line:
            self.fail(f"{node} did not start: {line!r}")

    def start_all(self):
        for node in self.ids:
            self.start(node)
        return self.wait_for("the three nodes did not agree on a leader", 30, self.leader)

    def up(self, node):
        return self.procs.get(node) is not None and self.procs[node].poll() is None

    def kill(self, node):
        self.procs[node].send_signal(signal.SIGKILL)
        self.procs[node].wait(5)

    def leader(self):
        views = [http("GET", self.http_ports[n], "/api/v1/cluster/members", token=self.token)[1] for n in self.ids if self.up(n)]
        leaders = {v.get("leader") for v in views if v and v.get("quorum")}
        return leaders.pop() if len(leaders) == 1 and views and all(views) and None not in leaders else None

    def url(self, node):
        return f"http://127.0.0.1:{self.http_ports[node]}"

    def execution(self, execution_id, node):
        status, body = http("GET", self.http_ports[node], f"/api/v1/executions/{execution_id}", token=self.token)
        return body if status == 200 else None

    def stop(self, wait=10):
        """SIGTERM to every process still running, then SIGKILL to those not gone within `wait` s."""
        for p in self.procs.values():
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in self.procs.values():
            try:
                p.wait(wait)
            except subprocess.TimeoutExpired:
                p.kill()

    def close(self, extra_logs=()):
        self.stop()
        if self.keep:
            for name in list(self.ids) + list(extra_logs):
                path = self.path(f"{name}.log")
                if os.path.exists(path):
                    with open(path) as f:
                        print(f"---- {name} log (last 40 lines) ----\n" + "".join(f.readlines()[-40:]))
            print(f"{self.name}: kept {self.tmp}")
        else:
            shutil.rmtree(self.tmp, ignore_errors=True)

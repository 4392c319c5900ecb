"""A multi-host test bed on one machine (issue 16): N network namespaces of our own, one per
node, each with its own address on a private bridge, and a hub namespace holding the bridge
where the harness itself lives. Nothing outside these namespaces is touched: no host interface,
route, firewall rule or mount.

    10.214.0.1 (n1) ─┐
    10.214.0.2 (n2) ─┼─ br0 in the hub (10.214.0.254: the harness, load balancers, clients)
    10.214.0.3 (n3) ─┘

Links are cut and healed in the hub (`ip link set pI down|up`), one-way or pairwise blocks are
blackhole routes inside a node's namespace, and nodes are killed, paused and restarted by PID.
Everything is removed on exit, including after a failure or a signal (atexit), and `clean_stale`
removes what a killed earlier run left.

Used by `scripts/hosts` (a CLI) and the chaos and load-balancer tests. Needs root and `ip`.
"""
import atexit
import ctypes
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

from livecluster import Harness

CLONE_NEWNET = 0x40000000
PREFIX = "vigil-hb"


class BedError(SystemExit):
    pass


def available():
    """Why the bed cannot run here, or None."""
    if os.geteuid() != 0:
        return "needs root (network namespaces)"
    if shutil.which("ip") is None:
        return "needs ip (iproute2)"
    probe = f"{PREFIX}-probe-{os.getpid()}"
    result = subprocess.run(["ip", "netns", "add", probe], capture_output=True, text=True)
    if result.returncode != 0:
        return f"cannot create network namespaces: {result.stderr.strip()}"
    subprocess.run(["ip", "netns", "delete", probe], capture_output=True)
    return None


def clean_stale():
    """Deletes namespaces an earlier bed left behind (its process is gone)."""
    listing = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    for line in listing.splitlines():
        name = line.split()[0] if line.split() else ""
        match = re.match(rf"{PREFIX}-(\d+)-", name)
        if match and not os.path.exists(f"/proc/{match.group(1)}"):
            subprocess.run(["ip", "netns", "delete", name], capture_output=True)


def ip(*args, check=True):
    result = subprocess.run(["ip", *args], capture_output=True, text=True, timeout=10)
    if check and result.returncode != 0:
        raise BedError(f"hostbed: ip {' '.join(args)}: {result.stderr.strip()}")
    return result


class HostBed(Harness):
    """`n` nodes in namespaces; `config` is merged into the generated cluster file."""

    def __init__(self, binary, n=3, name="bed", config=None, subnet="10.214.0", log_level="info"):
        clean_stale()
        self.binary = os.path.abspath(binary)
        self.n = n
        self.name = name
        self.subnet = subnet
        self.log_level = log_level
        self.prefix = f"{PREFIX}-{os.getpid()}"
        self.hub = f"{self.prefix}-hub"
        self.ns = {i: f"{self.prefix}-{i}" for i in range(1, n + 1)}
        self.created = []
        self.procs = {}
        self.blocks = set()
        self.keep = bool(os.environ.get("HOSTBED_KEEP"))
        self.t0 = time.time()
        self.tmp = tempfile.mkdtemp(prefix=f"vigil-{name}.")
        self.config_path = os.path.join(self.tmp, "cluster.json")
        self._original_ns = os.open("/proc/self/ns/net", os.O_RDONLY)
        atexit.register(self.close)
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: (_ for _ in ()).throw(BedError(f"{name}: interrupted")))
        self._network()
        self.configure(config or {})

    # ------------------------------------------------------------------ network

    def _add_ns(self, name):
        ip("netns", "add", name)
        self.created.append(name)
        ip("-n", name, "link", "set", "lo", "up")

    def _network(self):
        self._add_ns(self.hub)
        ip("-n", self.hub, "link", "add", "br0", "type", "bridge")
        ip("-n", self.hub, "addr", "add", f"{self.subnet}.254/24", "dev", "br0")
        ip("-n", self.hub, "link", "set", "br0", "up")
        for i, ns in self.ns.items():
            self._add_ns(ns)
            ip("-n", self.hub, "link", "add", f"p{i}", "type", "veth", "peer", "name", "eth0", "netns", ns)
            ip("-n", self.hub, "link", "set", f"p{i}", "master", "br0")
            ip("-n", self.hub, "link", "set", f"p{i}", "up")
            ip("-n", ns, "addr", "add", f"{self.address(i)}/24", "dev", "eth0")
            ip("-n", ns, "link", "set", "eth0", "up")
        # The harness joins the hub: its sockets (HTTP checks, clients) live inside the bed.
        fd = os.open(f"/var/run/netns/{self.hub}", os.O_RDONLY)
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        if libc.setns(fd, CLONE_NEWNET) != 0:
            raise BedError(f"hostbed: setns into {self.hub}: errno {ctypes.get_errno()}")
        os.close(fd)

    def address(self, i):
        return f"{self.subnet}.{i}"

    def cut(self, i):
        """Node i's link goes down (its cable pulled): it reaches nobody, nobody reaches it."""
        ip("-n", self.hub, "link", "set", f"p{i}", "down")

    def heal(self, i):
        ip("-n", self.hub, "link", "set", f"p{i}", "up")

    def block(self, src, dst):
        """Node src can no longer send to node dst (one way; dst still reaches src)."""
        ip("-n", self.ns[src], "route", "add", "blackhole", f"{self.address(dst)}/32")
        self.blocks.add((src, dst))

    def unblock(self, src, dst):
        ip("-n", self.ns[src], "route", "del", "blackhole", f"{self.address(dst)}/32", check=False)
        self.blocks.discard((src, dst))

    def separate(self, a, b):
        """No traffic either way between nodes a and b."""
        self.block(a, b)
        self.block(b, a)

    def unblock_all(self):
        for src, dst in list(self.blocks):
            self.unblock(src, dst)

    # ------------------------------------------------------------------ nodes

    def configure(self, extra):
        config = {
            "cluster": f"vigil-{self.name}-{os.getpid()}",
            "nodes": [{"id": f"n{i}", "http": f"{self.address(i)}:8000", "gossip": f"{self.address(i)}:7946"} for i in self.ns],
            "store": {"path": os.path.join(self.tmp, "store")},
            "gossip": {"interval_s": 0.1, "keys": ["dmlnaWwtaG9zdGJlZC10ZXN0LWtleS0zMi1ieXRlcyE="]},
            "timezone": "UTC",
        }
        for key, value in extra.items():
            if isinstance(value, dict) and isinstance(config.get(key), dict):
                config[key] = {**config[key], **value}
            else:
                config[key] = value
        with open(self.config_path, "w") as f:
            json.dump(config, f)

    def path(self, name):
        return os.path.join(self.tmp, name)

    def start(self, i, env=None, user=None):
        """Starts node i in its namespace (as `user` = (uid, gid) when given); waits for its line."""
        log = open(self.path(f"n{i}.log"), "a")
        command = ["ip", "netns", "exec", self.ns[i]]
        if user:
            command += ["setpriv", f"--reuid={user[0]}", f"--regid={user[1]}", "--clear-groups"]
        command += [self.binary, "serve", "--config", self.config_path, "--node", f"n{i}", "--log-level", self.log_level]
        self.procs[i] = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=log, text=True, env={**os.environ, **(env or {})})
        line = self.procs[i].stdout.readline()
        if "listening" not in line:
            self.fail(f"n{i} did not start: {line!r}")

    def start_all(self, seconds=30):
        for i in self.ns:
            self.start(i)
        return self.wait_for("the nodes did not agree on a leader", seconds, self.agreed_leader)

    def up(self, i):
        return i in self.procs and self.procs[i].poll() is None

    def signal(self, i, sig):
        self.procs[i].send_signal(sig)

    def kill(self, i):
        self.procs[i].send_signal(signal.SIGKILL)
        self.procs[i].wait(10)

    # ------------------------------------------------------------------ HTTP (from the hub)

    def http(self, i, method, path, body=None, timeout=2):
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(f"http://{self.address(i)}:8000{path}", data=data, method=method, headers={"content-type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return response.status, json.loads(response.read() or b"null")
        except urllib.error.HTTPError as error:
            try:
                return error.code, json.loads(error.read() or b"null")
            except ValueError:
                return error.code, None
        except (OSError, ValueError):
            return None, None

    def members(self, i):
        """{id: state} as node i sees the cluster, itself included; None when it does not answer."""
        status, body = self.http(i, "GET", "/api/v1/cluster/members")
        if status != 200:
            return None
        return {m["id"]: m["state"] for m in body["members"]}, body.get("leader"), body.get("quorum")

    def agreed_leader(self, nodes=None):
        """The leader every given (running) node names, when they agree and all see each other alive."""
        nodes = [i for i in (nodes or self.ns) if self.up(i)]
        views = [self.members(i) for i in nodes]
        if not views or any(v is None for v in views):
            return None
        ids = {f"n{i}" for i in nodes}
        leaders = {v[1] for v in views}
        if len(leaders) != 1 or None in leaders or not all(v[2] for v in views):
            return None
        if not all(all(v[0].get(x) == "alive" for x in ids) for v in views):
            return None
        return int(leaders.pop()[1:])

    # ------------------------------------------------------------------ bookkeeping

    def fail(self, message):
        self.keep = True
        raise BedError(f"{self.name}: FAIL: {message}")

    def close(self):
        for p in self.procs.values():
            if p.poll() is None:
                try:
                    p.send_signal(signal.SIGCONT)
                    p.send_signal(signal.SIGTERM)
                except ProcessLookupError:
                    pass
        for p in self.procs.values():
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(5)
        self.procs = {}
        if self._original_ns is not None:
            libc = ctypes.CDLL("libc.so.6", use_errno=True)
            libc.setns(self._original_ns, CLONE_NEWNET)
            os.close(self._original_ns)
            self._original_ns = None
        for name in reversed(self.created):
            subprocess.run(["ip", "netns", "delete", name], capture_output=True)
        self.created = []
        if self.keep:
            for i in self.ns:
                log = self.path(f"n{i}.log")
                if os.path.exists(log):
                    with open(log) as f:
                        print(f"---- n{i} log (last 30 lines) ----\n" + "".join(f.readlines()[-30:]))
            print(f"{self.name}: kept {self.tmp}")
        elif os.path.isdir(self.tmp):
            shutil.rmtree(self.tmp, ignore_errors=True)

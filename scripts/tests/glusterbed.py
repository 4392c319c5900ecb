"""Real shared storage for the multi-host bed (issue 23): a GlusterFS volume served from storage
namespaces of the bed, each Vigil node mounting it through its own FUSE client whose traffic
leaves through the node's own storage link, so that link can be cut, slowed or healed alone.

    n1 eth0 ─ br0 (10.214.0.x: gossip, HTTP, the harness)
    n1 eth1 ─┐
    n2 eth1 ─┼─ br1 in the hub (10.214.100.x: storage) ─┬─ s1 eth0 (10.214.100.101, glusterd + brick)
    n3 eth1 ─┘                                          ├─ s2 …102
                                                        └─ s3 …103

- Each storage host runs its own `glusterd` (no daemon, so the bed owns its PID) inside
  `ip netns exec`'s private mount namespace, with bind mounts of its own `/var/lib/glusterd` and
  `/var/log/glusterfs` and a private tmpfs on `/run` (its CLI socket is `/run/glusterd.socket`).
  The CLI reaches it with `nsenter` into that process's network and mount namespaces.
- Bricks live in the bed's temporary directory (the root filesystem: `force`).
- A node's FUSE client runs under `nsenter --net` into the node's namespace: its mount is in the
  harness's (the host's) mount namespace, so it must exist before the node starts, and its
  traffic goes over the node's `eth1`. Unmounted lazily and its PID ended on close.
- `recommended=True` sets what Vigil needs for cross-client coherence (README, "Filesystems"):
  no kernel attribute/entry caches on the client, and the volume's client-side caches off.
  `recommended=False` keeps GlusterFS's defaults, to show what a user who skips them sees.

Nothing outside the bed's namespaces and temporary directory is touched. Needs root, /dev/fuse,
glusterfs-server and glusterfs-client (10.x).
"""
import os
import shutil
import subprocess
import time

import delayproxy
import hostbed

# Client-side translators that cache data or metadata per client: with them a peer's append or
# a renamed snapshot shows late (or ESTALE) on another client.
VOLUME_CACHES_OFF = [
    "performance.stat-prefetch", "performance.quick-read", "performance.io-cache",
    "performance.read-ahead", "performance.open-behind", "performance.write-behind",
    "performance.readdir-ahead",
]
CLIENT_NO_CACHE = ["--attribute-timeout=0", "--entry-timeout=0", "--negative-timeout=0"]


def available():
    """Why a GlusterFS bed cannot run here, or None."""
    reason = hostbed.available()
    if reason:
        return reason
    if not os.path.exists("/dev/fuse"):
        return "needs /dev/fuse"
    for tool in ("glusterd", "gluster", "glusterfs", "nsenter", "nft"):
        if shutil.which(tool) is None:
            return f"needs {tool} (glusterfs-server, glusterfs-client, util-linux, nftables)"
    return None


def run(command, timeout=60, check=True):
    result = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    if check and result.returncode != 0:
        raise hostbed.BedError(f"glusterbed: {' '.join(command)}: {(result.stderr or result.stdout).strip()}")
    return result


class GlusterStorage:
    """A GlusterFS volume on `bricks` storage hosts (1, or 3 as a replica-3 volume) of `bed`,
    mounted once per node. `ping_timeout_s`: the volume's `network.ping-timeout` (GlusterFS's
    default is 42 s; a client cut from every brick blocks that long, then fails ENOTCONN)."""

    def __init__(self, bed, bricks=1, recommended=True, ping_timeout_s=5, delayable=False):
        self.bed = bed
        self.bricks = bricks
        self.recommended = recommended
        self.ping_timeout_s = ping_timeout_s
        self.subnet = bed.subnet.rsplit(".", 1)[0] + "." + str(int(bed.subnet.rsplit(".", 1)[1]) + 100)
        self.hosts = {j: f"{bed.prefix}-s{j}" for j in range(1, bricks + 1)}
        self.root = bed.path("gluster")
        self.glusterd = {}
        self.clients = {}
        self.mounts = {}
        self.proxies = {}
        os.makedirs(self.root, exist_ok=True)
        try:
            self._network()
            for j in self.hosts:
                self._start_glusterd(j)
            self._create_volume()
            if delayable:
                # Before mounting: only connections opened after the redirect go through the proxy.
                for i, ns in bed.ns.items():
                    self.proxies[i] = delayproxy.DelayProxy(ns, f"{self.subnet}.0/24", seed=i)
            for i in bed.ns:
                self.mount(i)
        except BaseException:
            # A half-made volume leaves daemons (bricks, self-heal) running in the storage
            # namespaces: end them before the failure goes up.
            self.close()
            raise

    # ------------------------------------------------------------------ network

    def host_address(self, j):
        return f"{self.subnet}.{100 + j}"

    def node_address(self, i):
        return f"{self.subnet}.{i}"

    def _network(self):
        bed, ip = self.bed, hostbed.ip
        ip("-n", bed.hub, "link", "add", "br1", "type", "bridge")
        ip("-n", bed.hub, "addr", "add", f"{self.subnet}.254/24", "dev", "br1")
        ip("-n", bed.hub, "link", "set", "br1", "up")
        for i, ns in bed.ns.items():
            self._link(f"q{i}", ns, "eth1", self.node_address(i))
        for j, ns in self.hosts.items():
            bed._add_ns(ns)
            self._link(f"s{j}", ns, "eth0", self.host_address(j))

    def _link(self, port, ns, name, address):
        bed, ip = self.bed, hostbed.ip
        ip("-n", bed.hub, "link", "add", port, "type", "veth", "peer", "name", name, "netns", ns)
        ip("-n", bed.hub, "link", "set", port, "master", "br1")
        ip("-n", bed.hub, "link", "set", port, "up")
        ip("-n", ns, "addr", "add", f"{address}/24", "dev", name)
        ip("-n", ns, "link", "set", name, "up")

    def cut_node(self, i):
        """Node i's storage link goes down: its FUSE client reaches no brick (gossip unaffected)."""
        hostbed.ip("-n", self.bed.hub, "link", "set", f"q{i}", "down")

    def heal_node(self, i):
        hostbed.ip("-n", self.bed.hub, "link", "set", f"q{i}", "up")

    def cut_host(self, j):
        """Storage host j (its brick and glusterd) unreachable from everyone."""
        hostbed.ip("-n", self.bed.hub, "link", "set", f"s{j}", "down")

    def heal_host(self, j):
        hostbed.ip("-n", self.bed.hub, "link", "set", f"s{j}", "up")

    def delay(self, delay_ms, jitter_ms):
        """Every reply from storage to a node held `delay_ms` ± `jitter_ms`: each round trip to a
        brick takes that much longer (a userspace proxy: this kernel has no netem; needs
        `delayable=True`)."""
        if not self.proxies:
            raise hostbed.BedError("glusterbed: delay() needs GlusterStorage(delayable=True)")
        for proxy in self.proxies.values():
            proxy.set_delay(delay_ms, jitter_ms)

    def undelay(self):
        for proxy in self.proxies.values():
            proxy.set_delay(0)

    # ------------------------------------------------------------------ servers

    def _start_glusterd(self, j):
        base = os.path.join(self.root, f"s{j}")
        for d in ("lib", "log", "brick"):
            os.makedirs(os.path.join(base, d), exist_ok=True)
        script = (f"mount --bind {base}/lib /var/lib/glusterd && mount --bind {base}/log /var/log/glusterfs"
                  f" && mount -t tmpfs tmpfs /run && mkdir -p /run/gluster"
                  f" && exec glusterd -N --log-file={base}/log/glusterd.log --log-level=WARNING")
        log = open(os.path.join(base, "glusterd.out"), "a")
        process = subprocess.Popen(["ip", "netns", "exec", self.hosts[j], "sh", "-c", script], stdout=log, stderr=log)
        self.glusterd[j] = process

        def ready():
            if process.poll() is not None:
                raise hostbed.BedError(f"glusterbed: glusterd on s{j} exited {process.returncode} (see {base}/glusterd.out)")
            try:
                with open(f"/proc/{process.pid}/comm") as f:
                    if f.read().strip() != "glusterd":
                        return False
            except OSError:
                return False
            return self.cli(j, "peer", "status", check=False).returncode == 0

        self.bed.wait_for(f"glusterd on s{j} did not answer", 30, ready, every=0.1)

    def cli(self, j, *args, check=True, timeout=60):
        """The gluster CLI against storage host j's glusterd (inside its namespaces)."""
        pid = self.glusterd[j].pid
        return run(["nsenter", "-t", str(pid), "-n", "-m", "gluster", "--mode=script", *args], timeout=timeout, check=check)

    def _create_volume(self):
        for j in self.hosts:
            if j != 1:
                self.cli(1, "peer", "probe", self.host_address(j))
        if len(self.hosts) > 1:
            def connected():
                out = self.cli(1, "peer", "status").stdout
                return out.count("(Connected)") == len(self.hosts) - 1
            self.bed.wait_for("the storage hosts did not become peers", 30, connected, every=0.2)
        bricks = [f"{self.host_address(j)}:{os.path.join(self.root, f's{j}', 'brick', 'vigil')}" for j in self.hosts]
        layout = ["replica", str(len(bricks))] if len(bricks) > 1 else []
        self.cli(1, "volume", "create", "vigil", *layout, *bricks, "force")
        options = [("network.ping-timeout", str(self.ping_timeout_s))]
        if self.recommended:
            options += [(name, "off") for name in VOLUME_CACHES_OFF]
        for name, value in options:
            self.cli(1, "volume", "set", "vigil", name, value)
        self.cli(1, "volume", "start", "vigil")

    def brick_pid(self, j):
        """The PID of storage host j's brick process (glusterfsd), from the volume's status."""
        status = self.cli(1, "volume", "status", "vigil", "--xml").stdout
        address = self.host_address(j)
        for node in status.split("<node>")[1:]:
            if f"<hostname>{address}</hostname>" in node and "<pid>" in node:
                pid = int(node.split("<pid>")[1].split("</pid>")[0])
                if pid > 0:
                    return pid
        return None

    def kill_brick(self, j):
        """Storage host j's brick process SIGKILLed (a brick's disk or process lost); returns its PID."""
        pid = self.brick_pid(j)
        if pid is None:
            raise hostbed.BedError(f"glusterbed: no brick process on s{j}")
        os.kill(pid, 9)
        return pid

    def restart_bricks(self):
        """Restarts every brick that is down (`volume start … force`); self-heal then copies what
        the others took meanwhile."""
        self.cli(1, "volume", "start", "vigil", "force")

    def wait_healed(self, seconds):
        """Seconds until `volume heal info` lists no entry to heal on any brick."""
        started = time.time()

        def healed():
            info = self.cli(1, "volume", "heal", "vigil", "info", check=False).stdout
            counts = [line.split(":")[1].strip() for line in info.splitlines() if line.startswith("Number of entries:")]
            return bool(counts) and all(c == "0" for c in counts)

        self.bed.wait_for("self-heal did not finish", seconds, healed, every=0.5)
        return round(time.time() - started, 1)

    # ------------------------------------------------------------------ clients

    def path(self, i):
        """Where node i reaches the volume (its VIGIL_STORE_PATH is a directory inside)."""
        return os.path.join(self.root, "mnt", f"n{i}")

    def mount(self, i):
        mountpoint = self.path(i)
        os.makedirs(mountpoint, exist_ok=True)
        servers = [f"--volfile-server={self.host_address(j)}" for j in self.hosts]
        options = CLIENT_NO_CACHE if self.recommended else []
        log = os.path.join(self.root, f"client-n{i}.log")
        command = ["nsenter", f"--net=/run/netns/{self.bed.ns[i]}", "glusterfs", "-N", *servers, "--volfile-id=vigil",
                   *options, f"--log-file={log}", "--log-level=WARNING", mountpoint]
        self.clients[i] = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

        def mounted():
            if self.clients[i].poll() is not None:
                raise hostbed.BedError(f"glusterbed: the FUSE client of n{i} exited {self.clients[i].returncode} (see {log})")
            return os.path.ismount(mountpoint)

        self.bed.wait_for(f"n{i}'s GlusterFS mount did not appear", 30, mounted, every=0.1)
        self.mounts[i] = mountpoint

    def close(self):
        for i, mountpoint in list(self.mounts.items()):
            subprocess.run(["umount", "-l", mountpoint], capture_output=True)
        for process in [*self.clients.values(), *self.glusterd.values()]:
            if process.poll() is None:
                process.terminate()
        for process in [*self.clients.values(), *self.glusterd.values()]:
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)
        # Brick processes (glusterfsd) and the self-heal daemon are glusterd's children but
        # daemonised: end whatever still runs inside the storage namespaces, by PID.
        for ns in self.hosts.values():
            if not os.path.exists(f"/run/netns/{ns}"):
                continue
            pids = subprocess.run(["ip", "netns", "pids", ns], capture_output=True, text=True).stdout.split()
            for pid in pids:
                try:
                    os.kill(int(pid), 9)
                except (ProcessLookupError, ValueError):
                    pass
        for proxy in self.proxies.values():
            proxy.close()
        self.mounts, self.clients, self.glusterd, self.proxies = {}, {}, {}, {}

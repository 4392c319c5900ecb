"""A delay on a node's storage traffic without `tc netem` (this machine's kernel has no sch_netem):
a transparent TCP proxy inside the node's network namespace. nftables there redirects every new
TCP connection to the storage subnet to the proxy; the proxy reads the original destination
(SO_ORIGINAL_DST), connects to it with a socket mark the redirect skips, and copies bytes both
ways, holding the replies (storage → node) for `delay_ms` ± `jitter_ms` (normal, cut at 0;
never reordered within a connection). The delay can change at run time; 0 copies at once.

Only connections opened after `install` go through it: set it up before mounting. Bounded: each
pump ends when either side closes, and `close` ends them all.
"""
import ctypes
import heapq
import random
import socket
import struct
import subprocess
import threading
import time

import hostbed

CLONE_NEWNET = 0x40000000
SO_ORIGINAL_DST = 80
MARK = 0x2317


class DelayProxy:
    """A proxy for the TCP connections node namespace `ns` opens to `subnet` (CIDR)."""

    def __init__(self, ns, subnet, port=24999, seed=1):
        self.ns, self.subnet, self.port = ns, subnet, port
        self.delay_ms, self.jitter_ms = 0.0, 0.0
        self.rng = random.Random(seed)
        self.closed = threading.Event()
        self.sockets = []
        self.lock = threading.Lock()
        ready = threading.Event()
        self.listener_thread = threading.Thread(target=self._listen, args=(ready,), daemon=True)
        self.listener_thread.start()
        if not ready.wait(5):
            raise hostbed.BedError(f"delayproxy: no listener in {ns}")
        rules = (f"table ip vigil_delay {{\n chain out {{\n  type nat hook output priority -100;\n"
                 f"  meta mark != {MARK} ip daddr {subnet} meta l4proto tcp redirect to :{port}\n }}\n}}\n")
        result = subprocess.run(["ip", "netns", "exec", ns, "nft", "-f", "-"], input=rules, text=True, capture_output=True)
        if result.returncode != 0:
            self.close()
            raise hostbed.BedError(f"delayproxy: nft in {ns}: {result.stderr.strip()}")

    def set_delay(self, delay_ms, jitter_ms=0.0):
        self.delay_ms, self.jitter_ms = float(delay_ms), float(jitter_ms)

    def _hold_s(self):
        if self.delay_ms <= 0:
            return 0.0
        return max(0.0, self.rng.gauss(self.delay_ms, self.jitter_ms)) / 1000

    def _enter(self):
        fd = open(f"/run/netns/{self.ns}")
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        if libc.setns(fd.fileno(), CLONE_NEWNET) != 0:  # this thread only
            raise OSError(ctypes.get_errno(), f"setns {self.ns}")
        fd.close()

    def _track(self, s):
        with self.lock:
            self.sockets.append(s)
        return s

    def _listen(self, ready):
        self._enter()
        listener = self._track(socket.socket(socket.AF_INET, socket.SOCK_STREAM))
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        ready.set()
        while not self.closed.is_set():
            try:
                client, _ = listener.accept()
            except OSError:
                return
            raw = client.getsockopt(socket.SOL_IP, SO_ORIGINAL_DST, 16)
            port, address = struct.unpack("!H", raw[2:4])[0], socket.inet_ntoa(raw[4:8])
            threading.Thread(target=self._connect, args=(self._track(client), address, port), daemon=True).start()

    def _connect(self, client, address, port):
        self._enter()
        # GlusterFS clients bind a privileged source port and servers insist on it: take the
        # first free one (no SO_REUSEADDR: a port another connection holds is skipped).
        upstream = None
        for source in range(1023, 600, -1):
            candidate = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            candidate.setsockopt(socket.SOL_SOCKET, socket.SO_MARK, MARK)
            try:
                candidate.bind(("0.0.0.0", source))
                candidate.connect((address, port))
            except OSError:
                candidate.close()
                continue
            upstream = self._track(candidate)
            break
        if upstream is None:
            client.close()
            return
        for s in (client, upstream):
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        threading.Thread(target=self._pump, args=(client, upstream, False), daemon=True).start()
        threading.Thread(target=self._pump, args=(upstream, client, True), daemon=True).start()

    def _pump(self, source, sink, delayed):
        """Copies source → sink; replies wait their hold, in order, on a writer thread."""
        queue, cond = [], threading.Condition()
        state = {"last": 0.0, "eof": False, "n": 0}

        def writer():
            while True:
                with cond:
                    while not queue and not state["eof"]:
                        cond.wait(0.5)
                    if not queue and state["eof"]:
                        break
                    at, _, data = queue[0]
                    wait = at - time.monotonic()
                    if wait > 0:
                        cond.wait(wait)
                        continue
                    heapq.heappop(queue)
                try:
                    sink.sendall(data)
                except OSError:
                    break
            try:
                sink.shutdown(socket.SHUT_WR)
            except OSError:
                pass

        thread = threading.Thread(target=writer, daemon=True)
        thread.start()
        while not self.closed.is_set():
            try:
                data = source.recv(65536)
            except OSError:
                data = b""
            with cond:
                if not data:
                    state["eof"] = True
                    cond.notify()
                    break
                at = time.monotonic() + (self._hold_s() if delayed else 0.0)
                at = max(at, state["last"])  # never reorder a stream
                state["last"] = at
                state["n"] += 1
                heapq.heappush(queue, (at, state["n"], data))
                cond.notify()
        thread.join(10)

    def close(self):
        self.closed.set()
        subprocess.run(["ip", "netns", "exec", self.ns, "nft", "delete", "table", "ip", "vigil_delay"], capture_output=True)
        with self.lock:
            for s in self.sockets:
                try:
                    s.close()
                except OSError:
                    pass

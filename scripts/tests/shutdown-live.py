#!/usr/bin/env python3
"""Graceful shutdown of a leader with deliveries in flight (issue 21), with real processes:
three `vigil serve` nodes on loopback and a webhook receiver that takes 5 s to answer.

20 executions complete at once, so the leader has 20 `execution.completed` deliveries in flight
when it gets SIGTERM. Its driver starts nothing new, lets the deliveries in flight finish (up to
10 s), writes their acknowledgements and only then shuts its HTTP clients down. Checked:

- the leader exits with status 0 within 12 s of the SIGTERM;
- its log has no error line after the SIGTERM (nothing about a client shut down under a request);
- every one of the 20 events reaches the receiver (acknowledged by the old leader, or retried by
  the next under the same key): none lost; the survivors end with nothing pending.

    VIGIL_BIN=.build/debug/vigil scripts/tests/shutdown-live.py

Exits non-zero with a message on the first failure; every wait is bounded.
"""
import base64
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
import os
import signal
import sys
import threading
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from livecluster import Cluster, Failure, free_port, http  # noqa: E402

BIN = os.environ.get("VIGIL_BIN", ".build/debug/vigil")
ANSWER_AFTER_S = 5.0
c = Cluster("shutdown-live", BIN)
fail, step, wait_for = c.fail, c.step, c.wait_for

arrived = {}   # key -> first arrival time
answered = {}  # key -> times answered 200
lock = threading.Lock()


class SlowReceiver(BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get("content-length", "0")))
        key = self.headers.get("webhook-id", "")
        with lock:
            arrived.setdefault(key, time.time())
        time.sleep(ANSWER_AFTER_S)
        try:
            self.send_response(200)
            self.send_header("content-length", "0")
            self.end_headers()
        except OSError:
            return  # the sender gave up (cancelled): not an answer
        with lock:
            answered[key] = answered.get(key, 0) + 1

    def log_message(self, *args):
        pass


server = ThreadingHTTPServer(("127.0.0.1", free_port()), SlowReceiver)
server.daemon_threads = True
threading.Thread(target=server.serve_forever, daemon=True).start()

try:
    secret = "whsec_" + base64.b64encode(os.urandom(32)).decode()
    c.configure({
        "notifications": {
            "first_retry_s": 0.2, "max_retry_s": 1, "max_in_flight": 32,
            "channels": [{"name": "hook", "type": "webhook", "url": f"http://127.0.0.1:{server.server_port}/hook", "secret": secret,
                          "events": ["execution.completed"], "timeout_s": 10}],
        },
    })
    leader = c.start_all()
    step(f"cluster up, leader {leader}")
    executions = [str(uuid.uuid4()) for _ in range(20)]
    for e in executions:
        body = {"execution_id": e, "container_id": f"c-{e[:8]}", "status": "running", "timestamp": int(time.time())}
        if http("POST", c.http_ports[leader], "/api/v1/monitoring/heartbeat", body)[0] != 200:
            fail(f"the first heartbeat of {e} was refused")
    for e in executions:
        if http("POST", c.http_ports[leader], "/api/v1/monitoring/completion", {"execution_id": e, "container_id": f"c-{e[:8]}", "success": True})[0] != 200:
            fail(f"the completion of {e} was refused")
    expected = {f"execution.completed:{e}" for e in executions}
    wait_for("the 20 deliveries did not all reach the receiver", 20, lambda: expected <= set(arrived))
    step("20 deliveries in flight (the receiver answers after 5 s); SIGTERM to the leader")

    log_path = c.path(f"{leader}.log")
    log_offset = os.path.getsize(log_path)
    sent = time.time()
    c.procs[leader].send_signal(signal.SIGTERM)
    try:
        code = c.procs[leader].wait(15)
    except Exception:
        fail("the leader did not exit within 15 s of SIGTERM")
    took = time.time() - sent
    step(f"the leader exited with status {code} after {took:.1f} s")
    if code != 0:
        fail(f"the leader exited with status {code}")
    if took > 12:
        fail(f"the leader took {took:.1f} s to exit (target 12 s)")
    with open(log_path) as f:
        f.seek(log_offset)
        errors = [line.strip() for line in f if " error " in line or "shut down" in line.lower() or "alreadyShutdown" in line]
    if errors:
        fail(f"the leader logged errors while shutting down: {errors[:3]}")

    survivors = [n for n in c.ids if n != leader]
    wait_for("not every delivery was answered", 30, lambda: expected <= set(answered))

    def nothing_pending():
        views = [http("GET", c.http_ports[n], "/api/v1/notifications")[1] for n in survivors]
        return all(v is not None and not v.get("pending") for v in views)

    wait_for("the survivors still have deliveries pending", 30, nothing_pending)
    resent = sum(1 for k in expected if answered.get(k, 0) > 1)
    step(f"all 20 events delivered ({resent} delivered again by the next leader under the same key); nothing pending")
    print("shutdown-live: PASS")
except Failure as failure:
    print(failure, file=sys.stderr)
    c.keep = True
    sys.exit(1)
finally:
    c.close()
    server.shutdown()

#!/usr/bin/env python3
"""`vigil run -- CMD` end to end against a real 3-node cluster (short timings):

- `sh -c 'echo hi; exit 7'`: the execution is FAILED with exit code 7 and "hi" in the tail;
  the wrapper exits 7;
- a child that runs several intervals is seen RUNNING with its progress on another node;
- the node the wrapper talks to is SIGKILLed mid-run: heartbeats go on through the next node,
  the execution is never marked, and it completes;
- `kill -TERM` of the wrapper: the child gets SIGTERM, the completion names it, exit 143;
- no node reachable at exit: the completion is spooled, and `vigil run --flush` sends it once.

    VIGIL_BIN=.build/debug/vigil scripts/tests/run-live.py
"""
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from livecluster import Cluster, Failure, free_port  # noqa: E402

BIN = os.path.abspath(os.environ.get("VIGIL_BIN", ".build/debug/vigil"))
c = Cluster("run-live", BIN, {"executions": {"heartbeat_timeout_s": 2, "check_interval_s": 0.5, "max_strikes": 3}, "probes": {"enabled": False}})
try:
    spool = c.path("spool")
    env = dict(os.environ, VIGIL_SPOOL_DIR=spool, HOSTNAME="job-host-1")
    env.pop("TASK_EXECUTION_ID", None)
    env.pop("API_BASE_URL", None)
    leader = c.start_all()
    c.step(f"cluster up, leader {leader}")
    ids = ["n1", "n2", "n3"]

    def wrapper(execution_id, command, api, interval=0.3, extra=(), **kw):
        return subprocess.Popen([BIN, "run", "--execution-id", execution_id, "--api", api, "--interval", str(interval), *extra, "--", *command],
                                env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)

    # 1. Exit 7 with output.
    e1 = str(uuid.uuid4())
    p = wrapper(e1, ["sh", "-c", "echo hi; exit 7"], c.url("n2"))
    out, err = p.communicate(timeout=30)
    if p.returncode != 7 or "hi" not in out:
        c.fail(f"the wrapper exited {p.returncode} with stdout {out!r} (expected 7 and the child's 'hi' passed through); stderr {err!r}")
    v = c.wait_for("the completion did not reach n3", 5, lambda: (x := c.execution(e1, "n3")) and x["status"] != "running" and x)
    r = v.get("result_data") or {}
    if v["status"] != "failed" or r.get("exit_code") != 7 or "hi" not in r.get("output_tail", "") or "7" not in (v.get("error_message") or ""):
        c.fail(f"the execution on n3: {v}")
    if v["container_id"] != "job-host-1":
        c.fail(f"container id {v['container_id']}, expected HOSTNAME job-host-1")
    c.step("exit 7: FAILED with exit_code 7 and the output tail; wrapper exited 7")

    # 2 and 3. A long child: RUNNING with progress on another node; its node killed mid-run.
    e2 = str(uuid.uuid4())
    target = "n3" if leader != "n3" else "n2"
    others = [n for n in ids if n != target]
    script = 'for i in $(seq 1 40); do echo "{\\"percentage\\": $((i*2)), \\"current_stage\\": \\"step $i\\"}" >> "$VIGIL_PROGRESS_FILE"; sleep 0.2; done; echo done'
    p = wrapper(e2, ["sh", "-c", script], ",".join([c.url(target)] + [c.url(n) for n in others]))
    seen = c.wait_for("the long child was not seen RUNNING with progress on another node", 10,
                      lambda: (x := c.execution(e2, others[0])) and x["status"] == "running" and (x.get("progress") or {}).get("percentage", 0) >= 10 and x)
    c.step(f"long child RUNNING on {others[0]} with progress {seen['progress'].get('percentage')}% ({seen['progress'].get('current_stage')})")
    c.kill(target)
    killed = time.time()
    c.step(f"SIGKILLed {target}, the node the wrapper talks to")
    while p.poll() is None and time.time() < killed + 20:
        x = c.execution(e2, others[0])
        if x and x["status"] == "failed":
            c.fail(f"the execution was marked while its wrapper ran: {x}")
        time.sleep(0.2)
    out, err = p.communicate(timeout=30)
    if p.returncode != 0:
        c.fail(f"the long child's wrapper exited {p.returncode}: {err}")
    if "no node took a heartbeat" in err:
        c.fail(f"a heartbeat was lost when {target} died: {err}")
    v = c.wait_for("the long child's completion did not arrive", 10, lambda: (x := c.execution(e2, others[1])) and x["status"] != "running" and x)
    if v["status"] != "completed" or v["heartbeat_count"] < 8:
        c.fail(f"after the node's death: {v}")
    c.step(f"completed after {target}'s death, {v['heartbeat_count']} heartbeats, never marked")

    # 4. SIGTERM to the wrapper reaches the child.
    e3 = str(uuid.uuid4())
    live = [n for n in ids if c.up(n)]
    p = wrapper(e3, ["sh", "-c", "trap 'echo got TERM; exit 143' TERM; echo ready; while true; do sleep 0.05; done"], c.url(live[0]))
    if p.stdout.readline().strip() != "ready":
        c.fail("the child did not start")
    p.send_signal(signal.SIGTERM)
    out, err = p.communicate(timeout=20)
    if p.returncode != 143 or "got TERM" not in out:
        c.fail(f"after SIGTERM the wrapper exited {p.returncode} with stdout {out!r}")
    e4 = str(uuid.uuid4())
    p = wrapper(e4, ["sleep", "30"], c.url(live[0]))
    time.sleep(0.5)
    p.send_signal(signal.SIGTERM)
    p.communicate(timeout=20)
    v = c.wait_for("the signalled child's completion did not arrive", 5, lambda: (x := c.execution(e4, live[-1])) and x["status"] != "running" and x)
    if p.returncode != 143 or (v.get("result_data") or {}).get("signal") != "SIGTERM" or "SIGTERM" not in (v.get("error_message") or ""):
        c.fail(f"a child killed by SIGTERM: wrapper exit {p.returncode}, execution {v}")
    c.step("SIGTERM forwarded: a trapping child exits 143 itself; a killed one is reported as SIGTERM, wrapper exit 143")

    # 5. No node reachable at exit: spooled, then flushed once.
    e5 = str(uuid.uuid4())
    dead = f"http://127.0.0.1:{free_port()}"
    p = wrapper(e5, ["sh", "-c", "echo spooled; exit 3"], dead, extra=["--completion-timeout", "1"])
    p.communicate(timeout=30)
    files = os.listdir(spool) if os.path.isdir(spool) else []
    if p.returncode != 3 or files != [f"{e5}.json"]:
        c.fail(f"with no node reachable the wrapper exited {p.returncode} and the spool holds {files}")
    f = subprocess.run([BIN, "run", "--flush", "--api", c.url(live[0])], env=env, capture_output=True, text=True, timeout=30)
    v = c.wait_for("the flushed completion did not arrive", 5, lambda: (x := c.execution(e5, live[-1])) and x)
    if f.returncode != 0 or os.listdir(spool) or v["status"] != "failed" or (v.get("result_data") or {}).get("exit_code") != 3:
        c.fail(f"--flush exited {f.returncode} ({f.stderr.strip()}), spool {os.listdir(spool)}, execution {v}")
    again = subprocess.run([BIN, "run", "--flush", "--api", c.url(live[0])], env=env, capture_output=True, text=True, timeout=30)
    if again.returncode != 0 or "sent the spooled" in again.stderr:
        c.fail(f"a second --flush sent something again: {again.stderr}")
    c.step("unreachable at exit: spooled, then sent once by --flush")
    # 6. As PID 1 (a new PID namespace, as in a container) it reaps orphans: a grandchild whose
    # parent exited is re-parented to the wrapper and must not stay a zombie.
    if os.geteuid() == 0 and shutil.which("unshare"):
        runner = os.path.join(os.path.dirname(BIN), "vigil-run")
        e6 = str(uuid.uuid4())
        script = "sh -c 'sleep 0.3 &'; sleep 1.5; ps -e -o stat=,comm="
        p = subprocess.run(["unshare", "--pid", "--fork", "--mount-proc", runner, "--api", c.url(live[0]), "--execution-id", e6, "--", "sh", "-c", script],
                           env=env, capture_output=True, text=True, timeout=30)
        zombies = [line for line in p.stdout.splitlines() if line.strip().startswith("Z")]
        if p.returncode != 0 or "vigil-run" not in p.stdout or zombies:
            c.fail(f"as PID 1: exit {p.returncode}, processes {p.stdout!r}, stderr {p.stderr!r}")
        c.step("as PID 1 in its own PID namespace it reaped an orphan (no zombie left)")
    print(f"run-live: PASS in {time.time() - c.t0:.0f} s")
except Failure as failure:
    print(failure, file=sys.stderr)
    sys.exit(1)
finally:
    c.close()

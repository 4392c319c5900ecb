"""Celery with a real Redis broker and real workers: 50 tasks, 10 of them on a worker SIGKILLed
mid-task. The 40 others end as they ended (COMPLETED, or FAILED with their exception); the 10
are FAILED by the rule; no live task is marked."""
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid

import pytest

from conftest import ROOT, start_cluster, wait
from livecluster import free_port, http

celery = pytest.importorskip("celery", reason="celery is not installed (pip install 'celery[redis]')")
pytest.importorskip("redis", reason="the redis client is not installed (pip install 'celery[redis]')")
HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.join(ROOT, "clients", "python", "src")


@pytest.fixture()
def redis_url(tmp_path):
    server = shutil.which("redis-server")
    if not server:
        pytest.skip("redis-server is not installed (apt-get install redis-server)")
    port = free_port()
    p = subprocess.Popen([server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                          "--dir", str(tmp_path)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        import redis
        wait("redis-server did not answer", 10, lambda: _pings(redis, port))
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        p.terminate()
        p.wait(10)


def _pings(redis, port):
    try:
        return redis.Redis(host="127.0.0.1", port=port, socket_timeout=0.5).ping()
    except Exception:
        return False


def start_worker(name, queue, env, log):
    return subprocess.Popen([sys.executable, "-m", "celery", "-A", "celery_app", "worker", "--pool", "threads", "-c", "10",
                             "-Q", queue, "-n", f"{name}@vigiltest", "--without-gossip", "--without-mingle", "--without-heartbeat",
                             "-l", "WARNING"], cwd=HERE, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def test_fifty_tasks_ten_on_a_killed_worker(redis_url, tmp_path):
    c = start_cluster("pycelery")
    workers = []
    try:
        api = ",".join(c.url(n) for n in c.ids)
        env = dict(os.environ, VIGIL_TEST_BROKER=redis_url, API_BASE_URL=api, VIGIL_SPOOL_DIR=str(tmp_path / "spool"),
                   PYTHONPATH=os.pathsep.join([HERE, SRC]))
        log = open(tmp_path / "workers.log", "w")
        doomed = start_worker("doomed", "doomed", env, log)
        workers = [doomed, start_worker("steady", "steady", env, log)]
        sys.path.insert(0, HERE)
        os.environ["VIGIL_TEST_BROKER"] = redis_url
        from celery_app import work

        doomed_ids = [str(uuid.uuid4()) for _ in range(10)]
        for tid in doomed_ids:
            work.apply_async(args=(120,), queue="doomed", task_id=tid)
        steady = {}  # id -> (expected status, retried)
        for i in range(40):
            tid, fail, retry = str(uuid.uuid4()), i % 4 == 3, i == 0
            steady[tid] = ("failed" if fail else "completed", retry)
            work.apply_async(args=(0.3 + (i % 6) * 0.5,), kwargs={"fail": fail, "retry_once": retry}, queue="steady", task_id=tid)

        def running(ids):
            return all((x := c.execution(t, "n1")) and x["status"] == "running" for t in ids)
        wait("the doomed worker's 10 tasks were not all running", 60, lambda: running(doomed_ids), every=0.3)
        time.sleep(1)
        os.killpg(doomed.pid, signal.SIGKILL)
        doomed.wait(10)
        killed = time.time()

        def done():
            views = {t: c.execution(t, "n2") for t in list(steady) + doomed_ids}
            return views if all(v and v["status"] != "running" for v in views.values()) else None
        views = wait("not every task ended", 90, done, every=0.5)
        status, marks = http("GET", c.http_ports["n1"], "/api/v1/marks?limit=1000")
        marked = {m["execution_id"] for m in marks["marks"]}
        wrong = {t: (views[t]["status"], views[t].get("error_message")) for t, (want, _) in steady.items() if views[t]["status"] != want}
        ended = sum(1 for t in steady if t not in wrong)
        by_rule = [t for t in doomed_ids if views[t]["status"] == "failed" and t in marked]
        live_marked = marked & set(steady)
        print(f"celery: {ended}/40 ended as they ended, {len(by_rule)}/10 failed by the rule "
              f"(last within {time.time() - killed:.1f} s of the SIGKILL), {len(live_marked)} live marked")
        assert not wrong, wrong
        assert len(by_rule) == 10, {t: views[t] for t in doomed_ids}
        assert not live_marked
        failed = [views[t] for t, (want, _) in steady.items() if want == "failed"]
        assert all(v["error_message"].startswith("ValueError: task failed after") for v in failed)
        retried = next(t for t, (_, r) in steady.items() if r)
        assert views[retried]["progress"].get("retries") == 1, views[retried]
        assert all(views[t]["container_id"] == "steady@vigiltest" for t in steady)
        assert all(views[t]["container_id"] == "doomed@vigiltest" for t in doomed_ids)
    finally:
        for w in workers:
            if w.poll() is None:
                os.killpg(w.pid, signal.SIGTERM)
                try:
                    w.wait(15)
                except subprocess.TimeoutExpired:
                    os.killpg(w.pid, signal.SIGKILL)
                    w.wait(5)
        c.close()

"""A real 3-node `vigil serve` cluster on loopback for the client's tests (scripts/tests/livecluster.py).

    VIGIL_BIN=.build/debug/vigil python3 -m pytest clients/python/tests
"""
import os
import sys

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "scripts", "tests"))
sys.path.insert(0, os.path.join(ROOT, "clients", "python", "src"))

from livecluster import Cluster, Failure  # noqa: E402

BIN = os.path.abspath(os.environ.get("VIGIL_BIN", os.path.join(ROOT, ".build", "debug", "vigil")))
# Short rules so a silent execution is marked within seconds.
RULES = {"executions": {"heartbeat_timeout_s": 1.5, "check_interval_s": 0.5, "max_strikes": 2,
                        "mass_failure_share": 1, "mass_failure_hold_s": 0},
         "probes": {"enabled": False},
         # Kinds the tests name (issue 24): a kind the cluster does not configure is a 400.
         "kinds": {"etl": {"heartbeat_timeout_s": 60, "max_strikes": 3}, "celery": {"heartbeat_timeout_s": 1.5}}}


def start_cluster(name, config=None):
    if not os.access(BIN, os.X_OK):
        pytest.skip(f"no vigil binary at {BIN} (build it, or set VIGIL_BIN)")
    cluster = Cluster(name, BIN, {**RULES, **(config or {})})
    try:
        cluster.leader_id = cluster.start_all()
    except Failure as failure:
        cluster.close()
        pytest.fail(str(failure))
    return cluster


@pytest.fixture(scope="module")
def cluster():
    c = start_cluster("pyclient")
    yield c
    c.close()


def wait(what, seconds, check, every=0.1):
    import time
    deadline = time.time() + seconds
    while time.time() < deadline:
        value = check()
        if value:
            return value
        time.sleep(every)
    pytest.fail(f"{what} (waited {seconds} s)")


def final(cluster, execution_id, node=None, seconds=10):
    """The execution once it is no longer running, as `node` (any live one) sees it."""
    def check():
        nodes = [node] if node else [n for n in cluster.ids if cluster.up(n)]
        for n in nodes:
            x = cluster.execution(execution_id, n)
            if x and x["status"] != "running":
                return x
        return None
    return wait(f"{execution_id} did not finish", seconds, check)

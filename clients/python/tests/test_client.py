"""vigil_client against a real 3-node cluster: the seed 004 program with the import swapped and a
node SIGKILLed mid-run, failover, monitor/monitored/amonitor, kind/monitor fields, the spool
shared with `vigil run`."""
import asyncio
import json
import os
import subprocess
import sys
import time
import uuid

import pytest

import vigil_client
from conftest import BIN, ROOT, final, start_cluster, wait
from livecluster import free_port, http

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.join(ROOT, "clients", "python", "src")


def api(cluster, first=None):
    order = ([first] if first else []) + [n for n in cluster.ids if n != first and cluster.up(n)]
    return ",".join(cluster.url(n) for n in order)


def test_seed004_program_unchanged_survives_a_node_sigkill(tmp_path):
    """Seed 004's task_service.py, only `from vigil_client import HeartbeatClient` changed; its
    10 × `time.sleep(5)` scaled to 0.3 s by a sitecustomize (the program's text stays as is) and
    the interval set by VIGIL_HEARTBEAT_INTERVAL. The node it talks to is SIGKILLed mid-run."""
    c = start_cluster("pyseed004")
    try:
        target = next(n for n in c.ids if n != c.leader_id)
        (tmp_path / "config.json").write_text(json.dumps({"task_name": "示例数据采集任务", "simulate_error": False}))
        (tmp_path / "sitecustomize.py").write_text(
            "import time\n_sleep = time.sleep\ntime.sleep = lambda s: _sleep(0.3 if s == 5 else s)\n")
        eid = str(uuid.uuid4())
        env = dict(os.environ, TASK_EXECUTION_ID=eid, HOSTNAME="crawler-container-1", CONFIG_PATH=str(tmp_path / "config.json"),
                   API_BASE_URL=api(c, target), VIGIL_HEARTBEAT_INTERVAL="0.2", VIGIL_SPOOL_DIR=str(tmp_path / "spool"),
                   PYTHONPATH=os.pathsep.join([str(tmp_path), SRC]))
        p = subprocess.Popen([sys.executable, os.path.join(HERE, "seed004_task_service.py")], env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        other = next(n for n in c.ids if n != target)
        wait("the program's execution was not seen running", 10, lambda: (x := c.execution(eid, other)) and x.get("heartbeat_count", 0) >= 3)
        c.kill(target)
        out, _ = p.communicate(timeout=60)
        assert p.returncode == 0, out
        sent = out.count("心跳发送成功")
        lost = out.count("心跳网络请求异常")
        v = final(c, eid)
        print(f"seed004: exit 0, {sent} heartbeats taken, {lost} lost, server counted {v['heartbeat_count']}, status {v['status']}")
        assert lost == 0, out
        assert v["status"] == "completed" and v["result_data"]["processed_records"] == 1000
        assert v["heartbeat_count"] >= sent - 1 and sent >= 10
        assert "任务执行完成" in out and not os.listdir(tmp_path / "spool")
    finally:
        c.close()


def test_kind_and_monitor_fields_fix_the_rule(cluster):
    """`kind`/`monitor` (the per-job rules) are sent only when given, and the server judges the
    execution by them."""
    eid = str(uuid.uuid4())
    client = vigil_client.HeartbeatClient(api(cluster), eid, "etl-1", 0.2, kind="etl", handle_signals=False, verbose=False,
                                          monitor={"heartbeat_timeout_s": 60, "max_strikes": 3})
    body = client.heartbeat_body()
    assert body["kind"] == "etl" and body["monitor"]["max_strikes"] == 3
    plain = vigil_client.HeartbeatClient(api(cluster), eid, "etl-1", handle_signals=False, verbose=False).heartbeat_body()
    assert "kind" not in plain and "monitor" not in plain
    answer = client.beat_now()
    assert answer.accepted, answer
    assert client.send_completion(True, {"rows": 3})
    done = final(cluster, eid)
    assert done["status"] == "completed"
    assert done.get("kind") == "etl", done


def test_failover_skips_a_dead_url_and_never_raises(cluster, tmp_path):
    dead = f"http://127.0.0.1:{free_port()}"
    eid = str(uuid.uuid4())
    client = vigil_client.HeartbeatClient(f"{dead},{api(cluster)}", eid, "c", 0.1, handle_signals=False, verbose=False,
                                          spool_dir=str(tmp_path))
    client.start()
    wait("no heartbeat got through", 5, lambda: client.heartbeats_sent >= 5)
    client.stop()
    assert client.heartbeats_lost == 0
    nowhere = vigil_client.HeartbeatClient(dead, str(uuid.uuid4()), "c", handle_signals=False, verbose=False,
                                           completion_timeout=0.5, spool_dir=str(tmp_path))
    assert not nowhere.beat_now().accepted  # no exception
    assert nowhere.send_completion(False, error_message="x") is False
    assert os.listdir(tmp_path) == [f"{nowhere.execution_id}.json"]


def test_monitor_context_and_decorator(cluster):
    ok, bad, deco = (str(uuid.uuid4()) for _ in range(3))
    with vigil_client.monitor(ok, api=api(cluster), interval=0.1) as job:
        job.progress(crawled_urls=45, total_urls=100)
        wait("progress not seen", 5, lambda: ((cluster.execution(ok, "n1") or {}).get("progress") or {}).get("percentage") == 45.0)
        job.result(rows=7)
    v = final(cluster, ok)
    assert v["status"] == "completed" and v["result_data"] == {"rows": 7}

    with pytest.raises(ValueError):
        with vigil_client.monitor(bad, api=api(cluster), interval=0.1):
            raise ValueError("bad row 7")
    v = final(cluster, bad)
    assert v["status"] == "failed" and v["error_message"] == "ValueError: bad row 7"

    @vigil_client.monitored(execution_id=lambda n: deco, api=api(cluster), interval=0.1)
    def job_fn(n):
        assert vigil_client.current_job().execution_id == deco
        return {"n": n}

    assert job_fn(3) == {"n": 3}
    v = final(cluster, deco)
    assert v["status"] == "completed" and v["result_data"] == {"n": 3}


def test_asyncio_variant(cluster):
    ok, bad = str(uuid.uuid4()), str(uuid.uuid4())

    @vigil_client.monitored(execution_id=bad, api=api(cluster), interval=0.1)
    async def failing():
        await asyncio.sleep(0.3)
        raise RuntimeError("async boom")

    async def main():
        async with vigil_client.amonitor(ok, api=api(cluster), interval=0.1) as job:
            for i in range(5):
                job.progress(current_step=i + 1, total_steps=5)
                await asyncio.sleep(0.1)
        with pytest.raises(RuntimeError):
            await failing()

    asyncio.run(main())
    v = final(cluster, ok)
    assert v["status"] == "completed" and v["heartbeat_count"] >= 2 and v["progress"]["percentage"] == 100.0
    v = final(cluster, bad)
    assert v["status"] == "failed" and v["error_message"] == "RuntimeError: async boom"


def test_spool_is_shared_with_vigil_run(cluster, tmp_path):
    """A completion this client spooled is sent by `vigil run --flush`; one `vigil run` spooled is
    sent by `vigil_client.flush_spool`."""
    spool = str(tmp_path / "spool")
    dead = f"http://127.0.0.1:{free_port()}"
    mine = str(uuid.uuid4())
    vigil_client.HeartbeatClient(api(cluster), mine, "c", handle_signals=False, verbose=False).beat_now()
    client = vigil_client.HeartbeatClient(dead, mine, "c", handle_signals=False, verbose=False, completion_timeout=0.5, spool_dir=spool)
    assert client.send_completion(False, {"k": 1}, "spooled by python") is False
    env = dict(os.environ, VIGIL_SPOOL_DIR=spool)
    f = subprocess.run([BIN, "run", "--flush", "--api", api(cluster)], env=env, capture_output=True, text=True, timeout=30)
    assert f.returncode == 0 and os.listdir(spool) == [], f.stderr
    v = final(cluster, mine)
    assert v["status"] == "failed" and v["error_message"] == "spooled by python" and v["result_data"] == {"k": 1}

    theirs = str(uuid.uuid4())
    r = subprocess.run([BIN, "run", "--execution-id", theirs, "--api", dead, "--completion-timeout", "1", "--", "sh", "-c", "exit 4"],
                       env=env, capture_output=True, text=True, timeout=30)
    assert r.returncode == 4 and os.listdir(spool) == [f"{theirs}.json"], r.stderr
    assert vigil_client.flush_spool(api(cluster), spool) == 0
    assert os.listdir(spool) == []
    v = final(cluster, theirs)
    assert v["status"] == "failed" and v["result_data"]["exit_code"] == 4

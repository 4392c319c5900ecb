#!/usr/bin/env python3
"""Speaks to a running Vigil node exactly as the seed 004 container client does:
requests.post(url, json=..., timeout=10, headers={'Content-Type': 'application/json'}).

Usage: seed_client.py BASE_URL
Exits 0 when every check passes, 1 (with the failed check on stderr) otherwise.
"""
import sys
import time
import uuid

import requests


def check(condition, what):
    if not condition:
        print(f"FAILED: {what}", file=sys.stderr)
        sys.exit(1)


def post(url, payload):
    return requests.post(url, json=payload, timeout=10, headers={"Content-Type": "application/json"})


def main():
    base = sys.argv[1].rstrip("/")
    heartbeat_url = f"{base}/api/v1/monitoring/heartbeat"
    completion_url = f"{base}/api/v1/monitoring/completion"
    execution_id = str(uuid.uuid4())
    container_id = "task-" + execution_id

    # The seed 004 task loop: an empty progress first, then steps.
    progress = {}
    for step in range(0, 4):
        if step:
            progress.update({"stage": "数据处理中", "current_step": step, "total_steps": 3,
                             "percentage": round(step / 3 * 100, 2)})
        response = post(heartbeat_url, {"execution_id": execution_id, "container_id": container_id,
                                        "status": "running", "progress": progress, "timestamp": int(time.time())})
        check(response.status_code == 200, f"heartbeat {step}: {response.status_code} {response.text}")
        body = response.json()
        check(body.get("status") == "ok", f"heartbeat body {body}")
        check(body.get("execution_id") == execution_id, f"echoed id {body}")
        check(isinstance(body.get("timestamp"), int), f"server timestamp {body}")

    # Seed 004 reports status "completed" in a heartbeat, then sends the completion notice.
    response = post(heartbeat_url, {"execution_id": execution_id, "container_id": container_id,
                                    "status": "completed", "progress": {"stage": "任务完成"}, "timestamp": int(time.time())})
    check(response.status_code == 200, f"completed heartbeat: {response.status_code} {response.text}")
    response = post(completion_url, {"execution_id": execution_id, "container_id": container_id, "success": True,
                                     "result_data": {"processed_records": 1000, "output_files": ["result.json", "summary.txt"],
                                                     "execution_time": "2.5分钟"},
                                     "error_message": None})
    check(response.status_code == 200, f"completion: {response.status_code} {response.text}")

    view = requests.get(f"{base}/api/v1/executions/{execution_id}", timeout=10).json()
    check(view["status"] == "completed", f"view {view}")
    check(view["result_data"]["processed_records"] == 1000, f"result_data {view}")
    check(view["progress"] == {"stage": "任务完成", "current_step": 3, "total_steps": 3, "percentage": 100.0}
          or view["progress"] == {"stage": "任务完成"}, f"progress {view['progress']}")

    # A running heartbeat after completion is refused, in the seed's error shape.
    response = post(heartbeat_url, {"execution_id": execution_id, "container_id": container_id,
                                    "status": "running", "progress": {}, "timestamp": int(time.time())})
    check(response.status_code == 409, f"late heartbeat: {response.status_code}")
    check(response.json()["status"] == "error", f"late heartbeat body {response.text}")

    # The seed 004 debugging request (no timestamp, id "test").
    response = post(heartbeat_url, {"execution_id": "test", "container_id": "test", "status": "running"})
    check(response.status_code == 400, f"bad id: {response.status_code}")
    check(response.json() == {"status": "error", "message": "Invalid execution_id format"}, f"bad id body {response.text}")

    # A failed task: seed 004's error path.
    failed_id = str(uuid.uuid4())
    post(heartbeat_url, {"execution_id": failed_id, "container_id": container_id, "status": "failed",
                         "progress": {"error": "模拟错误"}, "timestamp": int(time.time())})
    response = post(completion_url, {"execution_id": failed_id, "container_id": container_id, "success": False,
                                     "result_data": {}, "error_message": "模拟任务执行错误"})
    check(response.status_code == 200, f"failed completion: {response.status_code} {response.text}")
    view = requests.get(f"{base}/api/v1/executions/{failed_id}", timeout=10).json()
    check(view["status"] == "failed" and view["error_message"] == "模拟任务执行错误", f"failed view {view}")
    print("seed client: all checks passed")


if __name__ == "__main__":
    main()

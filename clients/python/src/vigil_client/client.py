"""`HeartbeatClient`: seed 004's class, same constructor and methods, made safe for production."""
import json
import logging
import os
import random
import signal
import sys
import threading
import time
from datetime import datetime
from typing import Any, Dict, Optional, Sequence, Union

from ._spool import CompletionSpool
from ._transport import Answer, Nodes

log = logging.getLogger("vigil_client")

HEARTBEAT_PATH = "/api/v1/monitoring/heartbeat"
COMPLETION_PATH = "/api/v1/monitoring/completion"


def completion_body(execution_id: str, container_id: str, success: bool,
                    result_data: Optional[Dict[str, Any]], error_message: Optional[str]) -> bytes:
    """Seed 004's completion, the bytes spooled and sent."""
    return json.dumps({
        "execution_id": execution_id, "container_id": container_id, "success": bool(success),
        "result_data": result_data or {}, "error_message": error_message,
    }, ensure_ascii=False).encode()


def flush_spool(api: Union[str, Sequence[str], None] = None, spool_dir: Optional[str] = None,
                token: Optional[str] = None, timeout_s: float = 10.0) -> int:
    """Sends the spooled completions (this client's and `vigil run`'s); returns how many remain.
    A node's 2xx or 4xx removes a file (a 4xx would be refused by every node); never raises."""
    return _flush(Nodes(api, token), CompletionSpool(spool_dir), timeout_s)


def _flush(nodes: Nodes, spool: CompletionSpool, timeout_s: float) -> int:
    left = 0
    for path, body in spool.pending():
        answer = nodes.post_until(COMPLETION_PATH, body, timeout_s)
        if answer.unreachable:
            left += 1
            continue
        if answer.refused:
            log.warning("a node refused a spooled completion; removed",
                        extra={"vigil_path": path, "vigil_status": answer.status, "vigil_detail": answer.detail})
        spool.remove(path)
    return left


class HeartbeatClient:
    """心跳客户端 — seed 004's `HeartbeatClient`, a drop-in: the same constructor, `start`, `stop`,
    `update_status` and `send_completion`, and the same attributes.

    Beyond the seed: `api_base_url` may name several nodes (comma-separated, as `API_BASE_URL`
    for `vigil run`); each heartbeat goes to the node that answered last, else the next, so a
    dead node loses none. `VIGIL_TOKEN` (or `token=`) is sent as a bearer token. Intervals are
    jittered (±`jitter`, a fraction). A network error never raises into the job. The completion
    is written to the spool first (`vigil run`'s format), then sent with retries for
    `completion_timeout` seconds; a completion no node took stays spooled, and the next client
    (or `vigil run --flush`) sends it. `kind` and `monitor` (per-job rules) are sent only when
    given.
    """

    def __init__(self, api_base_url: Union[str, Sequence[str], None] = None, execution_id: str = "",
                 container_id: Optional[str] = None, heartbeat_interval: float = 30, *,
                 token: Optional[str] = None, kind: Optional[str] = None, monitor: Optional[Dict[str, Any]] = None,
                 jitter: float = 0.1, timeout: float = 10.0, completion_timeout: float = 30.0,
                 spool_dir: Optional[str] = None, handle_signals: bool = True, verbose: bool = True) -> None:
        self.nodes = Nodes(api_base_url, token, timeout=timeout)
        self.api_base_url = self.nodes.bases[0]
        self.execution_id = execution_id or os.environ.get("TASK_EXECUTION_ID", "")
        if not self.execution_id:
            raise ValueError("no execution_id (and TASK_EXECUTION_ID is not set)")
        self.container_id = container_id or os.environ.get("HOSTNAME") or "unknown-container"
        # An operator's override, for a program that cannot be changed: VIGIL_HEARTBEAT_INTERVAL.
        self.heartbeat_interval = float(os.environ.get("VIGIL_HEARTBEAT_INTERVAL") or heartbeat_interval)
        self.heartbeat_url = f"{self.api_base_url}{HEARTBEAT_PATH}"
        self.completion_url = f"{self.api_base_url}{COMPLETION_PATH}"
        self.kind = kind
        self.monitor = dict(monitor) if monitor else None
        self.jitter = max(0.0, min(jitter, 0.5))
        self.completion_timeout = completion_timeout
        self.spool = CompletionSpool(spool_dir)
        self.verbose = verbose

        self.is_running = False
        self.heartbeat_thread: Optional[threading.Thread] = None
        self.task_status = "running"
        self.task_progress: Dict[str, Any] = {}
        #: Heartbeats a node took / heartbeats no node took.
        self.heartbeats_sent = 0
        self.heartbeats_lost = 0
        self.completed = False
        self._state = threading.Lock()
        self._wake = threading.Event()
        self._first = threading.Event()
        self._random = random.Random()
        if handle_signals and threading.current_thread() is threading.main_thread():
            # 设置信号处理器，优雅关闭 (as the seed does; only possible on the main thread)
            signal.signal(signal.SIGTERM, self._signal_handler)
            signal.signal(signal.SIGINT, self._signal_handler)

    def _say(self, message: str) -> None:
        if self.verbose:
            print(message, flush=True)
        log.info(message, extra={"execution_id": self.execution_id})

    def _signal_handler(self, signum: int, frame: Any) -> None:
        self._say(f"收到信号 {signum}，正在关闭心跳客户端...")
        self.stop()
        sys.exit(0)

    def start(self) -> None:
        """Starts the heartbeat thread; the first heartbeat (which registers the execution) goes at once."""
        if self.is_running:
            return
        self.is_running = True
        self._wake.clear()
        self.heartbeat_thread = threading.Thread(target=self._heartbeat_loop, name=f"vigil-heartbeat-{self.execution_id[:8]}", daemon=True)
        self.heartbeat_thread.start()
        threading.Thread(target=_flush, args=(self.nodes, self.spool, 5.0), name="vigil-spool-flush", daemon=True).start()
        self._say(f"心跳客户端已启动，执行ID: {self.execution_id}")

    def stop(self) -> None:
        """Stops the heartbeat thread (within the request in flight)."""
        self.is_running = False
        self._wake.set()
        thread = self.heartbeat_thread
        if thread and thread is not threading.current_thread():
            thread.join(timeout=5)
        self._say("心跳客户端已停止")

    def update_status(self, status: str, progress: Optional[Dict[str, Any]] = None) -> None:
        """Sets the status and merges `progress` into what the next heartbeat reports."""
        with self._state:
            self.task_status = status
            if progress:
                self.task_progress.update(progress)

    def beat_now(self) -> Answer:
        """Sends one heartbeat now (also what the thread does every interval)."""
        return self._send_heartbeat()

    def _next_wait(self) -> float:
        return max(0.05, self.heartbeat_interval * (1 + self._random.uniform(-self.jitter, self.jitter)))

    def _heartbeat_loop(self) -> None:
        while self.is_running:
            try:
                answer = self._send_heartbeat()
            except Exception as error:  # never into the job, never ends the loop
                log.exception("heartbeat failed", extra={"execution_id": self.execution_id})
                answer = Answer(False, False, None, None, repr(error))
            finally:
                self._first.set()
            if answer.refused and answer.status == 409:
                self._say(f"执行已结束 (409): {answer.detail}; 停止心跳")
                self.is_running = False
                break
            self._wake.wait(self._next_wait() if not answer.unreachable else min(5.0, self._next_wait()))

    def heartbeat_body(self) -> Dict[str, Any]:
        with self._state:
            body: Dict[str, Any] = {
                "execution_id": self.execution_id, "container_id": self.container_id,
                "status": self.task_status, "progress": dict(self.task_progress), "timestamp": int(time.time()),
            }
        if self.kind is not None:
            body["kind"] = self.kind
        if self.monitor is not None:
            body["monitor"] = self.monitor
        return body

    def _send_heartbeat(self) -> Answer:
        answer = self.nodes.post(HEARTBEAT_PATH, self.heartbeat_body())
        if answer.accepted:
            self.heartbeats_sent += 1
            if self.verbose:
                print(f"心跳发送成功: {datetime.now().isoformat()}", flush=True)
            log.debug("heartbeat sent", extra={"execution_id": self.execution_id, "vigil_node": answer.base})
        elif answer.refused:
            self._say(f"心跳请求失败: {answer.status} - {answer.detail}")
        else:
            self.heartbeats_lost += 1
            self._say(f"心跳网络请求异常: {answer.detail}")
        return answer

    def send_completion(self, success: bool, result_data: Optional[Dict[str, Any]] = None,
                        error_message: Optional[str] = None) -> bool:
        """Reports the outcome: spooled first, then sent with retries until a node takes it or
        `completion_timeout` passes (it then stays spooled). True when a node took it."""
        if self.is_running:
            self._first.wait(timeout=self.nodes.timeout * len(self.nodes.bases))
        body = completion_body(self.execution_id, self.container_id, success, result_data, error_message)
        path = ""
        try:
            path = self.spool.write(self.execution_id, body)
        except OSError as error:
            self._say(f"cannot write the completion spool ({error}); sending without a spool")
        try:
            answer = self.nodes.post_until(COMPLETION_PATH, body, self.completion_timeout)
        except Exception as error:  # never into the job
            answer = Answer(False, False, None, None, repr(error))
        if answer.accepted:
            self.completed = True
            self._say("任务完成通知发送成功")
        elif answer.refused:
            self._say(f"任务完成通知发送失败: {answer.status} - {answer.detail}")
        else:
            self._say(f"no node took the completion ({answer.detail}); it stays spooled in {path or '(nowhere)'}")
            return False
        if path:
            self.spool.remove(path)
        return answer.accepted

    def __repr__(self) -> str:
        return f"HeartbeatClient(execution_id={self.execution_id!r}, nodes={self.nodes.bases!r}, running={self.is_running})"

"""Celery: every task an execution. `vigil_client.celery.install(app, api=..., kind=...)`.

The task id is the execution id (Celery's ids are UUIDs) and the worker's hostname
(`celery@host`) the container. While a task runs, the worker process running it sends
heartbeats; when it ends, its outcome is the completion: success (with the result's `repr`,
truncated), failure (with the exception), and a retry a heartbeat reporting it; the worker goes on heartbeating
until the next attempt starts (in this worker, which then takes over) or `retry_grace_s` past
the retry's countdown (the next attempt, under the same id, heartbeats wherever it runs). A worker killed with SIGKILL sends nothing
more, so the cluster's rule marks its running tasks FAILED. Keep `acks_late` off for such tasks
(the default): a redelivered task would run again under the same id.

A task may carry its own rules: `vigil_kind = "etl"`, `vigil_monitor = {...}` class attributes,
or `vigil = False` to stay unmonitored. The settings `vigil_api`, `vigil_kind`, `vigil_monitor`
and `vigil_interval` in `app.conf` are used when `install` is not given them.
"""
import logging
import threading
import time
from typing import Any, Callable, Dict, Optional, Sequence, Union

from celery import signals  # type: ignore[import-untyped]

from .client import HeartbeatClient
from .monitor import error_message

log = logging.getLogger("vigil_client.celery")

_RESULT_LIMIT = 1000


class Integration:
    """The signal handlers of one installed app and the clients of its running tasks."""

    def __init__(self, app: Any, api: Union[str, Sequence[str], None], kind: Optional[str], monitor: Optional[Dict[str, Any]],
                 interval: float, include: Optional[Callable[[Any], bool]], retry_grace_s: float, options: Dict[str, Any]) -> None:
        conf = app.conf
        self.app = app
        self.api = api if api is not None else conf.get("vigil_api")
        self.kind = kind if kind is not None else conf.get("vigil_kind")
        self.monitor = monitor if monitor is not None else conf.get("vigil_monitor")
        self.interval = float(conf.get("vigil_interval") or interval)
        self.include = include
        self.options = options
        self.retry_grace_s = retry_grace_s
        self.clients: Dict[str, HeartbeatClient] = {}
        #: Tasks waiting for their next attempt, still heartbeating: the client and its timer.
        self.retrying: Dict[str, Any] = {}
        self.lock = threading.Lock()

    def wanted(self, task: Any) -> bool:
        if task is None or getattr(task, "app", None) is not self.app or getattr(task, "vigil", True) is False:
            return False
        return self.include(task) if self.include else True

    def prerun(self, sender: Any = None, task_id: Optional[str] = None, task: Any = None, **_: Any) -> None:
        task = task or sender
        if not task_id or not self.wanted(task):
            return
        self.end_retry_wait(task_id)
        try:
            hostname = getattr(task.request, "hostname", None) or "celery-worker"
            client = HeartbeatClient(
                self.api, task_id, hostname, self.interval, kind=getattr(task, "vigil_kind", self.kind),
                monitor=getattr(task, "vigil_monitor", self.monitor), handle_signals=False, verbose=False, **self.options,
            )
            client.update_status("running", {"task": task.name, "retries": getattr(task.request, "retries", 0)})
            client.start()
        except Exception:  # never into the task
            log.exception("cannot start the heartbeats of a task", extra={"execution_id": task_id})
            return
        with self.lock:
            self.clients[task_id] = client

    def postrun(self, sender: Any = None, task_id: Optional[str] = None, retval: Any = None, state: Optional[str] = None, **_: Any) -> None:
        with self.lock:
            client = self.clients.pop(task_id or "", None)
        if client is None:
            return
        try:
            client.stop()
            if state == "RETRY":
                self.wait_for_retry(task_id or "", client, retval)
            else:
                self.report(client, retval, state)
        except Exception:  # never into the worker
            log.exception("cannot report a task's outcome", extra={"execution_id": task_id})

    def end_retry_wait(self, task_id: str) -> None:
        with self.lock:
            waiting = self.retrying.pop(task_id, None)
        if waiting is not None:
            waiting[1].cancel()
            waiting[0].stop()

    def wait_for_retry(self, task_id: str, client: HeartbeatClient, retval: Any) -> None:
        when = getattr(retval, "when", None)
        countdown = 0.0
        if isinstance(when, (int, float)):
            countdown = float(when)
        elif when is not None and hasattr(when, "timestamp"):
            countdown = max(0.0, float(when.timestamp()) - time.time())
        retries = int(client.task_progress.get("retries") or 0) + 1
        reason = getattr(retval, "exc", None) or getattr(retval, "message", None) or retval
        client.update_status("running", {"celery_state": "RETRY", "retries": retries, "retry_reason": str(reason)[:_RESULT_LIMIT]})
        client.beat_now()
        timer = threading.Timer(countdown + self.retry_grace_s, self.end_retry_wait, args=(task_id,))
        timer.daemon = True
        with self.lock:
            self.retrying[task_id] = (client, timer)
        client.start()
        timer.start()

    @staticmethod
    def report(client: HeartbeatClient, retval: Any, state: Optional[str]) -> None:
        if state == "SUCCESS":
            text = repr(retval)
            client.send_completion(True, {"result": text[:_RESULT_LIMIT], "state": state})
        elif isinstance(retval, BaseException):
            client.send_completion(False, {"state": state}, error_message(retval))
        else:
            client.send_completion(False, {"state": state}, f"the task ended in state {state}")


def install(app: Any, api: Union[str, Sequence[str], None] = None, kind: Optional[str] = None,
            monitor: Optional[Dict[str, Any]] = None, interval: float = 30,
            include: Optional[Callable[[Any], bool]] = None, retry_grace_s: float = 300, **options: Any) -> Integration:
    """Makes every task of `app` an execution (`include(task)` may narrow it); other keywords
    (`token`, `jitter`, `spool_dir`, `completion_timeout`, ...) go to each `HeartbeatClient`."""
    integration = Integration(app, api, kind, monitor, interval, include, retry_grace_s, options)
    signals.task_prerun.connect(integration.prerun, weak=False)
    signals.task_postrun.connect(integration.postrun, weak=False)
    app._vigil_integration = integration
    return integration

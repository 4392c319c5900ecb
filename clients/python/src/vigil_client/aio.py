"""The asyncio variant: `AsyncHeartbeatClient` (the same methods, awaitable) and
`async with amonitor(...) as job`. Heartbeats run as a task on the running loop; each request
runs in a worker thread (`asyncio.to_thread`), so a slow node never blocks the loop, and no
dependency beyond `requests` is needed."""
import asyncio
import os
import uuid
from typing import Any, Dict, Optional, Sequence, Union

from .client import HeartbeatClient
from .monitor import Job, _current, outcome_of


class AsyncHeartbeatClient:
    """`HeartbeatClient` for async jobs: `await start()`, `update_status(...)`,
    `await send_completion(...)`, `await stop()`. Takes the same arguments."""

    def __init__(self, api_base_url: Union[str, Sequence[str], None] = None, execution_id: str = "",
                 container_id: Optional[str] = None, heartbeat_interval: float = 30, **options: Any) -> None:
        options.setdefault("handle_signals", False)
        self.sync = HeartbeatClient(api_base_url, execution_id, container_id, heartbeat_interval, **options)
        self._task: "Optional[asyncio.Task[None]]" = None
        self._wake: Optional[asyncio.Event] = None
        self._first: Optional[asyncio.Event] = None

    @property
    def execution_id(self) -> str:
        return self.sync.execution_id

    @property
    def is_running(self) -> bool:
        return self._task is not None and not self._task.done()

    async def start(self) -> None:
        if self.is_running:
            return
        self._wake, self._first = asyncio.Event(), asyncio.Event()
        self._task = asyncio.ensure_future(self._loop())

    async def _loop(self) -> None:
        assert self._wake is not None and self._first is not None
        while not self._wake.is_set():
            try:
                answer = await asyncio.to_thread(self.sync.beat_now)
            except Exception:  # never into the job
                answer = None
            self._first.set()
            if answer is not None and answer.refused and answer.status == 409:
                return
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=self.sync._next_wait())
            except asyncio.TimeoutError:
                pass

    async def stop(self) -> None:
        if self._wake is not None:
            self._wake.set()
        if self._task is not None:
            try:
                await asyncio.wait_for(self._task, timeout=self.sync.nodes.timeout + 5)
            except (asyncio.TimeoutError, asyncio.CancelledError):
                self._task.cancel()

    def update_status(self, status: str, progress: Optional[Dict[str, Any]] = None) -> None:
        self.sync.update_status(status, progress)

    async def send_completion(self, success: bool, result_data: Optional[Dict[str, Any]] = None,
                              error_message: Optional[str] = None) -> bool:
        if self.is_running and self._first is not None:
            try:
                await asyncio.wait_for(self._first.wait(), timeout=self.sync.nodes.timeout * len(self.sync.nodes.bases))
            except asyncio.TimeoutError:
                pass
        return await asyncio.to_thread(self.sync.send_completion, success, result_data, error_message)


class amonitor:  # noqa: N801
    """`async with vigil_client.amonitor(api=...) as job: job.progress(...)`: `monitor` for coroutines."""

    def __init__(self, execution_id: Optional[str] = None, *, api: Union[str, Sequence[str], None] = None,
                 container_id: Optional[str] = None, interval: float = 30, **options: Any) -> None:
        options.setdefault("verbose", False)
        eid = execution_id or os.environ.get("TASK_EXECUTION_ID") or str(uuid.uuid4())
        self.client = AsyncHeartbeatClient(api, eid, container_id, interval, **options)
        self.job = Job(self.client.sync)
        self._token: Any = None

    async def __aenter__(self) -> Job:
        await self.client.start()
        self._token = _current.set(self.job)
        return self.job

    async def __aexit__(self, kind: Any, error: Optional[BaseException], tb: Any) -> None:
        _current.reset(self._token)
        success, message = outcome_of(error)
        if isinstance(error, asyncio.CancelledError):
            success, message = False, "cancelled (asyncio.CancelledError)"
        await self.client.stop()
        await self.client.send_completion(success, self.job.result_data, message)

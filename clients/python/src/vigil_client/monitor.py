"""`with monitor(...) as job:` and `@monitored(...)`: an execution around a block or a function.
A normal end is a successful completion (with `job.result(...)` as its `result_data`); a raised
exception a failed one with its message (and the exception goes on)."""
import contextvars
import functools
import inspect
import os
import uuid
from typing import Any, Callable, Dict, Optional, Sequence, TypeVar, Union, cast

from .client import HeartbeatClient

F = TypeVar("F", bound=Callable[..., Any])

_current: "contextvars.ContextVar[Optional[Job]]" = contextvars.ContextVar("vigil_job", default=None)


def current_job() -> "Optional[Job]":
    """The job of the innermost `monitor` / `monitored` around this code, if any."""
    return _current.get()


def error_message(error: BaseException) -> str:
    """How an exception is reported: `ValueError: bad row 7`."""
    text = str(error)
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def outcome_of(error: Optional[BaseException]) -> "tuple[bool, Optional[str]]":
    """(success, error message) for how a block ended; `sys.exit(0)` is a success."""
    if error is None:
        return True, None
    if isinstance(error, SystemExit) and error.code in (0, None):
        return True, None
    if isinstance(error, KeyboardInterrupt):
        return False, "interrupted (KeyboardInterrupt)"
    return False, error_message(error)


class Job:
    """What a monitored block sees: `progress(...)` merges fields into the next heartbeat,
    `result(...)` sets the completion's `result_data`."""

    def __init__(self, client: HeartbeatClient) -> None:
        self.client = client
        self.result_data: Dict[str, Any] = {}

    @property
    def execution_id(self) -> str:
        return self.client.execution_id

    def progress(self, **fields: Any) -> None:
        """e.g. `job.progress(crawled_urls=45, total_urls=100)`; `percentage` is derived from
        `crawled_urls`/`total_urls` (or `current_step`/`total_steps`) when not given."""
        if "percentage" not in fields:
            for done, total in (("crawled_urls", "total_urls"), ("current_step", "total_steps")):
                merged = {**self.client.task_progress, **fields}
                if isinstance(merged.get(done), (int, float)) and isinstance(merged.get(total), (int, float)) and merged[total]:
                    fields["percentage"] = round(merged[done] / merged[total] * 100, 2)
                    break
        self.client.update_status("running", fields)

    def result(self, **fields: Any) -> None:
        self.result_data.update(fields)


def _make_client(execution_id: Optional[str], api: Union[str, Sequence[str], None], container_id: Optional[str],
                 interval: float, options: Dict[str, Any]) -> HeartbeatClient:
    eid = execution_id or os.environ.get("TASK_EXECUTION_ID") or str(uuid.uuid4())
    options.setdefault("handle_signals", False)
    options.setdefault("verbose", False)
    return HeartbeatClient(api, eid, container_id, interval, **options)


class monitor:  # noqa: N801 (a context manager used like a function)
    """`with vigil_client.monitor(api=..., kind="etl") as job: job.progress(crawled_urls=45, total_urls=100)`.

    `execution_id` defaults to `TASK_EXECUTION_ID`, else a new UUID; `api` to `API_BASE_URL`;
    `container_id` to `HOSTNAME`. Other keywords go to `HeartbeatClient` (`token`, `kind`,
    `monitor`, `jitter`, `spool_dir`, `completion_timeout`, ...). Also `async with`.
    """

    def __init__(self, execution_id: Optional[str] = None, *, api: Union[str, Sequence[str], None] = None,
                 container_id: Optional[str] = None, interval: float = 30, **options: Any) -> None:
        self._args = (execution_id, api, container_id, interval, options)
        self.job: Optional[Job] = None
        self._token: Optional[contextvars.Token] = None  # type: ignore[type-arg]
        self._async: Any = None

    def __enter__(self) -> Job:
        self.job = Job(_make_client(*self._args))
        self.job.client.start()
        self._token = _current.set(self.job)
        return self.job

    def __exit__(self, kind: Any, error: Optional[BaseException], tb: Any) -> None:
        assert self.job is not None
        if self._token is not None:
            _current.reset(self._token)
        success, message = outcome_of(error)
        client = self.job.client
        client.stop()
        client.send_completion(success, self.job.result_data, message)

    async def __aenter__(self) -> Job:
        from .aio import amonitor
        self._async = amonitor(self._args[0], api=self._args[1], container_id=self._args[2], interval=self._args[3], **self._args[4])
        return cast(Job, await self._async.__aenter__())

    async def __aexit__(self, kind: Any, error: Optional[BaseException], tb: Any) -> None:
        await self._async.__aexit__(kind, error, tb)


def monitored(function: Optional[F] = None, *, execution_id: Union[str, Callable[..., str], None] = None,
              api: Union[str, Sequence[str], None] = None, container_id: Optional[str] = None,
              interval: float = 30, **options: Any) -> Any:
    """`@vigil_client.monitored` or `@vigil_client.monitored(kind="etl", interval=10)`: each call
    is an execution (async functions too). `execution_id` may be a function of the call's
    arguments. Inside, `vigil_client.current_job()` is the call's `Job`."""

    def decorate(fn: F) -> F:
        def resolve(args: Any, kwargs: Any) -> Optional[str]:
            return execution_id(*args, **kwargs) if callable(execution_id) else execution_id

        if inspect.iscoroutinefunction(fn):
            @functools.wraps(fn)
            async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
                async with monitor(resolve(args, kwargs), api=api, container_id=container_id, interval=interval, **options) as job:
                    value = await fn(*args, **kwargs)
                    if isinstance(value, dict):
                        job.result_data.update(value)
                    return value
            return cast(F, async_wrapper)

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with monitor(resolve(args, kwargs), api=api, container_id=container_id, interval=interval, **options) as job:
                value = fn(*args, **kwargs)
                if isinstance(value, dict):
                    job.result_data.update(value)
                return value
        return cast(F, wrapper)

    return decorate(function) if function is not None else decorate

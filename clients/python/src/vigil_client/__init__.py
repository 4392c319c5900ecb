"""Vigil's Python client: heartbeats and completions for the seed 003/004 HTTP contract.

- `HeartbeatClient`: seed 004's class, a drop-in (change one import), with several node URLs
  and failover, `VIGIL_TOKEN`, jitter, no exceptions into the job, the completion spooled.
- `monitor(...)` / `@monitored(...)`: an execution around a block or a function.
- `AsyncHeartbeatClient`, `amonitor(...)`: the same for asyncio.
- `vigil_client.celery.install(app, ...)`: every Celery task an execution.
- `flush_spool(...)`: send the completions spooled here or by `vigil run`.
"""
from ._spool import CompletionSpool, default_spool_dir
from ._transport import Answer, Nodes
from .aio import AsyncHeartbeatClient, amonitor
from .client import HeartbeatClient, flush_spool
from .monitor import Job, current_job, monitor, monitored

__all__ = [
    "Answer", "AsyncHeartbeatClient", "CompletionSpool", "HeartbeatClient", "Job", "Nodes", "amonitor",
    "current_job", "default_spool_dir", "flush_spool", "monitor", "monitored",
]
__version__ = "0.1.0"

"""The completion spool, in `vigil run`'s format (Sources/RunWrapper/CompletionSpool.swift), so
either one flushes the other's: one file `<execution_id>.json` per completion, holding exactly the
body POSTed to `/api/v1/monitoring/completion`, written to `<file>.<pid>.tmp`, fsynced and
renamed, then the directory fsynced. Pending files are sent oldest name first."""
import os
from typing import List, Optional, Tuple


def default_spool_dir() -> str:
    """`VIGIL_SPOOL_DIR`, else `$XDG_STATE_HOME/vigil/spool`, else `~/.local/state/vigil/spool`,
    else `$TMPDIR/vigil-spool` (the order `vigil run` uses)."""
    env = os.environ
    if env.get("VIGIL_SPOOL_DIR"):
        return env["VIGIL_SPOOL_DIR"]
    if env.get("XDG_STATE_HOME"):
        return env["XDG_STATE_HOME"] + "/vigil/spool"
    if env.get("HOME"):
        return env["HOME"] + "/.local/state/vigil/spool"
    return env.get("TMPDIR", "/tmp") + "/vigil-spool"


class CompletionSpool:
    """Completions not yet taken by a node, one durable file each."""

    def __init__(self, directory: Optional[str] = None) -> None:
        self.directory = directory or default_spool_dir()

    def write(self, execution_id: str, body: bytes) -> str:
        """Writes a completion durably; returns its path. Raises OSError when it cannot."""
        os.makedirs(self.directory, exist_ok=True)
        path = f"{self.directory}/{execution_id}.json"
        temporary = f"{path}.{os.getpid()}.tmp"
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            view = memoryview(body)
            while view:
                view = view[os.write(fd, view):]
            os.fsync(fd)
        except OSError:
            os.close(fd)
            os.unlink(temporary)
            raise
        os.close(fd)
        os.rename(temporary, path)
        try:
            dfd = os.open(self.directory, os.O_RDONLY)
            try:
                os.fsync(dfd)
            finally:
                os.close(dfd)
        except OSError:
            pass
        return path

    def pending(self) -> List[Tuple[str, bytes]]:
        """Spooled completions, oldest name first (as `vigil run --flush` reads them)."""
        try:
            names = sorted(n for n in os.listdir(self.directory) if n.endswith(".json"))
        except OSError:
            return []
        out = []
        for name in names:
            path = f"{self.directory}/{name}"
            try:
                with open(path, "rb") as f:
                    out.append((path, f.read()))
            except OSError:
                continue
        return out

    def remove(self, path: str) -> None:
        try:
            os.unlink(path)
        except OSError:
            pass

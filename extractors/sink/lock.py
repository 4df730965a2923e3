"""One run per output directory: an OS lock that dies with its process."""

import logging
from pathlib import Path
from typing import Protocol

from filelock import FileLock, Timeout

from extractors.discover.storage import is_remote
from extractors.errors import OutputLockedError
from extractors.sink.store import Location, not_writable

_log = logging.getLogger(__name__)


LOCK_NAME = ".visionbatch.lock"


class OutputLock(Protocol):
    def release(self) -> None: ...


class _NoLock:
    """Object stores have no lock: one run per remote output is the user's to keep."""

    def release(self) -> None:
        return None


def lock_output(out_dir: Location) -> OutputLock:
    """Hold DIR for this run; OutputLockedError at once if another run holds it.

    The lock is an OS file lock (flock), so the kernel drops it when its process dies, even on
    SIGKILL: a killed run never leaves DIR locked. A remote DIR is not locked.
    """
    if is_remote(str(out_dir)):
        _log.warning("%s is remote and cannot be locked: run one visionbatch per output", out_dir)
        return _NoLock()
    folder = Path(out_dir)
    lock = FileLock(folder / LOCK_NAME, timeout=0)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        lock.acquire()
    except Timeout:
        raise OutputLockedError(
            f"another visionbatch run is writing to {out_dir}; wait for it to finish "
            "or choose another --out"
        ) from None
    except OSError as exc:
        raise not_writable(out_dir, exc) from exc
    return lock

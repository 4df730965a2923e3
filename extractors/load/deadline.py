"""Render deadlines: each worker says which call it starts and when; one past its deadline
is killed, since a page MuPDF draws for ever holds its process and nothing else stops it.

The clock starts when a worker takes the call, not when it is queued, so a page waiting
behind a slow one is not blamed for it. A call never announced (the worker still starting,
or busy with a call queued before it) is not overdue.
"""

import os
import signal
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from multiprocessing.context import BaseContext
from multiprocessing.queues import SimpleQueue
from typing import TypeVar

from extractors.errors import SourceError

T = TypeVar("T")

# A worker process's channel to the rasteriser (see `announce_on`); None on a thread.
_ANNOUNCE: "SimpleQueue[tuple[int, int, float]] | None" = None


class RenderTimeoutError(SourceError):
    """A call ran past the render deadline; its worker was killed."""


def announce_on(channel: "SimpleQueue[tuple[int, int, float]] | None") -> None:
    """Set in each worker process by its initializer."""
    global _ANNOUNCE
    _ANNOUNCE = channel


def run_announced(token: int, call: Callable[[], T]) -> T:
    """Say which process starts the call, and when, then run it (in a worker process)."""
    if _ANNOUNCE is not None:
        _ANNOUNCE.put((token, os.getpid(), time.monotonic()))
    return call()


class WorkerWatch:
    """The rasteriser's side: calls in flight, and the worker and start time of each."""

    def __init__(self, context: BaseContext) -> None:
        # A SimpleQueue writes in the caller's thread: a Queue's feeder thread would wait for
        # the GIL, which the worker's MuPDF call holds, and the announcement would never come.
        self.channel: SimpleQueue[tuple[int, int, float]] = context.SimpleQueue()
        self._next = 0
        self._pending: set[int] = set()
        self._started: dict[int, tuple[int, float]] = {}

    def begin(self) -> int:
        """A token for a call about to be submitted."""
        self._next += 1
        self._pending.add(self._next)
        return self._next

    def end(self, token: int) -> None:
        self._pending.discard(token)
        self._started.pop(token, None)

    def overdue(self, token: int, seconds: float) -> int | None:
        """The process running the call, when it has run longer than `seconds`."""
        self._drain()
        started = self._started.get(token)
        if started is None or time.monotonic() - started[1] <= seconds:
            return None
        return started[0]

    def kill(self, pid: int) -> None:
        """Stop a worker stuck in native code (no signal handler of Python runs there)."""
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            return  # it finished and left on its own, just now: nothing to stop

    def close(self) -> None:
        self.channel.close()

    def _drain(self) -> None:
        while not self.channel.empty():
            token, pid, started = self.channel.get()
            if token in self._pending:  # announcements of calls already done are dropped
                self._started[token] = (pid, started)


# How long a closing pool's workers may take to finish the page they are on.
_CLOSING_GRACE = 2.0


def stop_pool(pool: ProcessPoolExecutor) -> None:
    """Shut a pool down without waiting on a worker stuck in a page: past a short grace, its
    workers are killed (a page half drawn is lost, nothing else)."""
    processes = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    until = time.monotonic() + _CLOSING_GRACE
    for process in processes:
        process.join(max(0.0, until - time.monotonic()))
        if process.is_alive():
            process.kill()
            process.join()
    pool.shutdown(wait=True)

"""Starting the render workers in the background, and waiting for them without blocking.

`ProcessPoolExecutor.submit` spawns workers under a lock, so a submit from the event loop while
the workers start would hold the loop for their spawning (measured: 0.36-0.46 s at the start of
a run, with nothing sent meanwhile). The workers are started on a thread instead, and the loop
awaits an event that the thread sets.
"""

import asyncio
import concurrent.futures
import contextlib
import multiprocessing
import multiprocessing.context
import multiprocessing.forkserver
import threading
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor

from extractors.load.worker import warm_up

# What the fork server imports once, so that every worker forks with the renderer loaded.
_PRELOAD = "extractors.load.rasteriser"


def fork_server_context() -> multiprocessing.context.ForkServerContext:
    """The context render workers start in: forked from a clean server process that imported
    the renderer once, instead of forking the run's own threads or importing anew each time."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([_PRELOAD])
    return context


def start_fork_server() -> None:
    """Launch the fork server now (~0.3 s: it imports the renderer), so that a run's first page
    does not wait for it; call off the event loop, before the run needs a worker."""
    fork_server_context()
    multiprocessing.forkserver.ensure_running()


class WorkersDidNotStart(RuntimeError):
    """The render pool could not start a worker (raised to every call that waited for one)."""


class WorkerStart:
    """One pool's workers started on a thread; awaited on the loop that asked for them."""

    def __init__(self) -> None:
        self.thread: threading.Thread | None = None
        self.up = threading.Event()
        self._up_on_loop: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self.failure: BaseException | None = None

    @property
    def begun(self) -> bool:
        return self.thread is not None

    def begin(
        self,
        executor: ProcessPoolExecutor,
        workers: int,
        closing: threading.Lock,
        closed: Callable[[], bool],
    ) -> None:
        """Submit one no-op per worker on a thread; `closed` (read under `closing`, the lock
        the pool's close takes first) stops it from submitting to a pool already shut down."""
        loop = self._loop = _running_loop()
        up_on_loop = self._up_on_loop = asyncio.Event() if loop is not None else None

        def start_workers() -> None:
            try:
                with closing:
                    if closed():
                        return
                    started = [executor.submit(warm_up) for _ in range(workers)]
                # A worker that dies warming up breaks the pool as any crash does: the calls
                # then find it broken and the rasteriser replaces it. A pool closed meanwhile
                # may never settle these futures (its workers killed after the manager left),
                # so the thread stops waiting once the pool is closed.
                while concurrent.futures.wait(started, timeout=0.25).not_done and not closed():
                    pass
            except BaseException as exc:  # noqa: BLE001 - kept, and raised to every waiter
                # Spawning itself failed. Waiters are woken either way: a pool that cannot
                # start must fail the run's pages, not leave them waiting for workers that
                # will never come.
                self.failure = exc
            finally:
                self.up.set()
                if loop is not None and up_on_loop is not None:
                    # A run that ended meanwhile closed its loop: nobody is left waiting.
                    with contextlib.suppress(RuntimeError):
                        loop.call_soon_threadsafe(up_on_loop.set)

        self.thread = threading.Thread(target=start_workers, name="rasterise-start", daemon=True)
        self.thread.start()

    async def wait_on_loop(self) -> None:
        """Return once the workers are up; WorkersDidNotStart if they could not be."""
        if self.thread is not None and not self.up.is_set():
            if self._up_on_loop is not None and self._loop is asyncio.get_running_loop():
                await self._up_on_loop.wait()
            else:  # started from plain code or from a loop that has ended since
                await asyncio.to_thread(self.up.wait)
        if self.failure is not None:
            reason = str(self.failure).strip().splitlines()
            raise WorkersDidNotStart(
                f"the render workers could not start: {type(self.failure).__name__}"
                + (f": {reason[0].strip()}" if reason else "")
            ) from self.failure


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:  # started from plain code (a test, a benchmark): no loop to wake
        return None

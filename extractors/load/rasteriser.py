"""Opening and rendering documents in worker processes, so that every core draws pages.

PyMuPDF holds the GIL while it renders and is not thread-safe, so threads cannot render in
parallel; processes can. Each worker process keeps the documents it has open (a few, least
recently used first out), so the pages of one document are drawn without reopening it. The
event loop sends one page per task, so a chunk's pages are drawn on all cores at once, and a
crash inside MuPDF takes down one worker, not the run.

Every call has a deadline (`RenderOptions.render_timeout`): a page that MuPDF draws for
ever (nested form XObjects drawing each other twice, 2^34 times) gets its worker killed and
becomes an error row. Nothing is drawn on a thread of the run's own process, where such a page
would hold the GIL and the run would answer no signal. Only with `workers=0` (a daemonic Dask
worker, which may not start processes of its own) do the same functions run on one thread of
the calling process, and there no deadline can be kept.
"""

import asyncio
import heapq
import itertools
import logging
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from functools import partial
from typing import TypeVar

from extractors.errors import SourceError
from extractors.load.deadline import RenderTimeoutError, WorkerWatch, run_announced, stop_pool
from extractors.load.draw_rate import DrawRate
from extractors.load.worker import (
    close_all_on_this_thread,
    close_in_worker,
    configure_process,
    configure_thread,
    read_layout_in_worker,
    render_in_worker,
)
from extractors.load.worker_start import WorkerStart, fork_server_context
from extractors.options import RasterOptions
from extractors.records import DocumentLayout, PlannedPage, RenderedImage, SourceFile

T = TypeVar("T")

_log = logging.getLogger(__name__)

# The urgency of reading a layout: after every page (a page's urgency is its chunk's size).
_LAYOUT = 1_000


class Rasteriser:
    """Reads layouts and renders pages on worker processes, awaited from the event loop.

    Work is handed to the workers a few calls at a time, most urgent first: the pages of the
    smallest chunks, then layouts, then in the order asked. So pages of one chunk are drawn
    together and it is sent as soon as it can be, and a one-page request is not kept waiting
    behind twelve-page ones: at the start of a run the endpoint fills up with what is quickest
    to prepare. A page drawn lets a request go now, where a layout only plans later ones:
    with layouts first, a run laid out every open document (34 at --concurrency 16) before
    it drew a page, and 20 twelve-page documents kept the endpoint busy 0.94-0.97 of the
    ideal, 0.97-0.98 with layouts after pages (4 runs each of benchmarks/saturation.py's
    shape).
    """

    def __init__(self, options: RasterOptions | None = None) -> None:
        self.options = options or RasterOptions()
        self._context = fork_server_context()
        self._watch = WorkerWatch(self._context)
        self._executor = self._new_executor()
        self._restarts = 0
        # Calls handed to the executor at once: one running and one queued per worker, so a
        # worker never waits on the round trip for its next page.
        self._slots = 2 * max(1, self.options.workers)
        self._busy = 0
        self.draw_rate = DrawRate()
        self._waiting: list[tuple[int, int, asyncio.Future[None]]] = []
        self._order = itertools.count()
        self._start = WorkerStart()
        self._first_executor = self._executor
        self._closing = threading.Lock()
        self._closed = False
        # Where calls caught in a crash run again, one at a time (see `_call`).
        self._quarantine: ProcessPoolExecutor | None = None
        self._quarantine_lock = asyncio.Lock()

    @property
    def workers(self) -> int:
        return self.options.workers

    @property
    def restarts(self) -> int:
        """How many times a dead worker made the pool start again."""
        return self._restarts

    def start(self) -> None:
        """Start every worker (once), in the background (the fork server first imports the
        renderer, ~0.3 s, unless `start_fork_server` ran before); calls wait for them."""
        if self.options.workers <= 0 or self._start.begun:
            return
        executor = self._executor
        assert isinstance(executor, ProcessPoolExecutor)
        self._start.begin(executor, self.workers, self._closing, lambda: self._closed)

    async def wait_started(self) -> None:
        """Return once the worker processes are up (calls go to them from then on)."""
        self.start()
        await self._start.wait_on_loop()

    async def layout(self, source: SourceFile) -> DocumentLayout:
        """The document's pages and sizes; SourceError when it cannot be read."""
        # Workers start with the first document a run opens: a run that finds everything
        # done starts none.
        self.start()
        try:
            return await self._call(_LAYOUT, partial(read_layout_in_worker, source))
        except BrokenProcessPool as exc:
            raise SourceError("the renderer crashed while opening this file") from exc
        except RenderTimeoutError:
            pass
        # Reading a page's text walks what drawing it walks: a page that never ends drawing
        # never ends its text either. Read without the text layer, so that one page, not
        # the whole file, becomes an error when it is drawn.
        try:
            return await self._call(_LAYOUT, partial(read_layout_in_worker, source, False))
        except BrokenProcessPool as exc:
            raise SourceError("the renderer crashed while opening this file") from exc
        except RenderTimeoutError:
            seconds = self.options.render.render_timeout
            raise SourceError(f"opening the file took longer than {seconds:g} s") from None

    async def render(
        self, source: SourceFile, pages: Sequence[PlannedPage], pad_to_square: bool
    ) -> list[RenderedImage | SourceError]:
        """The pages drawn in parallel, in order; a page that cannot be drawn gives its error."""
        urgency = len(pages)
        drawn = await asyncio.gather(
            *(self._render_page(urgency, source, page, pad_to_square) for page in pages)
        )
        return list(drawn)

    async def release(self, source: SourceFile) -> None:
        """Done with a document: close it where it is open (on the one thread, workers=0).

        Worker processes close documents as newer ones push them out, since a task cannot
        choose its process; each keeps at most a few open.
        """
        if self.options.workers <= 0:
            await self._call(0, partial(close_in_worker, source))

    def close(self) -> None:
        with self._closing:
            self._closed = True
        if isinstance(self._executor, ThreadPoolExecutor):
            self._executor.submit(close_all_on_this_thread).result()
            self._executor.shutdown(wait=True, cancel_futures=True)
        elif isinstance(self._executor, ProcessPoolExecutor):
            stop_pool(self._executor)
        if self._quarantine is not None:
            stop_pool(self._quarantine)
        self._watch.close()

    async def _render_page(
        self, urgency: int, source: SourceFile, page: PlannedPage, pad_to_square: bool
    ) -> RenderedImage | SourceError:
        call = partial(render_in_worker, source, page, pad_to_square)
        try:
            drawn = await self._call(urgency, call)
            self.draw_rate.page_drawn(time.monotonic(), backlog=bool(self._waiting))
            return drawn
        except BrokenProcessPool:
            return SourceError(f"cannot render page {page.page}: the renderer crashed on it")
        except RenderTimeoutError as exc:
            return exc

    async def _call(self, urgency: int, call: Callable[[], T]) -> T:
        """Run in a worker, lowest `urgency` first. When a worker dies, every call waiting on
        its pool fails with it; each is then run again alone, on a process of its own, so that
        only the call that kills its process ends in an error."""
        await self._admitted(urgency)
        executor = self._executor
        try:
            return await self._run(executor, call)
        except BrokenProcessPool:
            self._replace(executor)
        except RenderTimeoutError:
            self._replace(executor)
            raise
        finally:
            self._leave()
        async with self._quarantine_lock:
            if self._quarantine is None:
                self._quarantine = self._process_pool(1)
            quarantine = self._quarantine
            try:
                return await self._run(quarantine, call)
            except (BrokenProcessPool, RenderTimeoutError):
                self._quarantine = None
                quarantine.shutdown(wait=False, cancel_futures=True)
                raise

    async def _run(self, executor: Executor, call: Callable[[], T]) -> T:
        """The call's result; RenderTimeoutError, its worker killed, past the deadline."""
        loop = asyncio.get_running_loop()
        if not isinstance(executor, ProcessPoolExecutor):
            return await loop.run_in_executor(executor, call)  # a thread: nothing can stop it
        if executor is self._first_executor:
            # Not before its workers are up: a submit meanwhile would hold this loop while
            # they spawn (see worker_start).
            await self._start.wait_on_loop()
        seconds = self.options.render.render_timeout
        token = self._watch.begin()
        running = loop.run_in_executor(executor, partial(run_announced, token, call))
        try:
            while True:
                done, _ = await asyncio.wait({running}, timeout=min(0.25, seconds / 4))
                if done:
                    return running.result()
                stuck = self._watch.overdue(token, seconds)
                if stuck is not None:
                    self._watch.kill(stuck)
                    raise RenderTimeoutError(f"rendering took longer than {seconds:g} s")
        finally:
            self._watch.end(token)

    async def _admitted(self, urgency: int) -> None:
        """Wait for one of the executor's slots, before any less urgent caller."""
        ticket = asyncio.get_running_loop().create_future()
        heapq.heappush(self._waiting, (urgency, next(self._order), ticket))
        self._admit()
        try:
            await ticket
        except asyncio.CancelledError:
            if ticket.done() and not ticket.cancelled():
                self._leave()  # granted just as the caller was cancelled: hand it on
            raise

    def _admit(self) -> None:
        while self._busy < self._slots and self._waiting:
            _, _, ticket = heapq.heappop(self._waiting)
            if not ticket.cancelled():
                self._busy += 1
                ticket.set_result(None)

    def _leave(self) -> None:
        self._busy -= 1
        self._admit()

    def _new_executor(self) -> Executor:
        if self.options.workers <= 0:
            return self._thread()
        return self._process_pool(self.options.workers)

    def _thread(self) -> ThreadPoolExecutor:
        settings = (self.options.render, self.options.password)
        return ThreadPoolExecutor(
            max_workers=1,
            thread_name_prefix="rasterise",
            initializer=configure_thread,
            initargs=settings,
        )

    def _process_pool(self, workers: int) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            max_workers=workers,
            mp_context=self._context,
            initializer=configure_process,
            initargs=(self.options.render, self.options.password, self._watch.channel),
        )

    def _replace(self, broken: Executor) -> None:
        """A new pool for a broken one, once, whichever of its waiting calls notices first."""
        if self._executor is not broken:
            return
        self._restarts += 1
        _log.warning("a renderer process died; starting new ones (restart %d)", self._restarts)
        broken.shutdown(wait=False, cancel_futures=True)
        self._context = fork_server_context()
        self._watch = WorkerWatch(self._context)
        self._executor = self._new_executor()

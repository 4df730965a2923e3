"""Shards of documents as Prefect tasks, a few at a time, with the run's progress."""

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from uuid import UUID

from prefect import task
from prefect.artifacts import (
    acreate_progress_artifact,
    aupdate_progress_artifact,
)
from prefect.cache_policies import NO_CACHE

from extractors.discover.files import count, shards
from extractors.discover.local_walk import FoundInput
from extractors.document.session import ExtractionSession
from extractors.document.shard import ShardSummary
from extractors.options import DiscoveryOptions
from extractors.progress import ProgressListener


@task(name="extract-shard", cache_policy=NO_CACHE, persist_result=False)
async def extract_shard(
    session: ExtractionSession, paths: list[FoundInput], name: str
) -> ShardSummary:
    """Extract one shard of documents; its rows land in part files named after the shard."""
    return await session.extract_shard(paths, name)


class RunProgress:
    """The files bar's total, counted beside the run, and a Prefect progress artifact that the
    UI shows for scheduled and deployed runs."""

    def __init__(self, listener: ProgressListener, artifact: UUID) -> None:
        self._listener = listener
        self._artifact = artifact
        self._total: int | None = None
        self._done = 0
        self._counting: asyncio.Task[int] | None = None

    @classmethod
    async def start(
        cls,
        listener: ProgressListener,
        inputs: list[str],
        excluded: tuple[str, ...],
        options: DiscoveryOptions,
    ) -> "RunProgress":
        artifact = await acreate_progress_artifact(
            progress=0.0, key="visionbatch-progress", description="documents done"
        )
        tracker = cls(listener, artifact)
        # A second walk that only counts, so that the bar has a total (and an ETA) while the
        # stream of files is still being discovered and processed.
        counting = asyncio.create_task(asyncio.to_thread(count, inputs, excluded, options))
        counting.add_done_callback(tracker._counted)
        tracker._counting = counting  # the event loop keeps only a weak reference to a task
        return tracker

    def _counted(self, counting: "asyncio.Task[int]") -> None:
        if not counting.cancelled() and counting.exception() is None:
            self._total = counting.result()
            self._listener.documents_found(self._total)

    async def shard_done(self, shard: ShardSummary, on_worker: bool) -> None:
        self._done += shard.documents
        if on_worker:  # in-process shards tell the listener document by document
            self._listener.documents_done(shard.documents)
            self._listener.pages_finished(shard.pages_ok, shard.pages_error)
        if self._total:
            share = min(100.0, 100.0 * self._done / self._total)
            await aupdate_progress_artifact(self._artifact, progress=share)


ShardRunner = Callable[[int, list[FoundInput]], Awaitable[tuple[ShardSummary, bool]]]


async def run_windowed(
    paths: Iterator[FoundInput], size: int, window: int, run: ShardRunner, tracker: RunProgress
) -> ShardSummary:
    """Shards in order, at most `window` at once: discovery never runs far ahead of the work."""
    totals = ShardSummary()
    running: set[asyncio.Task[tuple[ShardSummary, bool]]] = set()

    async def collect(done: set[asyncio.Task[tuple[ShardSummary, bool]]]) -> None:
        for finished in done:
            shard, on_worker = finished.result()  # re-raises a shard's RunAbortedError
            totals.absorb(shard)
            await tracker.shard_done(shard, on_worker)

    try:
        for index, shard_paths in enumerate(shards(paths, size)):
            if len(running) >= window:
                done, running = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
                await collect(done)
            running.add(asyncio.ensure_future(run(index, shard_paths)))
        if running:
            done, running = await asyncio.wait(running)
            await collect(done)
    finally:
        for leftover in running:
            leftover.cancel()
        if running:
            # Stopped (a signal, a failed shard): the shards unwind before the session closes
            # its client, or a chunk mid-way would send on a closed client and log an error.
            await asyncio.wait(running)
            for leftover in running:  # what each ended with is the failure's or the signal's
                if not leftover.cancelled():
                    leftover.exception()
    return totals


async def run_shards(
    session: ExtractionSession, paths: Iterator[FoundInput], size: int, tracker: RunProgress
) -> ShardSummary:
    async def run(index: int, shard_paths: list[FoundInput]) -> tuple[ShardSummary, bool]:
        return await extract_shard(session, shard_paths, f"{index:05d}"), False

    window = session.in_flight.shard_window(size)
    return await run_windowed(paths, size, window, run, tracker)

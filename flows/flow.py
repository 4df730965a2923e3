"""The Prefect flow: a run is one flow, its work tasks of document shards (never one per page).

Measured (../shared/docs/prefect.md): a task run costs 5-10 ms and the local server records
only ~40 a second, so tasks are shards of documents and the concurrency inside them is asyncio.
"""

import asyncio
import math
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import AbstractContextManager as ContextManager
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from uuid import UUID

import dask
from prefect import flow, task
from prefect.artifacts import (
    acreate_progress_artifact,
    acreate_table_artifact,
    aupdate_progress_artifact,
)
from prefect.cache_policies import NO_CACHE
from prefect_dask import DaskTaskRunner

from extractors.discover import DiscoveryOptions, check_inputs, count, discover, shards
from extractors.local_engine import process_local_engine, serve_local_engine
from extractors.pricing import DEFAULT_PRICES
from extractors.progress import NoProgress, ProgressListener
from extractors.rasterise import available_cores
from extractors.session import ExtractionSession, ShardSummary
from extractors.storage import normalise_location
from flows.config import ResolvedRun, RunRequest, Secrets, resolve_run
from flows.settings import EnvironmentSettings
from schemas import RunSummary

# Shards in progress at once, at least: the next shard opens its documents while the last
# one's requests finish, so the request slots never drain at a shard boundary.
SHARD_WINDOW = 2


@dataclass(frozen=True)
class RunHooks:
    """What the caller hands the flow outside its parameters: secrets and a progress listener."""

    secrets: Secrets | None = None
    progress: ProgressListener = field(default_factory=NoProgress)


_HOOKS: ContextVar[RunHooks | None] = ContextVar("visionbatch_run_hooks", default=None)


@asynccontextmanager
async def run_hooks(hooks: RunHooks) -> AsyncIterator[None]:
    """Give the flow called inside this block these secrets and this progress listener."""
    token = _HOOKS.set(hooks)
    try:
        yield
    finally:
        _HOOKS.reset(token)


def current_hooks() -> RunHooks:
    """The hooks of the enclosing `run_hooks` block, or none.

    The flow reads its hooks through this function, never the ContextVar itself: Dask
    pickles the flow's function by value, with the globals it names, and a ContextVar does
    not pickle.
    """
    return _HOOKS.get() or RunHooks()


def secrets_from_environment() -> Secrets:
    settings = EnvironmentSettings()
    return Secrets(
        api_key=settings.api_key.get_secret_value() if settings.api_key else "",
        password=settings.password.get_secret_value() if settings.password else None,
    )


def request_with_environment(request: RunRequest) -> RunRequest:
    """Fill what the flags left out from VISIONBATCH_* (flags win)."""
    settings = EnvironmentSettings()
    return request.model_copy(
        update={
            "provider": request.provider or settings.provider,
            "base_url": request.base_url or settings.base_url,
            "model": request.model or settings.model,
        }
    )


@task(name="extract-shard", cache_policy=NO_CACHE, persist_result=False)
async def extract_shard(session: ExtractionSession, paths: list[str], name: str) -> ShardSummary:
    """Extract one shard of documents; its rows land in part files named after the shard."""
    return await session.extract_shard(paths, name)


@task(name="extract-shard-on-worker", cache_policy=NO_CACHE, persist_result=False)
async def extract_shard_on_worker(
    plan: "WorkerPlan", locations: list[str], name: str
) -> ShardSummary:
    """A shard on a Dask worker: it builds its own client, pool and rasteriser from the plan
    (nothing of the flow's process is shared) and writes its own part files into OUT."""
    resolved = resolve_run(plan.request, plan.secrets, plan.run_id)
    if resolved.uses_local_engine:
        engine = process_local_engine(plan.engine_threads)
        resolved = replace(resolved, endpoint=replace(resolved.endpoint, base_url=engine))
    session = ExtractionSession(
        plan.out,
        resolved.extraction,
        resolved.endpoint,
        resolved.rows,
        resolved.concurrency,
        rates=resolved.rates,
        owner=False,
    )
    async with session:
        summary = await session.extract_shard(locations, name)
    summary.requests = session.pool.stats
    return summary


@dataclass(frozen=True)
class WorkerPlan:
    """What a Dask worker needs to run shards of this run (pickled to it by Dask)."""

    request: RunRequest
    secrets: Secrets
    run_id: str
    out: str
    # onnxruntime threads of each worker's embedded engine: the machine's share of a
    # LocalCluster's worker, or None (every core) on a cluster of other machines.
    engine_threads: int | None = None


@flow(name="visionbatch-extract", persist_result=False, log_prints=False)
async def extract(request: RunRequest) -> RunSummary:
    """Files in, one Parquet row per page (or document) out, through a vision endpoint."""
    started = time.monotonic()
    hooks = current_hooks()
    request = request_with_environment(request)
    secrets = hooks.secrets or secrets_from_environment()
    resolved = resolve_run(request, secrets)
    inputs = [normalise_location(p) for p in request.inputs]
    out = normalise_location(request.out)
    check_inputs(inputs)
    tracker = await RunProgress.start(hooks.progress, inputs, out, request.discovery)
    endpoint = _endpoint(resolved) if request.dask is None else _no_endpoint(resolved)
    async with endpoint as resolved:
        session = ExtractionSession(
            out,
            resolved.extraction,
            resolved.endpoint,
            resolved.rows,
            resolved.concurrency,
            hooks.progress,
            resolved.rates,
            render_workers=request.render_workers,
        )
        async with session:
            paths = discover(inputs, exclude=out, options=request.discovery)
            if request.dask is None:
                totals = await _run_shards(session, paths, request.shard_size, tracker)
                totals.requests = session.pool.stats
            else:
                plan = WorkerPlan(
                    request, secrets, resolved.rows.run_id, out, _engine_threads(request)
                )
                totals = await _run_on_dask(plan, paths, tracker)
            session.compact()
    summary = _summarise(resolved, request, session, totals, started)
    table = [{"metric": k, "value": v} for k, v in summary.model_dump().items()]
    table.append({"metric": "estimated_cost", "value": _estimated_cost(summary)})
    await acreate_table_artifact(
        table=table,
        key="visionbatch-run-summary",
        description=f"visionbatch run {summary.run_id} into {summary.out}",
    )
    return summary


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
        out: str,
        options: DiscoveryOptions,
    ) -> "RunProgress":
        artifact = await acreate_progress_artifact(
            progress=0.0, key="visionbatch-progress", description="documents done"
        )
        tracker = cls(listener, artifact)
        # A second walk that only counts, so that the bar has a total (and an ETA) while the
        # stream of files is still being discovered and processed.
        counting = asyncio.create_task(asyncio.to_thread(count, inputs, out, options))
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


@asynccontextmanager
async def _endpoint(resolved: ResolvedRun) -> AsyncIterator[ResolvedRun]:
    """The run as configured, or pointed at the embedded engine started for it."""
    if not resolved.uses_local_engine:
        yield resolved
        return
    with serve_local_engine() as base_url:
        yield replace(resolved, endpoint=replace(resolved.endpoint, base_url=base_url))


@asynccontextmanager
async def _no_endpoint(resolved: ResolvedRun) -> AsyncIterator[ResolvedRun]:
    """On Dask the workers reach the endpoint (and start their own embedded engines)."""
    yield resolved


ShardRunner = Callable[[int, list[str]], Awaitable[tuple[ShardSummary, bool]]]


async def _run_windowed(
    paths: Iterator[str], size: int, window: int, run: ShardRunner, tracker: RunProgress
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
    return totals


async def _run_shards(
    session: ExtractionSession, paths: Iterator[str], size: int, tracker: RunProgress
) -> ShardSummary:
    async def run(index: int, shard_paths: list[str]) -> tuple[ShardSummary, bool]:
        return await extract_shard(session, shard_paths, f"{index:05d}"), False

    # Two shards in their last documents at once must still leave a full shard's worth of
    # documents open beside them (measured: with two shards of 64 at --concurrency 16, the
    # endpoint went a quarter second without a request whenever both ran dry together).
    window = max(SHARD_WINDOW, 2 + math.ceil(session.open_documents / size))
    return await _run_windowed(paths, size, window, run, tracker)


async def _run_on_dask(
    plan: WorkerPlan, paths: Iterator[str], tracker: RunProgress
) -> ShardSummary:
    request = plan.request
    runner = dask_task_runner(request.dask or "local", request.dask_workers)
    with _worker_environment(), runner:
        workers = max(1, len(runner.client.scheduler_info().get("workers", {})))

        async def run(index: int, shard_paths: list[str]) -> tuple[ShardSummary, bool]:
            parameters = {"plan": plan, "locations": shard_paths, "name": f"{index:05d}"}
            future = runner.submit(extract_shard_on_worker, parameters=parameters)
            return await asyncio.to_thread(future.result), True

        # Two shards per worker: one running, the next one queued behind it.
        return await _run_windowed(paths, request.shard_size, 2 * workers, run, tracker)


def dask_task_runner(where: str, workers: int | None = None) -> DaskTaskRunner:
    """Prefect's Dask task runner on a new LocalCluster (`local`) or an existing scheduler."""
    if where != "local":
        return DaskTaskRunner(address=where)
    # One thread per worker process: a shard's own asyncio loop does the concurrency, and
    # PyMuPDF is not thread-safe.
    cluster = {"n_workers": workers or available_cores(), "threads_per_worker": 1}
    return DaskTaskRunner(cluster_kwargs=cluster)


def _worker_environment() -> ContextManager[None]:
    """Dask's environment for the worker processes of a LocalCluster, without its malloc trim.

    Dask sets MALLOC_TRIM_THRESHOLD_ in every worker to hand memory back to the OS sooner.
    That also stops glibc from raising its mmap threshold, so every large buffer (onnxruntime's
    tensors, decoded pages) is mapped and unmapped again: measured here, OCR took 5-14 s a
    receipt in a worker against 3 s in a plain process, most of it in the kernel.
    """
    return dask.config.set({"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None})


def _engine_threads(request: RunRequest) -> int | None:
    if request.dask != "local":
        return None
    return max(1, available_cores() // (request.dask_workers or available_cores()))


def _estimated_cost(summary: RunSummary) -> str:
    """This run's tokens at the default list price (`visionbatch report --prices` for yours)."""
    price = DEFAULT_PRICES.price_of(summary.provider, summary.model)
    if price is None:
        return "unknown (no price for this provider and model)"
    cost = price.cost(summary.prompt_tokens, summary.completion_tokens)
    return f"{cost:.4f} {price.currency}"


def _summarise(
    resolved: ResolvedRun,
    request: RunRequest,
    session: ExtractionSession,
    totals: ShardSummary,
    started: float,
) -> RunSummary:
    stats = totals.requests
    concurrency = session.pool.concurrency.report
    return RunSummary(
        run_id=resolved.rows.run_id,
        out=request.out,
        provider=resolved.provider,
        model=resolved.rows.model,
        schema_name=resolved.rows.schema_name,
        unit=resolved.extraction.schema.unit,
        dataset=str(session.dataset_dir),
        documents=totals.documents,
        pages_ok=totals.pages_ok,
        pages_error=totals.pages_error,
        pages_skipped=totals.pages_skipped,
        requests=stats.requests,
        retries=stats.retries,
        failed_requests=stats.failed_requests,
        max_in_flight=stats.max_in_flight,
        throttled=stats.throttled,
        concurrency_start=concurrency.start,
        concurrency_lowest=concurrency.lowest,
        concurrency_end=concurrency.end,
        rate_limit_wait_seconds=round(session.pool.rate_wait_seconds, 2),
        endpoint_lessons=list(session.learned.lessons),
        prompt_tokens=stats.prompt_tokens,
        completion_tokens=stats.completion_tokens,
        rows_compacted=session.compacted,
        wall_seconds=round(time.monotonic() - started, 2),
    )

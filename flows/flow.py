"""The Prefect flow: a run is one flow, its work tasks of document shards (never one per page).

Measured (../shared/docs/prefect.md): a task run costs 5-10 ms and the local server records
only ~40 a second, so tasks are shards of documents and the concurrency inside them is asyncio.
"""

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from pathlib import Path

from prefect import flow, task
from prefect.artifacts import acreate_table_artifact
from prefect.cache_policies import NO_CACHE

from extractors.discover import check_inputs, discover, shards
from extractors.local_engine import serve_local_engine
from extractors.progress import NoProgress, ProgressListener
from extractors.session import ExtractionSession, ShardSummary
from flows.config import ResolvedRun, RunRequest, Secrets, resolve_run
from flows.settings import EnvironmentSettings
from schemas import RunSummary

# Shards in progress at once: the next shard opens its documents while the last one's
# requests finish, so the request slots never drain at a shard boundary.
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
    return await session.extract_shard([Path(p) for p in paths], name)


@flow(name="visionbatch-extract", persist_result=False, log_prints=False)
async def extract(request: RunRequest) -> RunSummary:
    """Files in, one Parquet row per page out, through an OpenAI-compatible vision endpoint."""
    started = time.monotonic()
    hooks = _HOOKS.get() or RunHooks()
    request = request_with_environment(request)
    resolved = resolve_run(request, hooks.secrets or secrets_from_environment())
    inputs = [Path(p) for p in request.inputs]
    check_inputs(inputs)
    async with _endpoint(resolved) as resolved:
        session = ExtractionSession(
            Path(request.out),
            resolved.extraction,
            resolved.endpoint,
            resolved.rows,
            resolved.concurrency,
            hooks.progress,
            resolved.rates,
        )
        async with session:
            paths = discover(inputs, exclude=Path(request.out))
            totals = await _run_shards(session, paths, request.shard_size)
            session.compact()
    summary = _summarise(resolved, request, session, totals, started)
    await acreate_table_artifact(
        table=[{"metric": k, "value": v} for k, v in summary.model_dump().items()],
        key="visionbatch-run-summary",
        description=f"visionbatch run {summary.run_id} into {summary.out}",
    )
    return summary


@asynccontextmanager
async def _endpoint(resolved: ResolvedRun) -> AsyncIterator[ResolvedRun]:
    """The run as configured, or pointed at the embedded engine started for it."""
    if not resolved.uses_local_engine:
        yield resolved
        return
    with serve_local_engine() as base_url:
        yield replace(resolved, endpoint=replace(resolved.endpoint, base_url=base_url))


async def _run_shards(session: ExtractionSession, paths: Iterator[Path], size: int) -> ShardSummary:
    totals = ShardSummary()
    running: set[asyncio.Task[ShardSummary]] = set()

    def collect(done: set[asyncio.Task[ShardSummary]]) -> None:
        for finished in done:
            totals.absorb(finished.result())  # result() re-raises a shard's RunAbortedError

    try:
        for index, shard_paths in enumerate(shards(paths, size)):
            if len(running) >= SHARD_WINDOW:
                done, running = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
                collect(done)
            shard = extract_shard(session, [str(p) for p in shard_paths], f"{index:05d}")
            running.add(asyncio.ensure_future(shard))
        if running:
            done, running = await asyncio.wait(running)
            collect(done)
    finally:
        for leftover in running:
            leftover.cancel()
    return totals


def _summarise(
    resolved: ResolvedRun,
    request: RunRequest,
    session: ExtractionSession,
    totals: ShardSummary,
    started: float,
) -> RunSummary:
    stats = session.pool.stats
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

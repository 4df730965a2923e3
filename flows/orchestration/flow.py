"""The Prefect flow: a run is one flow, its work tasks of document shards (never one per page).

Measured (../shared/docs/prefect.md): a task run costs 5-10 ms and the local server records
only ~40 a second, so tasks are shards of documents and the concurrency inside them is asyncio.
"""

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from prefect import flow
from prefect.artifacts import (
    acreate_table_artifact,
)

from extractors.discover.files import check_inputs, discover
from extractors.discover.storage import absolute_location
from extractors.document.session import open_session
from extractors.offline.engine import serve_local_engine
from extractors.progress import ProgressListener
from flows.options.config import ResolvedRun, resolve_run
from flows.options.parameters import RunRequest
from flows.options.settings import EnvironmentSettings
from flows.orchestration.bookkeeping import ControlPlane, KeptProgress
from flows.orchestration.hooks import current_hooks
from flows.orchestration.shards import run_shards
from flows.orchestration.summary import summarise
from schemas import RunSummary


@flow(name="visionbatch-extract", persist_result=False, log_prints=False)
async def extract(request: RunRequest) -> RunSummary:
    """Files in, one Parquet row per page (or document) out, through a vision endpoint."""
    started = time.monotonic()
    hooks = current_hooks()
    hooks.on_start()
    # Prefect's API keeps the run's record, not its data: the run finishes without it.
    plane = ControlPlane.of_this_flow_run()
    secrets = hooks.secrets
    if secrets is None:  # a deployed or scheduled run: the environment is read here, once
        environment = EnvironmentSettings()
        request, secrets = environment.fill(request), environment.secrets()
    resolved = resolve_run(request, secrets)
    # Absolute before anything leaves this process: a Dask worker's directory is its own.
    inputs = [absolute_location(p) for p in request.inputs]
    out = absolute_location(request.out)
    check_inputs(inputs)
    endpoint = _endpoint(resolved) if request.dask is None else _no_endpoint(resolved)
    async with endpoint as resolved:
        # With --batch, the batches come first; the pass below asks online what they left.
        collected = await _batches(request, resolved, inputs, out, hooks.progress)
        session = open_session(out, resolved.session, hooks.progress)
        async with session:
            # The output is never an input: not inside an input folder, nor its datasets
            # when it is one.
            excluded = (out, str(session.dataset_dir))
            tracker = await KeptProgress.begin(
                plane, hooks.progress, inputs, excluded, request.discovery
            )
            # A batch run that left its batches running (--no-wait) asks nothing online yet.
            paths = (
                discover(inputs, exclude=excluded, options=request.discovery)
                if collected
                else iter(())
            )
            if request.dask is None:
                totals = await run_shards(session, paths, request.shard_size, tracker)
                totals.requests = session.pool.stats
                limits = await session.pool.gate.report()
            else:
                # Dask and prefect-dask load only for a run that uses them (0.25 s otherwise).
                from flows.orchestration.dask_shards import (
                    WorkerPlan,
                    engine_threads,
                    for_workers,
                    run_on_dask,
                )

                plan = WorkerPlan(
                    for_workers(request, inputs, out),
                    secrets,
                    resolved.rows.run_id,
                    out,
                    engine_threads(request),
                )
                totals, limits = await run_on_dask(plan, resolved.session, paths, tracker)
            session.compact()
    summary = summarise(resolved, request, session, totals, limits, started)
    hooks.on_finish(summary, plane)
    table = [{"metric": k, "value": v} for k, v in summary.model_dump(mode="json").items()]
    await plane.keep(
        acreate_table_artifact(
            table=table,
            key="visionbatch-run-summary",
            description=f"visionbatch run {summary.run_id} into {summary.out}",
        )
    )
    return summary


async def _batches(
    request: RunRequest,
    resolved: ResolvedRun,
    inputs: list[str],
    out: str,
    progress: ProgressListener,
) -> bool:
    """False while the run's batches are not all in the dataset (nothing is asked online)."""
    if not request.batch:
        return True
    from flows.orchestration.batch_phase import BatchRun, run_batch_phase

    return await run_batch_phase(BatchRun(request, resolved, inputs, out, progress))


@asynccontextmanager
async def _endpoint(resolved: ResolvedRun) -> AsyncIterator[ResolvedRun]:
    """The run as configured, or pointed at the embedded engine started for it."""
    if not resolved.uses_local_engine:
        yield resolved
        return
    with serve_local_engine() as base_url:
        yield resolved.at(base_url)


@asynccontextmanager
async def _no_endpoint(resolved: ResolvedRun) -> AsyncIterator[ResolvedRun]:
    """On Dask the workers reach the endpoint (and start their own embedded engines)."""
    yield resolved

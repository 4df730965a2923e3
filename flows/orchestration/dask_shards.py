"""Shards on Dask workers: each rebuilds its own client, pool and rasteriser; the run's
limits (`--concurrency`, `--rpm`, `--tpm`) are one gate shared by all of them."""

import asyncio
import os
import signal
from collections.abc import Iterator
from contextlib import AbstractContextManager as ContextManager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, cast

import dask
from prefect import task
from prefect.cache_policies import NO_CACHE
from prefect_dask import DaskTaskRunner

from extractors.discover.local_walk import FoundInput
from extractors.discover.page_slices import spread_long_documents
from extractors.discover.storage import absolute_location, is_remote
from extractors.document.extraction_options import SessionOptions
from extractors.document.session import open_session
from extractors.document.shard import ShardSummary
from extractors.endpoint.gate import LimitsReport
from extractors.endpoint.shared_gate import GateCoordinator, RemoteGate
from extractors.errors import OutputNotWritableError, RunAbortedError
from extractors.load.worker import available_cores
from extractors.offline.engine import process_local_engine
from extractors.sink.store import check_writable
from flows.options.config import Secrets, page_slicing, resolve_run
from flows.options.parameters import RunRequest
from flows.orchestration.shards import RunProgress, run_windowed

if TYPE_CHECKING:
    from distributed import Actor, Client, Future


@task(name="extract-shard-on-worker", cache_policy=NO_CACHE, persist_result=False)
async def extract_shard_on_worker(
    plan: "WorkerPlan", locations: list[FoundInput], name: str
) -> ShardSummary:
    """A shard on a Dask worker: it builds its own client, pool and rasteriser from the plan
    (nothing of the flow's process is shared) and writes its own part files into OUT."""
    resolved = resolve_run(plan.request, plan.secrets, plan.run_id)
    if resolved.uses_local_engine:
        resolved = resolved.at(process_local_engine(plan.engine_threads))
    gate = RemoteGate(plan.gate) if plan.gate is not None else None
    session = open_session(plan.out, resolved.session, owner=False, gate=gate)
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
    # The run's shared limits (a `GateCoordinator` actor), set once the cluster is up.
    gate: "Actor | None" = None


async def run_on_dask(
    plan: WorkerPlan, options: SessionOptions, paths: Iterator[FoundInput], tracker: RunProgress
) -> tuple[ShardSummary, LimitsReport]:
    """The run's shards on the cluster, and how its shared limits behaved."""
    request = plan.request
    runner = dask_task_runner(request.dask or "local", request.dask_workers)
    with worker_environment(), runner:
        workers = max(1, len(runner.client.scheduler_info().get("workers", {})))
        check_workers(runner.client, plan.out, plan.request.inputs)
        # The actor lives as long as its future is held: to the end of the run.
        hosted = shared_gate(runner.client, options)
        coordinator = cast("Actor", hosted.result())  # an actor's future gives its proxy
        plan = replace(plan, gate=coordinator)

        async def run(index: int, shard_paths: list[FoundInput]) -> tuple[ShardSummary, bool]:
            parameters = {"plan": plan, "locations": shard_paths, "name": f"{index:05d}"}
            future = runner.submit(extract_shard_on_worker, parameters=parameters)
            return await asyncio.to_thread(future.result), True

        # A long PDF in slices of --dask-slice-pages, each a shard of its own: workers share it.
        paths = spread_long_documents(paths, page_slicing(request, plan.secrets))
        # Two shards per worker: one running, the next one queued behind it.
        totals = await run_windowed(paths, request.shard_size, 2 * workers, run, tracker)
        # Asked from a worker: the runner's client is not this process's default, which an
        # actor's handle needs.
        asked = runner.client.submit(report_of, coordinator, pure=False)
        limits = await asyncio.to_thread(asked.result)
    # Each worker's own peak says little of the run's: the shared gate's is the run's.
    totals.requests.max_in_flight = limits.concurrency.peak
    return totals, limits


def report_of(coordinator: "Actor") -> LimitsReport:
    """How the run's shared limits behaved (run on a worker)."""
    report: LimitsReport = coordinator.report().result()
    return report


def shared_gate(client: "Client", options: SessionOptions) -> "Future[GateCoordinator]":
    """The run's `GateCoordinator`, started on one of the cluster's workers."""
    # A lease outlives any attempt (each is bounded by --timeout) by a margin for a busy worker.
    lease_seconds = options.endpoint.timeout + 60
    requests = options.in_flight.requests
    return client.submit(GateCoordinator, requests, options.rates, lease_seconds, actor=True)


def for_workers(request: RunRequest, inputs: list[str], out: str) -> RunRequest:
    """The request with every local path absolute: a worker resolves a relative one against
    its own working directory, which need not be the flow's."""
    update: dict[str, object] = {"inputs": inputs, "out": out}
    if request.prompt_file is not None:
        update["prompt_file"] = absolute_location(request.prompt_file)
    if Path(request.schema_name).is_file():
        update["schema_name"] = absolute_location(request.schema_name)
    return request.model_copy(update=update)


def check_workers(client: "Client", out: str, inputs: list[str]) -> None:
    """RunAbortedError, before any shard is sent, when a worker cannot write to OUT or read an
    input (another machine, another mount, another user)."""
    problems = client.run(what_this_worker_cannot_do, out, inputs)
    for address, problem in sorted(problems.items()):
        if problem is not None:
            raise RunAbortedError(f"dask worker {address}: {problem}")


def what_this_worker_cannot_do(out: str, inputs: list[str]) -> str | None:
    """What of the run this process cannot do (run on each worker); None when it can."""
    try:
        check_writable(out)
    except OutputNotWritableError as exc:
        return str(exc)
    for location in inputs:
        if not is_remote(location) and not os.access(location, os.R_OK):
            return f"cannot read input {location} (is it on this machine?)"
    return None


def dask_task_runner(where: str, workers: int | None = None) -> DaskTaskRunner:
    """Prefect's Dask task runner on a new LocalCluster (`local`) or an existing scheduler."""
    if where != "local":
        return DaskTaskRunner(address=where)
    # One thread per worker process: a shard's own asyncio loop does the concurrency, and
    # PyMuPDF is not thread-safe.
    cluster = {
        "n_workers": workers or available_cores(),
        "threads_per_worker": 1,
        # Each worker runs this module's `dask_setup` as it starts (Dask's preload).
        "preload": [__name__],
    }
    return DaskTaskRunner(cluster_kwargs=cluster)


def dask_setup(worker: object) -> None:
    """A LocalCluster worker ignores SIGINT: Ctrl-C at a terminal reaches the whole process
    group, and only the run's process answers it (the cluster closes with the run). Without
    this each worker printed its own KeyboardInterrupt traceback."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def worker_environment() -> ContextManager[None]:
    """Dask's environment for the worker processes of a LocalCluster, without its malloc trim.

    Dask sets MALLOC_TRIM_THRESHOLD_ in every worker to hand memory back to the OS sooner.
    That also stops glibc from raising its mmap threshold, so every large buffer (onnxruntime's
    tensors, decoded pages) is mapped and unmapped again: measured here, OCR took 5-14 s a
    receipt in a worker against 3 s in a plain process, most of it in the kernel.
    """
    return dask.config.set({"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None})


def engine_threads(request: RunRequest) -> int | None:
    if request.dask != "local":
        return None
    return max(1, available_cores() // (request.dask_workers or available_cores()))

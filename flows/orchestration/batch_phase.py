"""The batch half of `visionbatch run --batch`: plan the batch files, submit them, wait (or
not), ingest what finished. The online pass that follows asks again, online, every page the
batches left without an ok row; with batches still running it asks nothing."""

import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from extractors.batch.api import BatchApi
from extractors.batch.state import BatchPlan, BatchStore
from extractors.batch.storage import ObjectStorageFiles
from extractors.batch.submit import describe, refresh, submit, wait_for_batches
from extractors.discover.files import discover
from extractors.document.batch_session import ingest_batch, plan_batch_files
from extractors.document.session import open_session
from extractors.endpoint.providers import get_preset
from extractors.endpoint.redaction import KeyRedactor
from extractors.options import BatchOptions
from extractors.progress import ProgressListener
from flows.options.config import ResolvedRun
from flows.options.parameters import RunRequest


@dataclass(frozen=True)
class BatchRun:
    """What the batch phase of a run works with."""

    request: RunRequest
    resolved: ResolvedRun
    inputs: list[str]
    out: str
    progress: ProgressListener

    @property
    def store(self) -> BatchStore:
        return BatchStore(Path(self.out))


def batch_options(request: RunRequest, resolved: ResolvedRun) -> BatchOptions:
    """The stage's batch options from the run's flags and its provider's batch flavour."""
    flavour = get_preset(resolved.provider).batch or "openai"
    return BatchOptions(
        flavour=flavour,
        poll_interval=request.batch_poll_interval,
        wait=not request.no_wait,
        submit=not request.batch_file_only,
        bucket=request.batch_bucket,
    )


async def run_batch_phase(run: BatchRun) -> bool:
    """True when every batch is in the dataset, so the online pass may ask the rest; False
    while batches run (`--no-wait`) or when they were only written (`--batch-file-only`)."""
    options = batch_options(run.request, run.resolved)
    store = run.store
    plan = store.load()
    if plan is None:
        plan = await _plan(run, store, options)
        if plan is None:
            return True  # nothing left to ask
    if not options.submit:
        _say(f"batch files written: {store.run_folder(plan.run_id)} ({len(plan.batches)} files)")
        return False
    plan.submitted = True
    endpoint = run.resolved.endpoint
    storage = ObjectStorageFiles(options.bucket) if options.bucket else None
    redact = _redactor(run)
    api = BatchApi(endpoint.base_url, endpoint.api_key, options.flavour, redact, storage=storage)
    try:
        await submit(plan, store, api)
        if options.wait:
            await wait_for_batches(plan, store, api, options.poll_interval, _report)
        else:
            await refresh(plan, store, api)
            _report(plan)
        await _ingest_finished(run, plan, store, api)
    finally:
        await api.close()
    if plan.waiting:
        _say(f"{len(plan.waiting)} batch(es) still running: run the same command to collect")
        return False
    store.finish(plan)
    return True


async def _plan(run: BatchRun, store: BatchStore, options: BatchOptions) -> BatchPlan | None:
    session = open_session(run.out, run.resolved.session, run.progress)
    async with session:
        paths = discover(run.inputs, exclude=run.out, options=run.request.discovery)
        planned = await plan_batch_files(session, paths, store, options, run.request.shard_size)
        session.compact()
    if not planned.inputs:
        return None
    copied = f" (and {planned.copied} identical pages that take their answers)"
    _say(
        f"planned {planned.pages} pages in {sum(i.lines for i in planned.inputs)} requests"
        f"{copied if planned.copied else ''}, {len(planned.inputs)} batch file(s)"
    )
    request = run.request.model_dump(mode="json")
    return store.new_plan(session.run_id, options.flavour, planned.inputs, options.submit, request)


async def _ingest_finished(
    run: BatchRun, plan: BatchPlan, store: BatchStore, api: BatchApi
) -> None:
    """Every finished batch not yet ingested into the dataset; recorded one by one."""
    finished = [r for r in plan.batches if r.terminal and not r.ingested]
    if not finished:
        return
    session = open_session(run.out, run.resolved.session, run.progress)
    async with session:
        for record in finished:
            file_ids = [record.output_file_id, record.error_file_id]
            files = api.results(record.name, file_ids, run.resolved.endpoint.max_answer_bytes)
            outcome = await ingest_batch(session, store, record, files)
            record.ingested = True
            store.save(plan)
            for tally in outcome.tallies:
                for line in tally.lines():
                    _say(api.redact(line))
            summary = outcome.summary
            _say(
                f"batch {record.batch_id}: {summary.pages_ok} pages ok, "
                f"{summary.pages_error} to ask again"
            )
        session.compact()


def _redactor(run: BatchRun) -> Callable[[str], str]:
    """The key and its encoded forms blanked out, as online (error lines are short)."""
    return KeyRedactor(run.resolved.endpoint.api_key)


def _report(plan: BatchPlan) -> None:
    for record in plan.batches:
        _say(describe(record))


def _say(line: str) -> None:
    print(f"visionbatch: {line}", file=sys.stderr, flush=True)

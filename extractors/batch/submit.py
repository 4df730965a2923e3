"""Submitting a run's batch files and following them to a terminal status, recording each
step in DIR before the next one starts."""

import asyncio
from collections.abc import Callable

from extractors.batch.api import BatchApi
from extractors.batch.state import BatchPlan, BatchRecord, BatchStore
from extractors.batch.status import BatchStatus


async def submit(plan: BatchPlan, store: BatchStore, api: BatchApi) -> None:
    """Upload and create every batch not created yet; each id is recorded as it is known.

    The uploaded file's id is recorded before the batch is created, so a run killed in
    between uploads nothing twice.
    """
    for record in plan.batches:
        if record.batch_id is not None:
            continue
        if record.input_file_id is None:
            record.input_file_id = await api.upload(store.input_path(record), record.name)
            store.save(plan)
        status = await api.create(record.input_file_id, record.model)
        record.batch_id = status.batch_id
        apply_status(record, status)
        store.save(plan)


async def refresh(plan: BatchPlan, store: BatchStore, api: BatchApi) -> None:
    """Ask the status of every batch still running; recorded."""
    for record in plan.waiting:
        if record.batch_id is not None:
            apply_status(record, await api.status(record.batch_id))
    store.save(plan)


async def wait_for_batches(
    plan: BatchPlan,
    store: BatchStore,
    api: BatchApi,
    interval: float,
    report: Callable[[BatchPlan], None],
) -> None:
    """Poll every `interval` seconds until every batch has a terminal status."""
    while True:
        await refresh(plan, store, api)
        report(plan)
        if not plan.waiting:
            return
        await asyncio.sleep(interval)


def apply_status(record: BatchRecord, status: BatchStatus) -> None:
    record.status = status.status
    record.counts = {"total": status.total, "completed": status.completed, "failed": status.failed}
    record.output_file_id = status.output_file_id
    record.error_file_id = status.error_file_id
    record.created_at = status.created_at
    record.finished_at = status.finished_at


def describe(record: BatchRecord) -> str:
    """One line of a batch's state for the terminal."""
    counts = record.counts
    done = counts.get("completed", 0) + counts.get("failed", 0)
    return (
        f"batch {record.batch_id or '(not created)'} {record.status or 'not submitted'}: "
        f"{done}/{counts.get('total', record.lines)} requests "
        f"({counts.get('completed', 0)} completed, {counts.get('failed', 0)} failed)"
    )

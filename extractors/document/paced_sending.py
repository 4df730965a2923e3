"""A document's pages cut into requests as payload slots free, each as big as keeps the
endpoint busy now (`--packing adaptive`), rather than all planned when the document opens.

Cut when a slot frees, a chunk's size follows what the run has measured by then: the first
requests of a run carry one page and leave as soon as it is drawn; later ones carry as many as
drawing can keep up with (`plan/pacing.py`).
"""

import asyncio
from collections.abc import Awaitable, Callable, Sequence

from extractors.document.chunk_sender import ChunkSender
from extractors.document.gathering import first_failure
from extractors.endpoint.pool import PayloadSlot
from extractors.plan.chunking import cut_chunk
from extractors.records import ChunkPlan, PlannedPage

RunChunk = Callable[[ChunkPlan, PayloadSlot], Awaitable[None]]


async def send_paced(
    pages: Sequence[PlannedPage],
    sender: ChunkSender,
    pages_per_request: Callable[[], int],
    run: RunChunk,
) -> None:
    """Run every page in chunks cut as slots free, of `pages_per_request()` pages at most;
    each `run` is handed its slot, gives it back once its request is answered, and at the
    latest when it ends.

    As `gather_all`: the first failure cancels the others and is raised as it is.
    """
    pending = list(pages)
    try:
        async with asyncio.TaskGroup() as group:
            while pending:
                slot = await sender.pool.take_payload_slot()
                try:
                    chunk = cut_chunk(pending, sender.budget, pages_per_request())
                    group.create_task(_run(run, chunk, slot))
                except BaseException:
                    slot.release()
                    raise
                pending = pending[len(chunk.pages) :]
    except* Exception as failures:  # noqa: BLE001 - re-raised: unwrapped, never swallowed
        raise first_failure(failures) from None


async def _run(run: RunChunk, chunk: ChunkPlan, slot: PayloadSlot) -> None:
    try:
        await run(chunk, slot)
    finally:
        slot.release()  # once: a no-op when `run` gave it back, as it does once answered

"""A dry run: the requests a run would send, counted from the documents' page sizes, with no
page drawn and no request sent."""

import asyncio
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from extractors.discover.files import shards
from extractors.discover.local_walk import FoundInput
from extractors.document.page_rows import PageRowBuilder
from extractors.document.page_unit import PageRowsUnit, _Chunk
from extractors.document.session import ExtractionSession
from extractors.document.unit import RowSink, UnitServices
from extractors.endpoint.pool import PayloadSlot
from extractors.records import DocumentLayout
from extractors.sink.ledger import Ledger
from extractors.sink.parts import Record
from schemas import RowStatus


@dataclass
class PlannedWork:
    """What a run would ask: its requests, their images and their estimated tokens."""

    files: int = 0
    pages: int = 0
    pages_done: int = 0
    # Pages whose own text layer is their row (`--text-layer auto`): no request.
    text_layer_pages: int = 0
    unreadable: int = 0
    requests: int = 0
    images: int = 0
    prompt_tokens: int = 0
    answer_room: int = 0


class CountingUnit(PageRowsUnit):
    """A page unit that counts each chunk's request instead of drawing and sending it."""

    def __init__(
        self, services: UnitServices, rows: PageRowBuilder, ledger: Ledger, work: PlannedWork
    ) -> None:
        super().__init__(services, rows, ledger)
        self.work = work

    def _pages_per_request(self) -> int:
        # How a run paces its requests is measured as it goes; counted here as packed full.
        return self.sender.budget.images_per_request

    async def _run_chunk(
        self, layout: DocumentLayout, sink: RowSink, chunk: _Chunk, held: PayloadSlot | None = None
    ) -> None:
        if held is not None:
            held.release()  # nothing is drawn
        pages = len(chunk.plan.pages)
        self.work.requests += 1
        self.work.images += pages
        self.work.prompt_tokens += self.options.budget.prompt_tokens + chunk.plan.image_tokens
        self.work.answer_room += self._answer_room(pages)


@dataclass
class _CountedRows:
    """The rows a dry run's documents would write, counted and dropped."""

    ok: int = 0
    errors: int = 0

    def add(self, rows: Sequence[Record]) -> None:
        ok = sum(1 for row in rows if row.status == RowStatus.OK)
        self.ok += ok
        self.errors += len(rows) - ok


async def plan_dry_run(session: ExtractionSession, paths: Iterable[FoundInput]) -> PlannedWork:
    """The work of a run over `paths`; nothing is written and nothing is sent."""
    unit = session.orchestrator.unit
    if not isinstance(unit, PageRowsUnit):
        raise TypeError("dry runs are planned for per-page schemas only")
    work = PlannedWork()
    services = UnitServices(unit.options, unit.sender, unit.progress)
    counter = CountingUnit(services, unit.rows, unit.ledger, work)
    orchestrator = replace(session.orchestrator, unit=counter)
    for shard in shards(paths, 64):
        counted = [_CountedRows() for _ in shard]
        outcomes = await asyncio.gather(
            *(orchestrator.extract(path, rows) for path, rows in zip(shard, counted, strict=True))
        )
        for outcome, rows in zip(outcomes, counted, strict=True):
            rows.add(outcome.rows)
            work.files += 1
            work.pages_done += outcome.skipped_pages
            work.text_layer_pages += rows.ok
            work.unreadable += rows.errors
    work.pages = work.images + work.pages_done + work.text_layer_pages + work.unreadable
    return work

"""A dry run: the requests a run would send, counted from the documents' page sizes, with no
page drawn and no request sent."""

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass, replace

from extractors.discover.files import shards
from extractors.document.page_rows import PageRowBuilder
from extractors.document.page_unit import PageRowsUnit, _Chunk
from extractors.document.session import ExtractionSession
from extractors.document.unit import UnitServices
from extractors.records import DocumentLayout
from extractors.sink.ledger import Ledger
from schemas import PageRow, RowStatus


@dataclass
class PlannedWork:
    """What a run would ask: its requests, their images and their estimated tokens."""

    files: int = 0
    pages: int = 0
    pages_done: int = 0
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

    async def _run_chunk(self, layout: DocumentLayout, chunk: _Chunk) -> list[PageRow]:
        pages = len(chunk.plan.pages)
        self.work.requests += 1
        self.work.images += pages
        self.work.prompt_tokens += self.options.budget.prompt_tokens + chunk.plan.image_tokens
        self.work.answer_room += self._answer_room(pages)
        return []


async def plan_dry_run(session: ExtractionSession, paths: Iterable[str]) -> PlannedWork:
    """The work of a run over `paths`; nothing is written and nothing is sent."""
    unit = session.orchestrator.unit
    if not isinstance(unit, PageRowsUnit):
        raise TypeError("dry runs are planned for per-page schemas only")
    work = PlannedWork()
    services = UnitServices(unit.options, unit.sender, unit.progress)
    counter = CountingUnit(services, unit.rows, unit.ledger, work)
    orchestrator = replace(session.orchestrator, unit=counter)
    for shard in shards(paths, 64):
        outcomes = await asyncio.gather(*(orchestrator.extract(path) for path in shard))
        for outcome in outcomes:
            work.files += 1
            work.pages_done += outcome.skipped_pages
            work.unreadable += sum(1 for row in outcome.rows if row.status != RowStatus.OK)
    work.pages = work.images + work.pages_done + work.unreadable
    return work

"""A dry run: the requests a run would send, counted from the documents' page sizes and text
layers, with no page drawn and no request sent; per file, then in all, per folder, per format."""

import asyncio
from collections.abc import Iterable, Sequence
from dataclasses import replace

from extractors.discover.files import shards
from extractors.discover.local_walk import FoundInput, RefusedInput
from extractors.document.document_rows import DocumentRow, DocumentRowBuilder
from extractors.document.document_unit import DocumentRowUnit
from extractors.document.dry_run_tally import Counts, WorkTally, count_cropped, stand_in
from extractors.document.extraction_options import SessionOptions
from extractors.document.layer_hints import layer_texts
from extractors.document.orchestrator import DocumentOrchestrator
from extractors.document.page_chunks import PageChunk, answer_room
from extractors.document.page_rows import PageRowBuilder
from extractors.document.page_unit import PageRowsUnit
from extractors.document.session import ExtractionSession
from extractors.document.unit import DocumentOutcome, OutputUnit, RowSink, UnitServices
from extractors.endpoint.pool import PayloadSlot
from extractors.errors import RunAbortedError
from extractors.plan.chunking import plan_chunks
from extractors.plan.sizing import size_layout_pages
from extractors.records import IMAGE_LABEL_TOKENS, DocumentLayout, PlannedPage, SourceFile
from extractors.sink.chunk_answers import ChunkAnswers
from extractors.sink.ledger import DocumentLedger, Ledger
from extractors.sink.parts import Record
from schemas import ErrorCategory, PageRow, RowStatus


class CountingUnit(PageRowsUnit):
    """A page unit that counts each chunk's request instead of drawing and sending it."""

    def __init__(
        self, services: UnitServices, rows: PageRowBuilder, ledger: Ledger, work: WorkTally
    ) -> None:
        super().__init__(services, rows, ledger)
        self.work = work

    async def resume(self, source: SourceFile) -> DocumentOutcome | None:
        outcome = await super().resume(source)
        if outcome is not None:
            counts = self.work.file(source)
            counts.files_done += 1
            counts.pages += outcome.skipped_pages
            counts.pages_done += outcome.skipped_pages
        return outcome

    def file_error(self, source: SourceFile, message: str, category: ErrorCategory) -> PageRow:
        self.work.unreadable_file(source, message)
        return super().file_error(source, message, category)

    async def extract(self, layout: DocumentLayout, sink: RowSink) -> DocumentOutcome:
        counts = self.work.file(layout.source)
        counts.pages += len(self.options.pages.of(layout.page_count))  # `--pages` only
        outcome = await super().extract(layout, sink)
        counts.pages_done += outcome.skipped_pages
        return outcome

    def _layer_rows(self, layout: DocumentLayout, pages: Sequence[int]) -> list[PageRow]:
        """Pages read from their layer, and the image tokens they would have cost drawn."""
        budget = self.sender.budget.image_budget
        planned, _ = size_layout_pages(layout, pages, self.options.profile, budget)
        counts = self.work.file(layout.source)
        counts.text_layer_image_tokens += sum(p.image_tokens + IMAGE_LABEL_TOKENS for p in planned)
        return super()._layer_rows(layout, pages)

    def _pages_per_request(self) -> int:
        # How a run paces its requests is measured as it goes; counted here as packed full.
        return self.sender.budget.images_per_request

    def _finished(self, sink: RowSink, rows: list[PageRow]) -> None:
        """Rows made with no request: pages read from their layer (ok), pages too large."""
        for row in rows:
            counts = self.work.file_at(row.source)
            if row.status == RowStatus.OK:
                counts.text_layer_pages += 1
            else:
                counts.pages_unfit += 1
        super()._finished(sink, rows)

    async def _run_chunk(
        self,
        layout: DocumentLayout,
        sink: RowSink,
        chunk: PageChunk,
        held: PayloadSlot | None = None,
    ) -> None:
        if held is not None:
            held.release()  # nothing is drawn
        pages = [p.page for p in chunk.plan.pages]
        texts = layer_texts(layout, pages, self.options.render.text_layer, per_page=True)
        standing = stand_in(layout.source, chunk.plan, texts, self.options.budget.prompt_tokens)
        room = answer_room(self.sender.budget, len(pages))
        counts = self.work.file(layout.source)
        self.work.request(counts, standing, room)
        budget = self.sender.budget.image_budget
        count_cropped(counts, layout, chunk.plan.pages, self.options.profile, budget)


class CountingDocumentUnit(DocumentRowUnit):
    """A document unit that counts the chunks a document would be asked in; chunks a killed
    run already got answers for are counted done, as the run would reuse them."""

    def __init__(
        self,
        services: UnitServices,
        rows: DocumentRowBuilder,
        ledger: DocumentLedger,
        chunk_answers: ChunkAnswers,
        work: WorkTally,
    ) -> None:
        super().__init__(services, rows, ledger, chunk_answers)
        self.work = work

    async def resume(self, source: SourceFile) -> DocumentOutcome | None:
        outcome = await super().resume(source)
        if outcome is not None:
            self.work.file(source).files_done += 1
        return outcome

    def file_error(self, source: SourceFile, message: str, category: ErrorCategory) -> DocumentRow:
        self.work.unreadable_file(source, message)
        return super().file_error(source, message, category)

    async def extract(self, layout: DocumentLayout, sink: RowSink) -> DocumentOutcome:
        counts = self.work.file(layout.source)
        selected = self.options.pages.of(layout.page_count)  # `--pages`: none, no row
        counts.pages += len(selected)
        budget = self.sender.budget
        planned, unfit = size_layout_pages(
            layout, selected, self.options.profile, budget.image_budget
        )
        if unfit:  # the document's row is an error: no request
            counts.pages_unfit += len(selected)
            return DocumentOutcome([])
        sent = self._as_text_where_born_digital(layout, planned)
        _count_as_text(counts, planned, sent)
        planned = sent
        plans = plan_chunks(planned, budget)
        key = self.rows.context.ledger_key(layout.source.sha256)
        mode = self.options.render.text_layer
        for plan in plans:
            pages = tuple(p.page for p in plan.pages)
            if len(plans) > 1 and self.chunk_answers.answer(key, pages) is not None:
                counts.pages_done += len(pages)
                continue
            texts = layer_texts(layout, pages, mode, per_page=False)
            prompt = self.options.budget.prompt_tokens
            standing = stand_in(layout.source, plan, texts, prompt, layout.page_count)
            self.work.request(counts, standing, budget.max_output_tokens)
            count_cropped(counts, layout, plan.pages, self.options.profile, budget.image_budget)
        return DocumentOutcome([])


def _count_as_text(counts: Counts, drawn: list[PlannedPage], sent: list[PlannedPage]) -> None:
    """Pages sent as their text layer (`--text-layer only`): their image tokens not sent, and
    the tokens of the text sent instead, each counted as `stand_in` counts it."""
    for image, page in zip(drawn, sent, strict=True):
        if page.as_text:
            counts.text_layer_pages += 1
            counts.text_layer_image_tokens += image.image_tokens + IMAGE_LABEL_TOKENS
            counts.text_layer_text_tokens += page.image_tokens + IMAGE_LABEL_TOKENS


def counting_unit(unit: OutputUnit, work: WorkTally) -> OutputUnit:
    """The session's unit, counting instead of asking."""
    if isinstance(unit, PageRowsUnit):
        services = UnitServices(unit.options, unit.sender, unit.progress)
        return CountingUnit(services, unit.rows, unit.ledger, work)
    if isinstance(unit, DocumentRowUnit):
        services = UnitServices(unit.options, unit.sender, unit.progress)
        return CountingDocumentUnit(services, unit.rows, unit.ledger, unit.chunk_answers, work)
    raise TypeError(f"no dry run for a unit of type {type(unit).__name__}")


class _Dropped:
    """Where a dry run's rows go: nowhere (each was counted as it was made)."""

    def add(self, rows: Sequence[Record]) -> None:
        return None


def dry_run_session(options: SessionOptions) -> SessionOptions:
    """A run's session options as a dry run opens them: its layers judged for their verdicts
    and text only (no words, no Markdown, the hidden-text trace only where text may hide)."""
    extraction = options.extraction
    render = replace(extraction.render, layer_verdict_only=True)
    return replace(options, extraction=replace(extraction, render=render))


async def plan_dry_run(
    session: ExtractionSession, paths: Iterable[FoundInput], work: WorkTally
) -> WorkTally:
    """The work of a run over `paths`, counted into `work`; nothing is written or sent."""
    orchestrator = replace(
        session.orchestrator, unit=counting_unit(session.orchestrator.unit, work)
    )
    for shard in shards(paths, 64):
        await asyncio.gather(*(_planned(orchestrator, path) for path in shard))
        work.close_files()
    return work


async def _planned(orchestrator: DocumentOrchestrator, location: FoundInput) -> None:
    try:
        await orchestrator.extract(location, _Dropped())
    except RunAbortedError:
        raise
    except Exception as exc:  # noqa: BLE001 - a bug in one file must not sink the plan
        where = location.location if isinstance(location, RefusedInput) else location
        orchestrator.internal_error(where, exc)  # counted unreadable, with its reason

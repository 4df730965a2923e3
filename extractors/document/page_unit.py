"""A row per page: pages already ok are skipped, a page left without an answer is asked again,
in a smaller request, until its re-asks run out, and a page whose answer is degenerate (a loop,
a refusal, nothing read from ink...) is asked once more with other sampling (answer_checks)."""

import asyncio
from collections.abc import Sequence
from dataclasses import replace

from extractors.answer.parse import parse_answer
from extractors.document.answer_checks import check_pages
from extractors.document.answered_rows import AnsweredRows
from extractors.document.chunk_sender import Asked
from extractors.document.gathering import gather_all
from extractors.document.layer_hints import fitted_hints, hint_cut_doubt, layer_texts
from extractors.document.paced_sending import send_paced
from extractors.document.page_chunks import PageChunk, answer_room, missing_retry, refused_retry
from extractors.document.page_rows import PageRowBuilder
from extractors.document.unit import DocumentOutcome, RowSink, UnitBase, UnitServices
from extractors.document.unsent_rows import unsent_rows
from extractors.endpoint.pool import PayloadSlot
from extractors.options import TextLayerMode
from extractors.plan.chunking import plan_chunks
from extractors.plan.sizing import size_layout_pages
from extractors.records import (
    IMAGE_LABEL_TOKENS,
    ChunkPlan,
    DocumentLayout,
    EndpointAnswer,
    LedgerKey,
    PlannedPage,
    PreparedRequest,
    SourceFile,
)
from extractors.sink.ledger import Ledger
from schemas import ErrorCategory, PageRow, RowStatus

# The modes in which a usable text layer is a page's text, and no request is made for it.
_LAYER_IS_TEXT = frozenset({TextLayerMode.AUTO, TextLayerMode.ONLY})


class PageRowsUnit(UnitBase):
    """The unit of `page_text` and other per-page schemas: `DIR/pages/`, a row per page."""

    def __init__(self, services: UnitServices, rows: PageRowBuilder, ledger: Ledger) -> None:
        super().__init__(services)
        self.rows = rows
        self.ledger = ledger
        self.answered = AnsweredRows(rows)

    async def resume(self, source: SourceFile) -> DocumentOutcome | None:
        key = self.rows.context.ledger_key(source.sha256)
        wanted = self.options.pages.of(self.ledger.page_counts.get(key, 0))
        done = self.ledger.done_pages(key).intersection(wanted)
        if not self.ledger.page_counts.get(key) or len(done) < len(wanted):
            return None  # the document has pages `--pages` selects that are not ok yet
        copies = await asyncio.to_thread(self._copies, source, key, done)
        return DocumentOutcome(copies, skipped_pages=len(done))

    def file_error(self, source: SourceFile, message: str, category: ErrorCategory) -> PageRow:
        return self.rows.error_row(source, None, None, message, category)

    async def extract(self, layout: DocumentLayout, sink: RowSink) -> DocumentOutcome:
        """Each chunk's rows go to `sink` as it finishes: a kill loses only what is in flight."""
        key = self.rows.context.ledger_key(layout.source.sha256)
        wanted = self.options.pages.of(layout.page_count)  # no row for the pages left out
        done = self.ledger.done_pages(key).intersection(wanted)
        sink.add(await asyncio.to_thread(self._copies, layout.source, key, done))
        self.progress.pages_planned(len(wanted) - len(done))
        todo = [n for n in wanted if n not in done]
        from_layer = [n for n in todo if self._reads_layer(layout, n)]
        self._finished(sink, self._layer_rows(layout, from_layer))
        todo = [n for n in todo if n not in from_layer]
        planned, unfit = self._sized(layout, todo)
        self._finished(sink, unfit)
        reasks = self.options.max_reasks

        async def run(plan: ChunkPlan, slot: PayloadSlot) -> None:
            await self._run_chunk(layout, sink, PageChunk(plan, reasks), slot)

        await send_paced(planned, self.sender, self._pages_per_request, run)
        return DocumentOutcome([], skipped_pages=len(done))

    def _pages_per_request(self) -> int:
        """What the next request carries (`--packing`)."""
        return self.sender.pages_per_request()

    def _reads_layer(self, layout: DocumentLayout, page: int) -> bool:
        """Whether the page's own text layer is its text (`--text-layer auto|only`), or is kept
        instead of the embedded engine's reading of a script it cannot read."""
        layer = layout.text_layer(page)
        mode = self.options.render.text_layer
        if layer is not None and layer.usable and mode in _LAYER_IS_TEXT:
            return True
        return self.answered.kept_layer(layer) is not None

    def _layer_rows(self, layout: DocumentLayout, pages: Sequence[int]) -> list[PageRow]:
        rows = []
        for n in pages:
            layer = layout.text_layers[n - 1]
            kept = None if layer.usable else self.answered.kept_layer(layer)
            rows.append(self.rows.layer_row(layout.source, n, layout.page_count, kept or layer))
        return rows

    def _copies(self, source: SourceFile, key: LedgerKey, pages: frozenset[int]) -> list[PageRow]:
        """Rows for pages already ok under another path of the same content (no request)."""
        missing_here = pages - self.ledger.pages_at(key, source.path)
        if not missing_here:
            return []
        stored = self.ledger.rows_for(key, missing_here)
        return [self.rows.copied_row(row, source) for row in stored]

    def _sized(
        self, layout: DocumentLayout, numbers: Sequence[int], attempts: int = 0
    ) -> tuple[list[PlannedPage], list[PageRow]]:
        """These pages sized for the current budget; pages that cannot fit become error rows."""
        budget = self.sender.budget.image_budget
        planned, unfit = size_layout_pages(layout, numbers, self.options.profile, budget)
        errors = [
            self.rows.error_row(
                layout.source, n, layout.page_count, str(exc), ErrorCategory.BUDGET, attempts
            )
            for n, exc in unfit
        ]
        return planned, errors

    async def _gather(
        self, layout: DocumentLayout, sink: RowSink, chunks: Sequence[PageChunk]
    ) -> None:
        await gather_all(self._run_chunk(layout, sink, c) for c in chunks)

    async def _run_chunk(
        self,
        layout: DocumentLayout,
        sink: RowSink,
        chunk: PageChunk,
        held: PayloadSlot | None = None,
    ) -> None:
        """Render, send and parse one chunk (under `held`, a payload slot taken for it, or one
        of its own); pages left without an answer are asked again."""
        refitted = self._refit(layout, chunk)
        if refitted is not None:
            if held is not None:
                held.release()  # its smaller requests take slots of their own
            smaller, unfit = refitted
            self._finished(sink, unfit)
            await self._gather(layout, sink, smaller)
            return
        room_for_answer = answer_room(self.sender.budget, len(chunk.plan.pages))
        pages = [p.page for p in chunk.plan.pages]
        texts = layer_texts(layout, pages, self.options.render.text_layer, per_page=True)
        room = self.sender.budget.image_budget - chunk.plan.image_tokens
        hints = fitted_hints(layout, chunk.plan.pages, texts, room)
        drawn = self.sender.rendered(
            layout.source, chunk.plan, room_for_answer, 0, hints.texts, held, chunk.resample
        )
        async with drawn as rendered:
            self._finished(sink, unsent_rows(self.rows, layout, rendered))
            if rendered.request is None:
                return
            request = replace(rendered.request, hint_cuts=hints.cut_pages)
            asked = await self.sender.ask(request)
        # The payload slot is free again: re-asks below may take slots without deadlock.
        if asked.answer is not None:
            await self._after_answer(layout, sink, chunk, asked.request, asked.answer)
        else:
            await self._after_failure(layout, sink, chunk, asked)

    async def _after_answer(
        self,
        layout: DocumentLayout,
        sink: RowSink,
        chunk: PageChunk,
        request: PreparedRequest,
        answer: EndpointAnswer,
    ) -> None:
        """Rows of the pages answered; pages missing from the answer, or degenerate in it,
        are asked again."""
        sent = request.chunk.pages
        parsed = parse_answer(answer.content, len(sent), self.options.schema.model)
        attempts = chunk.prior_attempts + answer.attempts
        answered = [(i, request.images[i - 1], item) for i, item in sorted(parsed.items.items())]
        checked = check_pages(answered, answer, layout.text_layers, len(request.images))
        cut = {page: (hint_cut_doubt(kept, total),) for page, kept, total in request.hint_cuts}
        rows, again = self.answered.of_answer(
            layout, answer, checked, attempts, chunk.held, chunk.resample == 0, chunk.notes, cut
        )
        missing = tuple(p for i, p in enumerate(sent, start=1) if i not in parsed.items)
        rows += self._without_second(layout, chunk, missing, attempts)
        self._finished(sink, rows)
        held = {h.page for h in chunk.held}
        missing = tuple(p for p in missing if p.page not in held)
        nothing = len(missing) == len(sent)
        retry = missing_retry(chunk, answer, parsed.problems, missing, nothing)
        if retry.error is not None:
            errors = [
                self._page_error(layout, p, retry.error, ErrorCategory.ANSWER, attempts)
                for p in missing
            ]
            self._finished(sink, errors)
        retries = retry.chunks
        if again:
            pages = {h.page for h in again}
            plan = ChunkPlan(tuple(p for p in sent if p.page in pages))
            retries.append(
                PageChunk(plan, chunk.reasks_left, attempts, resample=1, held=tuple(again))
            )
        await self._gather(layout, sink, retries)

    def _without_second(
        self,
        layout: DocumentLayout,
        chunk: PageChunk,
        pages: Sequence[PlannedPage],
        attempts: int,
    ) -> list[PageRow]:
        """Rows of held pages that got no second answer: their first one, if usable."""
        sent = {p.page for p in pages}
        return [
            self.answered.settled(layout, h, None, None, attempts)
            for h in chunk.held
            if h.page in sent
        ]

    async def _after_failure(
        self, layout: DocumentLayout, sink: RowSink, chunk: PageChunk, asked: Asked
    ) -> None:
        """A refused request is made smaller and tried again; anything else is an error."""
        if chunk.held:  # asked again after a degenerate answer: the first answer stands
            attempts = chunk.prior_attempts + asked.attempts
            self._finished(
                sink, self._without_second(layout, chunk, asked.request.chunk.pages, attempts)
            )
            return
        if asked.failure is None:  # outgrown before it was sent: planned again, not sent
            await self._gather(layout, sink, [replace(chunk, plan=asked.request.chunk)])
            return
        attempts = chunk.prior_attempts + asked.attempts
        image_budget = self.sender.budget.image_budget
        profile = self.options.profile
        retry = refused_retry(chunk, asked, attempts, layout.page_sizes, profile, image_budget)
        if retry:
            await self._gather(layout, sink, retry)
            return
        error = self.sender.redact(str(asked.failure))
        self._finished(
            sink,
            [
                self._page_error(layout, p, error, asked.error_category, attempts)
                for p in asked.request.chunk.pages
            ],
        )

    def _refit(
        self, layout: DocumentLayout, chunk: PageChunk
    ) -> tuple[list[PageChunk], list[PageRow]] | None:
        """None when the chunk fits what the endpoint is now known to take; else its re-plan.

        Chunks planned before a limit was learned are re-planned here, before rendering,
        instead of being sent only to be refused again.
        """
        plan = chunk.plan
        if self.sender.learned.admits(plan):
            return None
        budget = self.sender.budget
        fitting = [
            p for p in plan.pages if p.image_tokens + IMAGE_LABEL_TOKENS <= budget.image_budget
        ]
        too_big = [p.page for p in plan.pages if p not in fitting]
        resized, unfit = self._sized(layout, too_big, chunk.prior_attempts)
        pages = sorted([*fitting, *resized], key=lambda p: p.page)
        return [replace(chunk, plan=part) for part in plan_chunks(pages, budget)], unfit

    def _page_error(
        self,
        layout: DocumentLayout,
        planned: PlannedPage,
        error: str,
        category: ErrorCategory,
        attempts: int,
    ) -> PageRow:
        return self.rows.error_row(
            layout.source,
            planned.page,
            layout.page_count,
            error,
            category,
            attempts,
            planned,
            layout.text_layers,
        )

    def _finished(self, sink: RowSink, rows: list[PageRow]) -> None:
        """Pages done: counted, remembered by their image (copies), and on their way to DIR."""
        self.sender.set_aside_finished(rows)
        ok = sum(1 for row in rows if row.status == RowStatus.OK)
        self.progress.pages_finished(ok, len(rows) - ok)
        sink.add(rows)

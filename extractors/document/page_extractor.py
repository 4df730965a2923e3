"""One document end to end: identify, skip what is done, plan, render, ask, re-ask, rows."""

import asyncio
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from extractors.answer.parse import parse_answer
from extractors.document.page_rows import RowContext
from extractors.endpoint.learned_limits import LearnedLimits, classify_refusal
from extractors.endpoint.pool import RequestPool
from extractors.endpoint.prompt import ExtractionSchema, Prompt
from extractors.errors import (
    OutgrownRequestError,
    PageDoesNotFitError,
    RequestRejectedError,
    SourceError,
    TransientEndpointError,
)
from extractors.load.identify import (
    UnreadSourceError,
    hash_or_blank,
    identify,
    source_without_format,
)
from extractors.load.rasteriser import Rasteriser
from extractors.options import BudgetOptions, RenderOptions
from extractors.plan.chunking import plan_chunks, split_chunk
from extractors.plan.profiles.base import TokenProfile
from extractors.plan.sizing import size_page
from extractors.progress import ProgressListener
from extractors.records import (
    IMAGE_LABEL_TOKENS,
    ChunkPlan,
    DocumentLayout,
    PlannedPage,
    PreparedRequest,
    RenderedImage,
    SourceFile,
)
from extractors.sink.ledger import Ledger, LedgerKey
from extractors.sink.parts import Record
from schemas import PageRow


@dataclass(frozen=True)
class ExtractionOptions:
    """Everything about how pages are extracted, fixed for a run."""

    prompt: Prompt
    profile: TokenProfile
    budget: BudgetOptions
    render: RenderOptions = field(default_factory=RenderOptions)
    password: str | None = field(default=None, repr=False)
    # Bad answers (broken JSON, missing or conflicting items) cost one request each to ask
    # again; a 200-page fault mix with ~13% unusable answers lost a page in ~5% of runs at 3.
    max_reasks: int = 5
    # A document answer that fails validation is asked again once, with the errors.
    validation_reasks: int = 1

    @property
    def schema(self) -> ExtractionSchema:
        return self.prompt.schema


@dataclass
class DocumentOutcome:
    """The rows one document adds to DIR, and how many of its pages were already done."""

    rows: Sequence[Record]
    # Pages already ok in DIR (a document schema counts a finished document as one).
    skipped_pages: int = 0


@dataclass(frozen=True)
class _Chunk:
    """A chunk in flight: its pages and the attempts already spent on them."""

    plan: ChunkPlan
    reasks_left: int
    prior_attempts: int = 0
    problems: tuple[str, ...] = ()


class DocumentExtractor:
    """Turns one input file into its rows, asking the endpoint only for pages not yet ok."""

    def __init__(
        self,
        options: ExtractionOptions,
        rows: RowContext,
        pool: RequestPool,
        rasteriser: Rasteriser,
        ledger: Ledger,
        progress: ProgressListener,
        learned: LearnedLimits | None = None,
    ) -> None:
        self.options = options
        self.rows = rows
        self.pool = pool
        self.rasteriser = rasteriser
        self.ledger = ledger
        self.progress = progress
        self.learned = learned or LearnedLimits(options.budget)

    @property
    def budget(self) -> BudgetOptions:
        """The configured budget narrowed by the limits the endpoint has revealed so far."""
        return self.learned.budget

    async def extract(self, path: Path, location: str | None = None) -> DocumentOutcome:
        """One document's outcome; `location` is its URL when `path` is a local copy."""
        try:
            source = await asyncio.to_thread(identify, path, location)
        except UnreadSourceError as exc:
            return self._failed_file(exc.source, exc)
        key = self.rows.ledger_key(source.sha256)
        if self.ledger.is_complete(key):
            done = self.ledger.done_pages(key)
            return DocumentOutcome(self._copies(source, key, done), skipped_pages=len(done))
        try:
            layout = await self.rasteriser.layout(source)
        except SourceError as exc:
            return self._failed_file(source, exc)
        try:
            return await self._extract_pages(layout, key)
        finally:
            await self.rasteriser.release(source)

    def internal_error(self, location: str, exc: Exception) -> DocumentOutcome:
        """A file-level error row for an unexpected failure (a bug), so the file is not lost."""
        message = self.pool.client.redact(f"internal error: {type(exc).__name__}: {exc}")
        source = source_without_format(location, hash_or_blank(Path(location)))
        return self._failed_file(source, SourceError(message), "internal")

    def unreadable(self, location: str, message: str) -> DocumentOutcome:
        """A file-level error row for an input that could not even be fetched."""
        source = source_without_format(location, "")
        return self._failed_file(source, SourceError(message))

    def _failed_file(
        self, source: SourceFile, exc: SourceError, category: str = "source"
    ) -> DocumentOutcome:
        self.progress.pages_planned(1)
        self.progress.pages_finished(0, 1)
        return DocumentOutcome([self.rows.error_row(source, None, None, str(exc), category)])

    def _copies(self, source: SourceFile, key: LedgerKey, pages: frozenset[int]) -> list[PageRow]:
        """Rows for pages already ok under another path of the same content (no request)."""
        missing_here = pages - self.ledger.pages_at(key, source.path)
        if not missing_here:
            return []
        return [
            self.rows.copied_row(row, source) for row in self.ledger.rows_for(key, missing_here)
        ]

    async def _extract_pages(self, layout: DocumentLayout, key: LedgerKey) -> DocumentOutcome:
        done = self.ledger.done_pages(key)
        rows = self._copies(layout.source, key, done)
        self.progress.pages_planned(layout.page_count - len(done))
        todo = [n for n in range(1, layout.page_count + 1) if n not in done]
        planned, unfit = self._size_pages(layout, todo)
        rows.extend(unfit)
        self.progress.pages_finished(0, len(unfit))
        chunks = plan_chunks(planned, self.budget)
        results = await asyncio.gather(
            *(self._run_chunk(layout, _Chunk(c, self.options.max_reasks)) for c in chunks)
        )
        rows.extend(row for chunk_rows in results for row in chunk_rows)
        rows.sort(key=lambda row: row.page or 0)
        return DocumentOutcome(rows, skipped_pages=len(done))

    def _size_pages(
        self, layout: DocumentLayout, numbers: Sequence[int], attempts: int = 0
    ) -> tuple[list[PlannedPage], list[PageRow]]:
        """These pages sized for the current budget; pages that cannot fit become error rows."""
        planned: list[PlannedPage] = []
        unfit: list[PageRow] = []
        budget = self.budget.image_budget
        for number in numbers:
            width, height = layout.page_sizes[number - 1]
            try:
                planned.append(size_page(number, width, height, self.options.profile, budget))
            except PageDoesNotFitError as exc:
                unfit.append(
                    self.rows.error_row(
                        layout.source, number, layout.page_count, str(exc), "budget", attempts
                    )
                )
        return planned, unfit

    async def _run_chunk(self, layout: DocumentLayout, chunk: _Chunk) -> list[PageRow]:
        """Render, send and parse one chunk; pages left without an answer are asked again."""
        refitted = self._refit(layout, chunk)
        if refitted is not None:
            smaller, unfit = refitted
            return self._finished(unfit) + await self._gather_chunks(layout, smaller)
        rows: list[PageRow] = []
        async with self.pool.payload_slot():
            rendered = await self.rasteriser.render(
                layout.source, chunk.plan.pages, self.options.profile.pad_to_square
            )
            sent: list[tuple[PlannedPage, RenderedImage]] = []
            for planned, result in zip(chunk.plan.pages, rendered, strict=True):
                if isinstance(result, SourceError):
                    rows.append(self._page_error(layout, planned, str(result), "source", 0))
                else:
                    sent.append((planned, result))
            if not sent:
                return self._finished(rows)
            plan = ChunkPlan(tuple(p for p, _ in sent))
            request = PreparedRequest(
                uuid.uuid4().hex[:16],
                layout.source,
                plan,
                tuple(image for _, image in sent),
                self._estimated_tokens(plan),
            )
            failure: RequestRejectedError | TransientEndpointError | None = None
            outgrown = False
            try:
                answer = await self.pool.send(request)
            except (RequestRejectedError, TransientEndpointError) as exc:
                failure = exc
            except OutgrownRequestError:
                outgrown = True
        # The payload slot is free again: re-asks below may take slots without deadlock.
        if outgrown:
            again = replace(chunk, plan=request.chunk)
            return self._finished(rows) + await self._gather_chunks(layout, [again])
        if failure is not None:
            return rows + await self._after_failure(layout, chunk, request, failure)
        parsed = parse_answer(answer.content, len(sent), self.options.schema.model)
        attempts = chunk.prior_attempts + answer.attempts
        answered = [(sent[i - 1][1], item) for i, item in sorted(parsed.items.items())]
        rows.extend(self.rows.ok_rows(layout.source, layout.page_count, answered, answer, attempts))
        problems = chunk.problems + parsed.problems
        if answer.finish_reason == "length":
            problems += ("answer cut off at the output token limit",)
        missing = tuple(p for i, (p, _) in enumerate(sent, start=1) if i not in parsed.items)
        if not missing:
            return self._finished(rows)
        if chunk.reasks_left <= 0:
            reason = "; ".join(dict.fromkeys(problems)) or "page missing from every answer"
            for planned in missing:
                rows.append(
                    self._page_error(
                        layout, planned, f"no usable answer: {reason}", "answer", attempts
                    )
                )
            return self._finished(rows)
        self._finished(rows)
        plan = ChunkPlan(missing)
        parts = split_chunk(plan) if len(missing) == len(sent) else [plan]
        retry = [_Chunk(part, chunk.reasks_left - 1, attempts, problems) for part in parts]
        return rows + await self._gather_chunks(layout, retry)

    async def _after_failure(
        self,
        layout: DocumentLayout,
        chunk: _Chunk,
        request: PreparedRequest,
        failure: RequestRejectedError | TransientEndpointError,
    ) -> list[PageRow]:
        """A refused request is made smaller and tried again; anything else is an error."""
        attempts = chunk.prior_attempts + failure.attempts
        if isinstance(failure, RequestRejectedError):
            retry = self._after_refusal(layout, chunk, request.chunk, failure, attempts)
            if retry:
                return await self._gather_chunks(layout, retry)
        rows = [
            self._page_error(
                layout, planned, self.pool.client.redact(str(failure)), "endpoint", attempts
            )
            for planned in request.chunk.pages
        ]
        return self._finished(rows)

    def _after_refusal(
        self,
        layout: DocumentLayout,
        chunk: _Chunk,
        sent: ChunkPlan,
        failure: RequestRejectedError,
        attempts: int,
    ) -> list[_Chunk]:
        """Smaller requests for a refused one, learning the limit it hit; [] when none is left.

        Too many images: the limit (from the message, else half) holds for the rest of the run.
        Context exceeded: a stated context length is learned; several pages are split, a single
        page is shrunk to half its tokens (at most `max_reasks` times).
        """
        refusal = classify_refusal(failure.status_code, str(failure))
        problems = (*chunk.problems, str(failure))
        pages = sent.pages
        if refusal.kind == "too_many_images" and len(pages) > 1:
            self.learned.learn_images(len(pages), refusal.limit)
        elif refusal.kind == "context_length" and refusal.limit is not None:
            self.learned.learn_context(refusal.limit)
        if not self.learned.admits(sent):
            # Re-planned under the lesson just learned (see `_refit`).
            return [_Chunk(sent, chunk.reasks_left, attempts, problems)]
        if len(pages) > 1:
            return [
                _Chunk(part, chunk.reasks_left, attempts, problems) for part in split_chunk(sent)
            ]
        if refusal.kind != "context_length" or chunk.reasks_left <= 0:
            return []
        page = pages[0]
        room = min(page.image_tokens // 2, self.budget.image_budget)
        width, height = layout.page_sizes[page.page - 1]
        try:
            shrunk = size_page(page.page, width, height, self.options.profile, room)
        except PageDoesNotFitError:
            return []
        return [_Chunk(ChunkPlan((shrunk,)), chunk.reasks_left - 1, attempts, problems)]

    def _refit(
        self, layout: DocumentLayout, chunk: _Chunk
    ) -> tuple[list[_Chunk], list[PageRow]] | None:
        """None when the chunk fits what the endpoint is now known to take; else its re-plan.

        Chunks planned before a limit was learned are re-planned here, before rendering,
        instead of being sent only to be refused again.
        """
        plan = chunk.plan
        if self.learned.admits(plan):
            return None
        budget = self.budget
        fitting = [
            p for p in plan.pages if p.image_tokens + IMAGE_LABEL_TOKENS <= budget.image_budget
        ]
        too_big = [p.page for p in plan.pages if p not in fitting]
        resized, unfit = self._size_pages(layout, too_big, chunk.prior_attempts)
        pages = sorted([*fitting, *resized], key=lambda p: p.page)
        return [replace(chunk, plan=part) for part in plan_chunks(pages, budget)], unfit

    def _estimated_tokens(self, plan: ChunkPlan) -> int:
        budget = self.options.budget
        per_page = budget.output_tokens_per_image * len(plan.pages)
        answer_room = min(budget.max_output_tokens, per_page)
        return budget.prompt_tokens + plan.image_tokens + answer_room

    async def _gather_chunks(
        self, layout: DocumentLayout, chunks: Sequence[_Chunk]
    ) -> list[PageRow]:
        results = await asyncio.gather(*(self._run_chunk(layout, c) for c in chunks))
        return [row for chunk_rows in results for row in chunk_rows]

    def _page_error(
        self, layout: DocumentLayout, planned: PlannedPage, error: str, category: str, attempts: int
    ) -> PageRow:
        return self.rows.error_row(
            layout.source, planned.page, layout.page_count, error, category, attempts, planned
        )

    def _finished(self, rows: list[PageRow]) -> list[PageRow]:
        ok = sum(1 for row in rows if row.status == "ok")
        self.progress.pages_finished(ok, len(rows) - ok)
        return rows

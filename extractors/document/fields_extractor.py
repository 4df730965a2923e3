"""One document to one row of fields: all pages in one request when they fit, else merged.

A document schema (receipt, invoice, a user's) describes a whole file. Its pages go in one
request when the budget allows; a longer document is asked chunk by chunk, each chunk for the
fields it shows, and the chunks' answers are merged (`chunks` and `merge_conflicts` say so).
Every answer is validated; an invalid one is asked again once with the validation errors, and
one still invalid becomes an error row keeping the raw answer.
"""

import asyncio
import json
import typing
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model

from extractors.answer.merge import merge_chunks
from extractors.answer.parse import parse_document, validation_problems
from extractors.document.document_rows import DocumentRow, DocumentRowBuilder, RequestCosts
from extractors.document.page_extractor import DocumentOutcome, ExtractionOptions
from extractors.endpoint.learned_limits import LearnedLimits, classify_refusal
from extractors.endpoint.pool import RequestPool
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
from extractors.options import BudgetOptions
from extractors.plan.chunking import plan_chunks
from extractors.plan.sizing import size_page
from extractors.progress import ProgressListener
from extractors.records import (
    ChunkPlan,
    DocumentLayout,
    EndpointAnswer,
    PlannedPage,
    PreparedRequest,
    Reask,
    SourceFile,
)
from extractors.sink.ledger import DocumentLedger

# A refusal that teaches a smaller limit re-plans the document; a few lessons suffice.
_MAX_REPLANS = 4


@dataclass(frozen=True)
class _ChunkResult:
    """One chunk's validated fields, or why it has none; `replan` asks for a new plan."""

    costs: RequestCosts
    values: BaseModel | None = None
    error: str | None = None
    category: str | None = None
    raw_answer: str | None = None
    replan: bool = False


class DocumentFieldsExtractor:
    """Turns one input file into one row of the schema's fields."""

    def __init__(
        self,
        options: ExtractionOptions,
        rows: DocumentRowBuilder,
        pool: RequestPool,
        rasteriser: Rasteriser,
        ledger: DocumentLedger,
        progress: ProgressListener,
        learned: LearnedLimits,
    ) -> None:
        self.options = options
        self.rows = rows
        self.pool = pool
        self.rasteriser = rasteriser
        self.ledger = ledger
        self.progress = progress
        self.learned = learned
        self.part_model = partial_model(options.schema.model)

    @property
    def budget(self) -> BudgetOptions:
        return self.learned.budget

    async def extract(self, path: Path, location: str | None = None) -> DocumentOutcome:
        """One document's outcome; `location` is its URL when `path` is a local copy."""
        try:
            source = await asyncio.to_thread(identify, path, location)
        except UnreadSourceError as exc:
            return self._failed_file(exc.source, str(exc))
        key = self.rows.context.ledger_key(source.sha256)
        if self.ledger.is_complete(key):
            if self.ledger.has_source(key, source.path):
                return DocumentOutcome([], skipped_pages=1)
            stored = await asyncio.to_thread(self.ledger.stored_row, key)
            return DocumentOutcome([self.rows.copied_row(stored, source)], skipped_pages=1)
        try:
            layout = await self.rasteriser.layout(source)
        except SourceError as exc:
            return self._failed_file(source, str(exc))
        try:
            self.progress.pages_planned(layout.page_count)
            row = await self._extract_row(layout)
        finally:
            await self.rasteriser.release(source)
        ok_pages = layout.page_count if row.status == "ok" else 0
        self.progress.pages_finished(ok_pages, layout.page_count - ok_pages)
        return DocumentOutcome([row])

    def internal_error(self, location: str, exc: Exception) -> DocumentOutcome:
        """A file-level error row for an unexpected failure (a bug), so the file is not lost."""
        message = self.pool.client.redact(f"internal error: {type(exc).__name__}: {exc}")
        source = source_without_format(location, hash_or_blank(Path(location)))
        return self._failed_file(source, message, "internal")

    def unreadable(self, location: str, message: str) -> DocumentOutcome:
        """A file-level error row for an input that could not even be fetched."""
        source = source_without_format(location, "")
        return self._failed_file(source, message)

    def _failed_file(
        self, source: SourceFile, error: str, category: str = "source"
    ) -> DocumentOutcome:
        self.progress.pages_planned(1)
        self.progress.pages_finished(0, 1)
        return DocumentOutcome([self.rows.error_row(source, None, error, category)])

    async def _extract_row(self, layout: DocumentLayout) -> DocumentRow:
        spent = RequestCosts()
        for _ in range(_MAX_REPLANS + 1):
            pages, unfit = self._size_pages(layout)
            if unfit:
                return self.rows.error_row(layout.source, layout.page_count, unfit, "budget", spent)
            plans = plan_chunks(pages, self.budget)
            model = self.options.schema.model if len(plans) == 1 else self.part_model
            results = await asyncio.gather(*(self._ask(layout, plan, model) for plan in plans))
            spent = sum((r.costs for r in results), spent)
            if not any(result.replan for result in results):
                return self._row(layout, results, spent)
        return self.rows.error_row(
            layout.source,
            layout.page_count,
            f"the endpoint kept refusing requests after {_MAX_REPLANS} re-plans",
            "endpoint",
            spent,
        )

    def _size_pages(self, layout: DocumentLayout) -> tuple[list[PlannedPage], str | None]:
        """Every page sized for the current budget, or why one of them cannot fit."""
        planned = []
        for number, (width, height) in enumerate(layout.page_sizes, start=1):
            try:
                planned.append(
                    size_page(number, width, height, self.options.profile, self.budget.image_budget)
                )
            except PageDoesNotFitError as exc:
                return [], f"page {number}: {exc}"
        return planned, None

    async def _ask(
        self,
        layout: DocumentLayout,
        plan: ChunkPlan,
        model: type[BaseModel],
    ) -> _ChunkResult:
        """Render, send, validate, and re-ask once with the validation errors."""
        async with self.pool.payload_slot():
            rendered = await self.rasteriser.render(
                layout.source, plan.pages, self.options.profile.pad_to_square
            )
            failed = [str(r) for r in rendered if isinstance(r, SourceError)]
            if failed:
                return _ChunkResult(RequestCosts(), error=failed[0], category="source")
            request = PreparedRequest(
                uuid.uuid4().hex[:16],
                layout.source,
                plan,
                tuple(r for r in rendered if not isinstance(r, SourceError)),
                self._estimated_tokens(plan),
                document_pages=layout.page_count,
            )
            costs = RequestCosts()
            for reasks_left in range(self.options.validation_reasks, -1, -1):
                sent = await self._send(request, plan)
                if not isinstance(sent, EndpointAnswer):
                    return replace(sent, costs=costs + sent.costs)
                costs = costs + RequestCosts.of(sent)
                parsed = parse_document(sent.content, model)
                if parsed.values is not None:
                    return _ChunkResult(costs, values=parsed.values)
                problems = _with_cutoff(parsed.problems, sent.finish_reason)
                if reasks_left == 0:
                    return _ChunkResult(
                        costs,
                        error=f"invalid answer: {problems}",
                        category="answer",
                        raw_answer=sent.content,
                    )
                reask = Reask(sent.content or "", problems)
                request = replace(request, request_id=uuid.uuid4().hex[:16], reask=reask)
        raise AssertionError("unreachable: the loop returns on its last pass")

    async def _send(
        self, request: PreparedRequest, plan: ChunkPlan
    ) -> EndpointAnswer | _ChunkResult:
        """The answer, or a chunk result that says to re-plan or why the request failed."""
        try:
            return await self.pool.send(request)
        except OutgrownRequestError:
            return _ChunkResult(RequestCosts(), replan=True)
        except TransientEndpointError as exc:
            return self._endpoint_failure(exc, exc.attempts)
        except RequestRejectedError as exc:
            refusal = classify_refusal(exc.status_code, str(exc))
            if refusal.kind == "too_many_images" and len(plan.pages) > 1:
                self.learned.learn_images(len(plan.pages), refusal.limit)
            elif refusal.kind == "context_length" and refusal.limit is not None:
                self.learned.learn_context(refusal.limit)
            if not self.learned.admits(plan):
                return _ChunkResult(RequestCosts((), exc.attempts), replan=True)
            return self._endpoint_failure(exc, exc.attempts)

    def _endpoint_failure(self, exc: Exception, attempts: int) -> _ChunkResult:
        error = self.pool.client.redact(str(exc))
        return _ChunkResult(RequestCosts((), attempts), error=error, category="endpoint")

    def _row(
        self, layout: DocumentLayout, results: Sequence[_ChunkResult], costs: RequestCosts
    ) -> DocumentRow:
        source, pages = layout.source, layout.page_count
        failed = [r for r in results if r.error is not None]
        if failed:
            first = failed[0]
            raw = _raw_answers([r.raw_answer for r in results])
            return self.rows.error_row(
                source, pages, str(first.error), str(first.category), costs, raw, len(results)
            )
        parts = [r.values for r in results if r.values is not None]
        if len(parts) == 1:
            return self.rows.ok_row(source, pages, parts[0], costs, 1)
        merged = merge_chunks([part.model_dump() for part in parts])
        try:
            values = self.options.schema.model.model_validate(merged.values)
        except ValidationError as exc:
            raw = _raw_answers([part.model_dump_json() for part in parts])
            error = f"merged fields are invalid: {validation_problems(exc)}"
            return self.rows.error_row(source, pages, error, "answer", costs, raw, len(results))
        return self.rows.ok_row(source, pages, values, costs, len(results), merged.conflicts)

    def _estimated_tokens(self, plan: ChunkPlan) -> int:
        budget = self.options.budget
        return budget.prompt_tokens + plan.image_tokens + budget.max_output_tokens


def partial_model(model: type[BaseModel]) -> type[BaseModel]:
    """The model with every field optional: a chunk of pages may show only some fields."""
    fields: dict[str, typing.Any] = {
        name: (
            typing.Optional[info.annotation],  # noqa: UP045 - the annotation is a runtime value
            Field(default=None, description=info.description),
        )
        for name, info in model.model_fields.items()
    }
    config = ConfigDict(frozen=True, extra="ignore")
    partial: type[BaseModel] = create_model(f"{model.__name__}Part", __config__=config, **fields)
    return partial


def _with_cutoff(problems: str | None, finish_reason: str | None) -> str:
    text = problems or "unknown problem"
    if finish_reason == "length":
        text += " (the answer was cut off at the output token limit)"
    return text


def _raw_answers(answers: Sequence[str | None]) -> str | None:
    """The raw answer, or the chunks' answers as a JSON list when there were several."""
    kept = [a for a in answers if a is not None]
    if not kept:
        return None
    return kept[0] if len(answers) == 1 else json.dumps(kept, ensure_ascii=False)

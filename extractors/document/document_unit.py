"""One row per document: all its pages in one request when they fit, else chunks merged.

A document schema (receipt, invoice, a user's) describes a whole file. Its pages go in one
request when the budget allows; a longer document is asked chunk by chunk, each chunk for the
fields it shows, and the chunks' answers are merged (`chunks` and `merge_conflicts` say so).
Every answer is validated; an invalid one is asked again once with the validation errors, and
one still invalid becomes an error row keeping the raw answer.
"""

import asyncio
import json
from collections.abc import Sequence
from dataclasses import dataclass, replace

from pydantic import BaseModel, ValidationError

from extractors.answer.merge import merge_chunks, partial_model
from extractors.answer.parse import parse_document, validation_problems
from extractors.document.chunk_sender import Asked, new_request_id
from extractors.document.document_rows import DocumentRow, DocumentRowBuilder, RequestCosts
from extractors.document.unit import DocumentOutcome, UnitBase, UnitServices
from extractors.plan.chunking import plan_chunks
from extractors.plan.sizing import size_pages
from extractors.records import ChunkPlan, DocumentLayout, Reask, SourceFile
from extractors.sink.ledger import DocumentLedger
from schemas import ErrorCategory, RowStatus

# A refusal that teaches a smaller limit re-plans the document; a few lessons suffice.
_MAX_REPLANS = 4


@dataclass(frozen=True)
class _ChunkResult:
    """One chunk's validated fields, or why it has none; `replan` asks for a new plan."""

    costs: RequestCosts
    values: BaseModel | None = None
    error: str | None = None
    category: ErrorCategory | None = None
    raw_answer: str | None = None
    replan: bool = False


class DocumentRowUnit(UnitBase):
    """The unit of document schemas: `DIR/<schema>/`, one row of fields per input file."""

    def __init__(
        self, services: UnitServices, rows: DocumentRowBuilder, ledger: DocumentLedger
    ) -> None:
        super().__init__(services)
        self.rows = rows
        self.ledger = ledger
        self.part_model = partial_model(self.options.schema.model)

    async def resume(self, source: SourceFile) -> DocumentOutcome | None:
        key = self.rows.context.ledger_key(source.sha256)
        if not self.ledger.is_complete(key):
            return None
        if self.ledger.has_source(key, source.path):
            return DocumentOutcome([], skipped_pages=1)
        stored = await asyncio.to_thread(self.ledger.stored_row, key)
        return DocumentOutcome([self.rows.copied_row(stored, source)], skipped_pages=1)

    def file_error(self, source: SourceFile, message: str, category: ErrorCategory) -> DocumentRow:
        return self.rows.error_row(source, None, message, category)

    async def extract(self, layout: DocumentLayout) -> DocumentOutcome:
        self.progress.pages_planned(layout.page_count)
        row = await self._extract_row(layout)
        ok_pages = layout.page_count if row.status == RowStatus.OK else 0
        self.progress.pages_finished(ok_pages, layout.page_count - ok_pages)
        return DocumentOutcome([row])

    async def _extract_row(self, layout: DocumentLayout) -> DocumentRow:
        spent = RequestCosts()
        for _ in range(_MAX_REPLANS + 1):
            every_page = range(1, layout.page_count + 1)
            budget = self.sender.budget
            pages, unfit = size_pages(
                layout.page_sizes, every_page, self.options.profile, budget.image_budget
            )
            if unfit:
                number, exc = unfit[0]
                error = f"page {number}: {exc}"
                return self.rows.error_row(
                    layout.source, layout.page_count, error, ErrorCategory.BUDGET, spent
                )
            plans = plan_chunks(pages, budget)
            model = self.options.schema.model if len(plans) == 1 else self.part_model
            results = await asyncio.gather(*(self._ask(layout, plan, model) for plan in plans))
            spent = sum((r.costs for r in results), spent)
            if not any(result.replan for result in results):
                return self._row(layout, results, spent)
        error = f"the endpoint kept refusing requests after {_MAX_REPLANS} re-plans"
        return self.rows.error_row(
            layout.source, layout.page_count, error, ErrorCategory.ENDPOINT, spent
        )

    async def _ask(
        self, layout: DocumentLayout, plan: ChunkPlan, model: type[BaseModel]
    ) -> _ChunkResult:
        """Render, send, validate, and re-ask once with the validation errors."""
        answer_room = self.options.budget.max_output_tokens
        sender = self.sender
        async with sender.rendered(layout.source, plan, answer_room, layout.page_count) as drawn:
            if drawn.failed:
                error = str(drawn.failed[0][1])
                return _ChunkResult(RequestCosts(), error=error, category=ErrorCategory.SOURCE)
            request = drawn.request
            assert request is not None  # every page rendered
            costs = RequestCosts()
            for reasks_left in range(self.options.validation_reasks, -1, -1):
                asked = await sender.ask(request)
                if asked.answer is None:
                    return self._unanswered(asked, costs)
                answer = asked.answer
                costs = costs + RequestCosts.of(answer)
                parsed = parse_document(answer.content, model)
                if parsed.values is not None:
                    return _ChunkResult(costs, values=parsed.values)
                problems = _with_cutoff(parsed.problems, answer.finish_reason)
                if reasks_left == 0:
                    return _ChunkResult(
                        costs,
                        error=f"invalid answer: {problems}",
                        category=ErrorCategory.ANSWER,
                        raw_answer=answer.content,
                    )
                reask = Reask(answer.content or "", problems)
                request = replace(request, request_id=new_request_id(), reask=reask)
        raise AssertionError("unreachable: the loop returns on its last pass")

    def _unanswered(self, asked: Asked, costs: RequestCosts) -> _ChunkResult:
        """A request with no answer: re-plan when the endpoint taught a limit, else an error."""
        costs = costs + RequestCosts((), asked.attempts)
        if asked.replan:
            return _ChunkResult(costs, replan=True)
        error = self.sender.redact(str(asked.failure))
        return _ChunkResult(costs, error=error, category=asked.error_category)

    def _row(
        self, layout: DocumentLayout, results: Sequence[_ChunkResult], costs: RequestCosts
    ) -> DocumentRow:
        source, pages = layout.source, layout.page_count
        failed = [r for r in results if r.error is not None]
        if failed:
            first = failed[0]
            raw = _raw_answers([r.raw_answer for r in results])
            category = first.category or ErrorCategory.INTERNAL
            return self.rows.error_row(
                source, pages, str(first.error), category, costs, raw, len(results)
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
            return self.rows.error_row(
                source, pages, error, ErrorCategory.ANSWER, costs, raw, len(results)
            )
        return self.rows.ok_row(source, pages, values, costs, len(results), merged.conflicts)


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

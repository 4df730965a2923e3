"""One row per document: all its pages in one request when they fit, else chunks merged.

A document schema (receipt, invoice, a user's) describes a whole file. Its pages go in one
request when the budget allows; a longer document is asked chunk by chunk, each chunk for the
fields it shows, and the chunks' answers are merged (`chunks` and `merge_conflicts` say so).
Every answer is validated; an invalid one is asked again once with the validation errors, and
one still invalid becomes an error row keeping the raw answer.
"""

import json
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime

from pydantic import BaseModel, ValidationError

from extractors.answer.citation_words import ocr_words
from extractors.answer.merge import merge_chunks, partial_model
from extractors.answer.parse import parse_document, validation_problems
from extractors.document.chunk_sender import Asked, new_request_id
from extractors.document.document_resume import DocumentResume
from extractors.document.document_rows import DocumentRow, DocumentRowBuilder, RequestCosts
from extractors.document.document_trust import REASKED, ChunkResult, DocumentTrust
from extractors.document.gathering import gather_all
from extractors.document.layer_hints import fitted_hints, hint_cut_doubt, layer_texts
from extractors.document.unit import DocumentOutcome, RowSink, UnitBase, UnitServices
from extractors.endpoint.prompt import layer_text_tokens
from extractors.load.mupdf_messages import mupdf_doubt
from extractors.options import TextLayerMode
from extractors.plan.chunking import plan_chunks
from extractors.plan.sizing import size_layout_pages
from extractors.records import (
    ChunkPlan,
    DocumentLayout,
    PlannedPage,
    Reask,
    SourceFile,
)
from extractors.sink.chunk_answers import ChunkAnswers
from extractors.sink.ledger import DocumentLedger
from schemas import ChunkAnswerRow, ErrorCategory, RowStatus, TextSource

# A refusal that teaches a smaller limit re-plans the document; a few lessons suffice.
_MAX_REPLANS = 4


class DocumentRowUnit(UnitBase):
    """The unit of document schemas: `DIR/<schema>/`, one row of fields per input file."""

    def __init__(
        self,
        services: UnitServices,
        rows: DocumentRowBuilder,
        ledger: DocumentLedger,
        chunk_answers: ChunkAnswers,
    ) -> None:
        super().__init__(services)
        self.rows = rows
        self.ledger = ledger
        self.chunk_answers = chunk_answers
        self.part_model = partial_model(self.options.schema.model)
        self.trust = DocumentTrust(rows.context, self.options.render.max_dpi)
        self.stored = DocumentResume(ledger, rows)

    async def resume(self, source: SourceFile) -> DocumentOutcome | None:
        key = self.rows.context.ledger_key(source.sha256)
        if not self.ledger.is_complete(key):
            return None
        return await self.stored.resume(key, source, self.options.pages)

    def file_error(self, source: SourceFile, message: str, category: ErrorCategory) -> DocumentRow:
        return self.rows.error_row(source, None, message, category)

    async def extract(self, layout: DocumentLayout, sink: RowSink) -> DocumentOutcome:
        """The row of the pages `--pages` selects; none when it selects none of them."""
        selected = self.options.pages.of(layout.page_count)
        if not selected:
            return DocumentOutcome([])
        self.progress.pages_planned(len(selected))
        row = await self._extract_row(layout, selected)
        row = replace(row, provenance=row.provenance.model_copy(update={"pages": list(selected)}))
        ok_pages = len(selected) if row.status == RowStatus.OK else 0
        self.progress.pages_finished(ok_pages, len(selected) - ok_pages)
        return DocumentOutcome([row])

    async def _extract_row(self, layout: DocumentLayout, selected: Sequence[int]) -> DocumentRow:
        spent = RequestCosts()
        for _ in range(_MAX_REPLANS + 1):
            budget = self.sender.budget
            pages, unfit = size_layout_pages(
                layout, selected, self.options.profile, budget.image_budget
            )
            pages = self._as_text_where_born_digital(layout, pages)
            if unfit:
                number, exc = unfit[0]
                error = f"page {number}: {exc}"
                return self.rows.error_row(
                    layout.source, layout.page_count, error, ErrorCategory.BUDGET, spent
                )
            plans = plan_chunks(pages, budget)
            if len(plans) == 1:
                results = [await self._ask(layout, plans[0], self.options.schema.model)]
            else:
                results = await gather_all(self._chunk(layout, plan) for plan in plans)
            spent = sum((r.costs for r in results), spent)
            if not any(result.replan for result in results):
                read_from_layer = all(p.as_text for p in pages)
                return self._row(layout, results, spent, read_from_layer)
        error = f"the endpoint kept refusing requests after {_MAX_REPLANS} re-plans"
        return self.rows.error_row(
            layout.source, layout.page_count, error, ErrorCategory.ENDPOINT, spent
        )

    def _as_text_where_born_digital(
        self, layout: DocumentLayout, pages: list[PlannedPage]
    ) -> list[PlannedPage]:
        """`--text-layer only`: a page with a usable layer goes as its text, with no image."""
        if self.options.render.text_layer != TextLayerMode.ONLY:
            return pages
        sent = []
        for planned in pages:
            layer = layout.text_layer(planned.page)
            tokens = layer_text_tokens((layer.text,)) if layer is not None else 0
            # A layer too long to go as text goes as the page's image, its hint cut to fit.
            if (
                layer is not None
                and layer.usable
                and tokens <= self.sender.budget.image_budget // 2
            ):
                planned = PlannedPage(planned.page, 0, 0, tokens)
            sent.append(planned)
        return sent

    async def _chunk(self, layout: DocumentLayout, plan: ChunkPlan) -> ChunkResult:
        """One chunk of several: its stored answer when a killed run got it, else asked and
        kept as soon as it is valid."""
        key = self.rows.context.ledger_key(layout.source.sha256)
        pages = tuple(page.page for page in plan.pages)
        stored = self.chunk_answers.answer(key, pages)
        if stored is not None:
            values = self.part_model.model_validate_json(stored["values_json"])
            costs = RequestCosts(
                tuple(stored["request_ids"]),
                stored["attempts"],
                stored["prompt_tokens"],
                stored["completion_tokens"],
                stored["latency_ms"],
            )
            return ChunkResult(costs, values=values)
        result = await self._ask(layout, plan, self.part_model)
        if result.values is not None:
            self.chunk_answers.record(self._chunk_row(layout, pages, result))
        return result

    def _chunk_row(
        self, layout: DocumentLayout, pages: tuple[int, ...], result: ChunkResult
    ) -> ChunkAnswerRow:
        assert result.values is not None  # only validated chunks are kept
        costs, context = result.costs, self.rows.context
        return ChunkAnswerRow(
            source=layout.source.path,
            source_sha256=layout.source.sha256,
            model=context.model,
            schema_version=context.schema_version,
            prompt_version=context.prompt_version,
            options_version=context.options_version,
            pages=list(pages),
            status=RowStatus.OK,
            values_json=result.values.model_dump_json(),
            request_ids=list(costs.request_ids),
            attempts=costs.attempts,
            prompt_tokens=costs.prompt_tokens,
            completion_tokens=costs.completion_tokens,
            latency_ms=costs.latency_ms,
            run_id=context.run_id,
            extracted_at=datetime.now(UTC),
        )

    async def _ask(
        self, layout: DocumentLayout, plan: ChunkPlan, model: type[BaseModel]
    ) -> ChunkResult:
        """Render, send, validate, and re-ask once with the validation errors; an answer that
        refuses the document in words ("not a receipt: ...") is an error in those words."""
        sender = self.sender
        answer_room = sender.budget.max_output_tokens  # refitted when a context is learned
        pages = [p.page for p in plan.pages]
        texts = layer_texts(layout, pages, self.options.render.text_layer, per_page=False)
        room = sender.budget.image_budget - plan.image_tokens
        hints = fitted_hints(layout, plan.pages, texts, room)
        hints_cut = [hint_cut_doubt(kept, total) for _, kept, total in hints.cut_pages]
        drawn_chunk = sender.rendered(
            layout.source, plan, answer_room, layout.page_count, hints.texts
        )
        async with drawn_chunk as drawn:
            if drawn.failed:
                error = str(drawn.failed[0][1])
                return ChunkResult(RequestCosts(), error=error, category=ErrorCategory.SOURCE)
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
                    notes = [mupdf_doubt(n) for image in request.images for n in image.notes]
                    trust = self.trust.of_answer(answer).doubted(*hints_cut, *notes)
                    if reasks_left < self.options.validation_reasks:
                        trust = trust.doubted(REASKED)
                    read = tuple(ocr_words(answer.ocr_pages, request.images))
                    return ChunkResult(costs, values=parsed.values, trust=trust, read=read)
                problems = _with_cutoff(parsed.problems, answer.finish_reason)
                # A refusal says why in its words; validation errors would not change them.
                if reasks_left == 0 or parsed.refusal is not None:
                    return ChunkResult(
                        costs,
                        error=parsed.refusal or f"invalid answer: {problems}",
                        category=ErrorCategory.ANSWER,
                        raw_answer=sender.redact(answer.content or ""),
                    )
                reask = Reask(answer.content or "", problems)
                request = replace(request, request_id=new_request_id(), reask=reask)
        raise AssertionError("unreachable: the loop returns on its last pass")

    def _unanswered(self, asked: Asked, costs: RequestCosts) -> ChunkResult:
        """A request with no answer: re-plan when the endpoint taught a limit, else an error."""
        costs = costs + RequestCosts((), asked.attempts)
        if asked.replan:
            return ChunkResult(costs, replan=True)
        error = self.sender.redact(str(asked.failure))
        return ChunkResult(costs, error=error, category=asked.error_category)

    def _row(
        self,
        layout: DocumentLayout,
        results: Sequence[ChunkResult],
        costs: RequestCosts,
        read_from_layer: bool = False,
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
        # Fields read from the PDF's own text of every page, not from images of them.
        text_source = TextSource.TEXT_LAYER if read_from_layer else None
        if len(parts) == 1:
            trust, citations = self.trust.of_row(layout, results, parts[0], ())
            return self.rows.ok_row(
                source, pages, parts[0], costs, 1, (), text_source, trust, citations
            )
        merged = merge_chunks([part.model_dump() for part in parts])
        try:
            values = self.options.schema.model.model_validate(merged.values)
        except ValidationError as exc:
            raw = _raw_answers([part.model_dump_json() for part in parts])
            error = f"merged fields are invalid: {validation_problems(exc)}"
            return self.rows.error_row(
                source, pages, error, ErrorCategory.ANSWER, costs, raw, len(results)
            )
        trust, citations = self.trust.of_row(layout, results, values, merged.conflicts)
        return self.rows.ok_row(
            source,
            pages,
            values,
            costs,
            len(results),
            merged.conflicts,
            text_source,
            trust,
            citations,
        )


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

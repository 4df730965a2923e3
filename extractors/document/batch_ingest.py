"""A batch's output and error lines into page rows, each answer taken exactly as an online
answer is (items matched by image, validated, tokens shared out), with its `batch_id`."""

import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ValidationError

from extractors.answer.parse import parse_answer
from extractors.batch.lines import LineMap, PageCopy
from extractors.batch.output_lines import OutputLine
from extractors.batch.tally import LineTally
from extractors.document.page_rows import PageRowBuilder
from extractors.document.set_aside import Duplicate
from extractors.endpoint.completion import read_completion
from extractors.records import EndpointAnswer, PlannedPage, RenderedImage, SourceFile
from schemas import ErrorCategory, PageRow, RowStatus

# A batch line is one attempt: the provider's own retries are not shown to us.
_ATTEMPTS = 1


def _unchanged(text: str) -> str:
    return text


def _never_done(mapped: LineMap) -> bool:
    return False


@dataclass
class BatchIngest:
    """Turns the lines of one batch's files into rows; pages no line answered end as errors.

    Each line is checked before it is read: its custom_id must be one of the plan's, seen
    once, for pages not already ok; its text is redacted before anything of it is kept, and a
    line over `max_bytes` is an answer error of its pages, never read.
    """

    rows: PageRowBuilder
    item_model: type[BaseModel]
    maps: dict[str, LineMap]
    batch_id: str
    turnaround_ms: float
    # Why the lines never seen are missing (an expired batch's lines were never run).
    missing_reason: str = "missing from the batch output"
    redact: Callable[[str], str] = _unchanged
    max_bytes: int = 16_000_000
    # Lines an earlier `visionbatch ingest` wrote rows for.
    answered_before: frozenset[str] = frozenset()
    # Whether every page of a line is already ok in the dataset.
    already_ok: Callable[[LineMap], bool] = _never_done
    tally: LineTally = field(default_factory=lambda: LineTally("output"))
    # Lines whose pages have rows now (or had them already): the plan's accounted lines.
    accounted: set[str] = field(default_factory=set)
    _claimed: set[str] = field(default_factory=set)

    def line(self, line: OutputLine) -> list[PageRow]:
        """The rows of one output or error line; [] for a line skipped (and counted)."""
        custom_id = line.custom_id()
        if custom_id is None:
            self.tally.unreadable(line)
            return []
        mapped = self._claim(custom_id)
        if mapped is None:
            return []
        rows = self._read(mapped, line)
        if rows is None:
            return []  # its pages stay unanswered and end as missing
        self.accounted.add(custom_id)
        return self._with_copies(mapped, rows)

    def missing(self) -> list[PageRow]:
        """Error rows of the pages of every line no file answered (and of their copies)."""
        rows: list[PageRow] = []
        for custom_id, mapped in self.maps.items():
            if self.waiting(custom_id) and not self.already_ok(mapped):
                errors = self._errors(mapped, self.missing_reason, ErrorCategory.ENDPOINT)
                rows += self._with_copies(mapped, errors)
        return rows

    def waiting(self, custom_id: str) -> bool:
        """No row of this line's pages came from any ingest yet."""
        return custom_id not in self.accounted and custom_id not in self.answered_before

    def _read(self, mapped: LineMap, line: OutputLine) -> list[PageRow] | None:
        """The rows of the line's own pages; None for a line that is not JSON (it waits)."""
        if line.text is None:
            self.tally.note("oversize", f"line {line.number}, {line.size:,} bytes")
            too_large = f"answer larger than {self.max_bytes / 1e6:g} MB"
            return self._errors(mapped, too_large, ErrorCategory.ANSWER)
        try:
            parsed = json.loads(self.redact(line.text))
        except json.JSONDecodeError:
            parsed = None
        if not isinstance(parsed, dict):
            self.tally.unreadable(line)
            return None
        failure = _line_failure(parsed)
        if failure is not None:
            return self._errors(mapped, failure, ErrorCategory.ENDPOINT)
        return self._answered(mapped, parsed["response"]["body"])

    def _with_copies(self, mapped: LineMap, rows: list[PageRow]) -> list[PageRow]:
        """The line's rows, and one for each page planned as a copy of one of its pages."""
        if not mapped.copies:
            return rows
        by_page = {row.page: row for row in rows}
        return rows + [
            self._copy_row(mapped.source, copy, by_page.get(copy.of_page)) for copy in mapped.copies
        ]

    def _copy_row(self, of: SourceFile, copy: PageCopy, original: PageRow | None) -> PageRow:
        """The original's ok row as the copy's (warned with the page it copies); an error
        when the original has none: a copy is never ok without its answer."""
        page = copy.page
        planned = PlannedPage(page.page, page.width, page.height, page.image_tokens)
        if original is not None and original.status == RowStatus.OK:
            image = RenderedImage(page.page, page.width, page.height, "image/jpeg", b"")
            duplicate = Duplicate(planned, image, original)
            return self.rows.duplicate_row(copy.source, copy.page_count, duplicate)
        why = original.error if original is not None else None
        category = original.error_category if original is not None else None
        message = (
            f"same image as {of.path} page {copy.of_page}, not asked, and that page has no "
            f"answer: {why or 'no row'}"
        )
        error = self.rows.error_row(
            copy.source,
            page.page,
            copy.page_count,
            message,
            category or ErrorCategory.ANSWER,
            0,
            planned,
        )
        return self._mark(error)

    def _claim(self, custom_id: str) -> LineMap | None:
        """The line's page map, or None for a line to skip (counted by why)."""
        mapped = self.maps.get(custom_id)
        kind = None
        if mapped is None:
            kind = "foreign"
        elif custom_id in self._claimed:
            kind = "duplicate"
        elif self.already_ok(mapped):
            kind = "already_ok"
            self.accounted.add(custom_id)
        elif custom_id in self.answered_before:
            kind = "already_ingested"
        self._claimed.add(custom_id)
        if kind is not None:
            self.tally.note(kind, custom_id)
            return None
        return mapped

    def _answered(self, mapped: LineMap, body: Mapping[str, Any]) -> list[PageRow]:
        answer = self._answer(mapped.custom_id, body)
        if answer is None:
            return self._errors(mapped, "unreadable chat completion", ErrorCategory.ANSWER)
        parsed = parse_answer(answer.content, len(mapped.pages), self.item_model)
        images = [RenderedImage(p.page, p.width, p.height, "image/jpeg", b"") for p in mapped.pages]
        answered = [(images[i - 1], item) for i, item in sorted(parsed.items.items())]
        rows = self.rows.ok_rows(mapped.source, mapped.page_count, answered, answer, _ATTEMPTS)
        problems = parsed.problems
        if answer.finish_reason == "length":
            problems += ("answer cut off at the output token limit",)
        left = [p for i, p in enumerate(mapped.pages, start=1) if i not in parsed.items]
        reason = "no usable answer: " + ("; ".join(dict.fromkeys(problems)) or "page missing")
        return [self._mark(row) for row in rows] + self._errors(
            mapped, reason, ErrorCategory.ANSWER, left
        )

    def _answer(self, custom_id: str, body: Mapping[str, Any]) -> EndpointAnswer | None:
        from openai.types.chat import ChatCompletion

        try:
            completion = ChatCompletion.model_validate(body)
        except ValidationError:
            return None
        started = time.monotonic() - self.turnaround_ms / 1000
        return read_completion(custom_id, completion, started, _ATTEMPTS)

    def _errors(
        self,
        mapped: LineMap,
        reason: str,
        category: ErrorCategory,
        pages: list[Any] | None = None,
    ) -> list[PageRow]:
        message = f"batch {self.batch_id}: {reason}"
        return [
            self._mark(
                self.rows.error_row(
                    mapped.source,
                    page.page,
                    mapped.page_count,
                    message,
                    category,
                    _ATTEMPTS,
                    PlannedPage(page.page, page.width, page.height, page.image_tokens),
                )
            )
            for page in (mapped.pages if pages is None else pages)
        ]

    def _mark(self, row: PageRow) -> PageRow:
        return row.model_copy(update={"batch_id": self.batch_id})


def _line_failure(line: Mapping[str, Any]) -> str | None:
    """Why a line carries no answer (an error object, an HTTP error status), or None."""
    error = line.get("error")
    response = line.get("response")
    if error:
        if isinstance(error, dict):
            return f"{error.get('code') or 'error'}: {error.get('message') or ''}".strip(": ")
        return str(error)[:300]
    if not isinstance(response, dict) or not isinstance(response.get("body"), dict):
        return "line without a response"
    status = response.get("status_code")
    if status != 200:
        body = response["body"]
        detail = body.get("error", {}).get("message") if isinstance(body.get("error"), dict) else ""
        return f"HTTP {status}: {detail or 'no detail'}"[:300]
    return None

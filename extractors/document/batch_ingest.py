"""A batch's output and error lines into page rows, each answer taken exactly as an online
answer is (items matched by image, validated, tokens shared out), with its `batch_id`."""

import json
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ValidationError

from extractors.answer.parse import parse_answer
from extractors.batch.lines import LineMap
from extractors.document.page_rows import PageRowBuilder
from extractors.endpoint.completion import read_completion
from extractors.records import EndpointAnswer, PlannedPage, RenderedImage
from schemas import ErrorCategory, PageRow

# A batch line is one attempt: the provider's own retries are not shown to us.
_ATTEMPTS = 1


@dataclass
class BatchIngest:
    """Turns the lines of one batch's files into rows; pages no line answered end as errors."""

    rows: PageRowBuilder
    item_model: type[BaseModel]
    maps: dict[str, LineMap]
    batch_id: str
    turnaround_ms: float
    # Why the lines never seen are missing (an expired batch's lines were never run).
    missing_reason: str = "missing from the batch output"
    unreadable_lines: int = 0
    _seen: set[str] = field(default_factory=set)

    def line(self, raw: str) -> list[PageRow]:
        """The rows of one output or error line; [] for a line that maps to no request."""
        try:
            line = json.loads(raw)
        except json.JSONDecodeError:
            self.unreadable_lines += 1  # its pages stay unanswered and end as missing
            return []
        mapped = self.maps.get(str(line.get("custom_id"))) if isinstance(line, dict) else None
        if mapped is None or mapped.custom_id in self._seen:
            return []
        self._seen.add(mapped.custom_id)
        failure = _line_failure(line)
        if failure is not None:
            return self._errors(mapped, failure, ErrorCategory.ENDPOINT)
        return self._answered(mapped, line["response"]["body"])

    def missing(self) -> list[PageRow]:
        """Error rows of the pages of every line no file answered."""
        rows: list[PageRow] = []
        for custom_id, mapped in self.maps.items():
            if custom_id not in self._seen:
                rows += self._errors(mapped, self.missing_reason, ErrorCategory.ENDPOINT)
        return rows

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

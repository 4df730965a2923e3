"""Building the Parquet rows of a document schema: one per input file, ok or error."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property
from typing import Any

import pyarrow as pa
from pydantic import BaseModel, ValidationError

from extractors.document.page_rows import answered_by
from extractors.records import EndpointAnswer, RowContext, SourceFile
from extractors.trust import MODEL_PRIOR, Trust
from schemas import (
    PROVENANCE_COLUMNS,
    DocumentProvenance,
    ErrorCategory,
    RowStatus,
    TextSource,
    document_arrow_schema,
)
from schemas.arrow import plain_values
from schemas.trust import Citation


@dataclass(frozen=True)
class DocumentRow:
    """A document's provenance and, when ok, its validated fields."""

    provenance: DocumentProvenance
    values: BaseModel | None

    @property
    def status(self) -> str:
        return self.provenance.status

    def as_record(self) -> dict[str, Any]:
        fields = plain_values(self.values.model_dump()) if self.values is not None else {}
        return {**self.provenance.model_dump(), **fields}


@dataclass(frozen=True)
class RequestCosts:
    """What the requests behind one row cost, summed."""

    request_ids: tuple[str, ...] = ()
    attempts: int = 0
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    latency_ms: float = 0.0

    @classmethod
    def of(cls, answer: EndpointAnswer) -> "RequestCosts":
        return cls(
            (answer.request_id,),
            answer.attempts,
            answer.prompt_tokens,
            answer.completion_tokens,
            answer.latency_ms,
        )

    def __add__(self, other: "RequestCosts") -> "RequestCosts":
        return RequestCosts(
            (*self.request_ids, *other.request_ids),
            self.attempts + other.attempts,
            _add(self.prompt_tokens, other.prompt_tokens),
            _add(self.completion_tokens, other.completion_tokens),
            self.latency_ms + other.latency_ms,
        )


@dataclass(frozen=True)
class DocumentRowBuilder:
    """Makes a run's document rows, checking that ok values fit their Parquet columns."""

    context: RowContext
    model: type[BaseModel]

    @cached_property
    def arrow_schema(self) -> pa.Schema:
        """Built once: every ok row is checked against it."""
        return document_arrow_schema(self.model)

    def ok_row(
        self,
        source: SourceFile,
        page_count: int,
        values: BaseModel,
        costs: RequestCosts,
        chunks: int,
        conflicts: Sequence[str] = (),
        text_source: TextSource | None = None,
        trust: Trust | None = None,
        citations: Sequence[Citation] = (),
    ) -> DocumentRow:
        """An ok row, or an `output` error row when a value cannot be stored as typed; its
        trust is the model's (from token probabilities) unless one is given."""
        provenance = self._provenance(source, page_count, RowStatus.OK, costs, chunks, conflicts)
        trust = trust or Trust(MODEL_PRIOR)
        update: dict[str, Any] = {
            "warnings": trust.warnings,
            "confidence": trust.confidence,
            "citations": list(citations),
        }
        if text_source is not None:
            update["text_source"] = text_source
        provenance = provenance.model_copy(update=update)
        row = DocumentRow(provenance, values)
        try:
            pa.Table.from_pylist([row.as_record()], schema=self.arrow_schema)
        except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError) as exc:
            raw = values.model_dump_json()
            return self.error_row(
                source,
                page_count,
                f"value does not fit its column: {exc}",
                ErrorCategory.OUTPUT,
                costs,
                raw,
            )
        return row

    def error_row(
        self,
        source: SourceFile,
        page_count: int | None,
        error: str,
        category: ErrorCategory,
        costs: RequestCosts = RequestCosts(),
        raw_answer: str | None = None,
        chunks: int = 0,
    ) -> DocumentRow:
        provenance = self._provenance(source, page_count, RowStatus.ERROR, costs, chunks, ())
        update = {"error": error, "error_category": category, "raw_answer": raw_answer}
        return DocumentRow(provenance.model_copy(update=update), None)

    def copied_row(self, stored: dict[str, Any], source: SourceFile) -> DocumentRow:
        """A stored ok row of identical content found again at another path."""
        provenance = DocumentProvenance.model_validate(
            {
                **{name: stored[name] for name in PROVENANCE_COLUMNS},
                "source": source.path,
                "run_id": self.context.run_id,
                "extracted_at": datetime.now(UTC),
            }
        )
        try:
            values = self.model.model_validate({k: stored.get(k) for k in self.model.model_fields})
        except ValidationError as exc:
            raise ValueError(
                f"stored row of {stored['source']} no longer validates: {exc}"
            ) from exc
        return DocumentRow(provenance, values)

    def _provenance(
        self,
        source: SourceFile,
        page_count: int | None,
        status: RowStatus,
        costs: RequestCosts,
        chunks: int,
        conflicts: Sequence[str],
    ) -> DocumentProvenance:
        values: dict[str, Any] = {
            "source": source.path,
            "source_sha256": source.sha256,
            "source_format": source.format,
            "page_count": page_count,
            "pages": list(range(1, (page_count or 0) + 1)),
            "status": status,
            "error": None,
            "error_category": None,
            "raw_answer": None,
            "chunks": chunks,
            "merge_conflicts": list(conflicts),
            **self.context.provenance(),
            "request_ids": list(costs.request_ids),
            "attempts": costs.attempts,
            "prompt_tokens": costs.prompt_tokens,
            "completion_tokens": costs.completion_tokens,
            "latency_ms": round(costs.latency_ms, 1) if costs.request_ids else None,
            "text_source": answered_by(self.context) if status == RowStatus.OK else None,
            "extracted_at": datetime.now(UTC),
        }
        return DocumentProvenance(**values)


def _add(a: int | None, b: int | None) -> int | None:
    return None if a is None and b is None else (a or 0) + (b or 0)

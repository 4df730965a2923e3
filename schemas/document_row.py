"""The Parquet row of a document schema (`DIR/<schema>/`): provenance, then the fields."""

import typing
from datetime import datetime

import pyarrow as pa
from pydantic import BaseModel, ConfigDict, Field

from schemas.arrow import model_arrow_fields
from schemas.page_row import (
    ERROR_CATEGORY_HELP,
    OPTIONS_VERSION_HELP,
    ErrorCategory,
    RowStatus,
)
from schemas.text_layer import TextSource
from schemas.trust import (
    CITATION_ARROW_TYPE,
    CITATIONS_HELP,
    CONFIDENCE_HELP,
    WARNINGS_HELP,
    Citation,
)


class DocumentProvenance(BaseModel):
    """How one document's row was made; failures are rows too, with `status` = error."""

    model_config = ConfigDict(frozen=True)

    source: str = Field(description="The input path as it was found.")
    source_sha256: str = Field(description="SHA-256 of the input file's bytes.")
    source_format: str = Field(description="Detected file format (pdf, jpeg, png, tiff, ...).")
    page_count: int | None = Field(description="Pages in the file; null when unknown.")
    pages: list[int] = Field(description="The pages the fields were extracted from (1-based).")
    status: RowStatus = Field(description="ok, or error (then `error` says why).")
    error: str | None = Field(description="What went wrong, in one line; null when ok.")
    error_category: ErrorCategory | None = Field(description=ERROR_CATEGORY_HELP)
    raw_answer: str | None = Field(
        description="The model's last answer when it failed validation, kept so nothing is lost."
    )
    chunks: int = Field(
        description="Requests the document took: 1 when all its pages fitted in one request; "
        "more when the fields were extracted per chunk of pages and merged."
    )
    merge_conflicts: list[str] = Field(
        description="Fields on which the merged chunks disagreed, and the value kept."
    )
    model: str = Field(description="Model that was asked.")
    provider: str = Field(description="Provider preset, or `openai-compatible` for a bare URL.")
    schema_name: str = Field(description="Extraction schema.")
    schema_version: str = Field(description="Fingerprint of the schema's fields.")
    prompt_version: str = Field(
        description="Fingerprint of the instructions, the user's --prompt included: rows of "
        "different prompts never mix silently."
    )
    options_version: str = Field(description=OPTIONS_VERSION_HELP)
    request_ids: list[str] = Field(description="Ids of the requests that answered.")
    attempts: int = Field(description="HTTP attempts made, retries and re-asks included.")
    prompt_tokens: int | None = Field(description="Prompt tokens of all its requests.")
    completion_tokens: int | None = Field(description="Completion tokens of all its requests.")
    latency_ms: float | None = Field(description="Summed wall time of its requests, in ms.")
    text_source: TextSource | None = Field(
        default=None,
        description="ocr (the embedded engine) or model (a vision endpoint); null on error.",
    )
    run_id: str = Field(description="Id of the run that wrote the row.")
    extracted_at: datetime = Field(description="When the row was made (UTC).")
    batch_id: str | None = Field(
        default=None,
        description="The provider's batch that answered this document (batch prices); null online.",
    )
    warnings: list[str] = Field(default_factory=list, description=WARNINGS_HELP)
    confidence: float | None = Field(default=None, description=CONFIDENCE_HELP)
    citations: list[Citation] = Field(default_factory=list, description=CITATIONS_HELP)


_PROVENANCE_TYPES: dict[str, pa.DataType] = {
    "source": pa.string(),
    "source_sha256": pa.string(),
    "source_format": pa.string(),
    "page_count": pa.int32(),
    "pages": pa.list_(pa.int32()),
    "status": pa.string(),
    "error": pa.string(),
    "error_category": pa.string(),
    "raw_answer": pa.large_string(),
    "chunks": pa.int32(),
    "merge_conflicts": pa.list_(pa.string()),
    "model": pa.string(),
    "provider": pa.string(),
    "schema_name": pa.string(),
    "schema_version": pa.string(),
    "prompt_version": pa.string(),
    "options_version": pa.string(),
    "request_ids": pa.list_(pa.string()),
    "attempts": pa.int32(),
    "prompt_tokens": pa.int32(),
    "completion_tokens": pa.int32(),
    "latency_ms": pa.float64(),
    "text_source": pa.string(),
    "run_id": pa.string(),
    "extracted_at": pa.timestamp("us", tz="UTC"),
    "batch_id": pa.string(),
    "warnings": pa.list_(pa.string()),
    "confidence": pa.float32(),
    "citations": CITATION_ARROW_TYPE,
}


PROVENANCE_COLUMNS: tuple[str, ...] = tuple(DocumentProvenance.model_fields)


def document_arrow_schema(fields_model: type[BaseModel]) -> pa.Schema:
    """Provenance columns, then one column per field of the extraction schema."""
    if list(PROVENANCE_COLUMNS) != list(_PROVENANCE_TYPES):
        raise TypeError("DocumentProvenance fields differ from their Parquet columns")
    clashes = sorted(set(fields_model.model_fields) & set(PROVENANCE_COLUMNS))
    if clashes:
        raise TypeError(
            f"schema field(s) {', '.join(clashes)} clash with provenance columns; rename them"
        )
    provenance = [
        pa.field(
            name,
            _PROVENANCE_TYPES[name],
            nullable=_nullable(name),
            metadata={"description": DocumentProvenance.model_fields[name].description or ""},
        )
        for name in PROVENANCE_COLUMNS
    ]
    return pa.schema([*provenance, *model_arrow_fields(fields_model)])


def _nullable(name: str) -> bool:
    return type(None) in typing.get_args(DocumentProvenance.model_fields[name].annotation)

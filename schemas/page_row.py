"""The Parquet row of `DIR/pages/`: one row per page of every input, ok or not."""

from datetime import datetime
from enum import StrEnum
from typing import Any

import pyarrow as pa
from pydantic import BaseModel, ConfigDict, Field

from schemas.text_layer import TEXT_LAYER_HELP, TextLayerVerdict, TextSource
from schemas.trust import CONFIDENCE_HELP, WARNINGS_HELP


class RowStatus(StrEnum):
    """Whether a page was extracted."""

    OK = "ok"
    ERROR = "error"


class ErrorCategory(StrEnum):
    """Why a row has no result: what a data team filters and counts errors by."""

    SOURCE = "source"  # the input cannot be read: corrupt, encrypted, unsupported, missing
    BUDGET = "budget"  # a page cannot be made to fit the model's context
    ENDPOINT = "endpoint"  # the endpoint refused or failed the request after its retries
    ANSWER = "answer"  # no usable answer: unparseable, missing items, invalid after re-asks
    OUTPUT = "output"  # a value does not fit its typed Parquet column
    INTERNAL = "internal"  # a bug of ours, caught so that the file is not lost


class TextFormat(StrEnum):
    """What a row's `text` is written in."""

    MARKDOWN = "markdown"  # a model's answer (asked for Markdown) or a text layer's structure
    PLAIN = "plain"  # the embedded engine's lines, or a text layer kept as it is


TEXT_HELP = (
    "The page's text, in `text_format`: Markdown for a text layer (headings, paragraphs, lists "
    "from its fonts) and for a model (asked for Markdown: what it wrote, not checked); plain "
    "lines for the embedded engine; null on error."
)

TEXT_FORMAT_HELP = (
    "markdown or plain: how `text` is written (see `text`); null on error and for rows written "
    "before the column existed."
)

OPTIONS_VERSION_HELP = (
    "Fingerprint of the options that shape what is sent (max DPI, token profile, image "
    "encoding, --text-layer mode): resume matches it, so pages rendered or read differently "
    "are extracted again."
)

ERROR_CATEGORY_HELP = (
    "source (bad input), budget (cannot fit), endpoint (request failed), answer (no usable "
    "answer), output (does not fit its column) or internal (a bug, reported); null when ok."
)


CROP_HELP = (
    "The part of the page the image sent holds (--crop-margins: its content box, ink plus a "
    "border), as shares (0-1) of the page's width and height, in the frame of the image sent "
    "(after `rotation`): x0, y0 (top left), x1, y1; null when the whole page was sent. A box "
    "on the image is at x0 + x * (x1 - x0) of the page's width (and so for y)."
)


IMAGE_SHA256_HELP = (
    "SHA-256 (hex) of the page's image, byte for byte as it was sent (or, for a blank page or "
    "a copy, as it would have been); a copy of a repeated page carries its original's. A rerun "
    "copies an ok row of the same image instead of asking again. Null when no image was "
    "drawn or kept: text-layer rows, error rows, rows of a batch file, rows written before "
    "the column existed."
)


class PageCrop(BaseModel):
    """The part of a page that was sent, as shares of the page's width and height."""

    model_config = ConfigDict(frozen=True)

    x0: float = Field(description="Left edge, as a share of the page's width.")
    y0: float = Field(description="Top edge, as a share of the page's height.")
    x1: float = Field(description="Right edge, as a share of the page's width.")
    y1: float = Field(description="Bottom edge, as a share of the page's height.")


class PageRow(BaseModel):
    """One page's outcome; failures are rows too, with `status` = error and an `error` text."""

    model_config = ConfigDict(frozen=True)

    source: str = Field(description="The input path as it was found.")
    source_sha256: str = Field(description="SHA-256 of the input file's bytes.")
    source_format: str = Field(description="Detected file format (pdf, jpeg, png, tiff, ...).")
    page: int | None = Field(
        description="1-based page (or frame) number; null when the file failed before its pages "
        "were known."
    )
    page_count: int | None = Field(description="Pages in the file; null when unknown.")
    status: RowStatus = Field(description="ok, or error (then `error` says why).")
    text: str | None = Field(description=TEXT_HELP)
    text_format: TextFormat | None = Field(default=None, description=TEXT_FORMAT_HELP)
    error: str | None = Field(description="What went wrong, in one line; null when ok.")
    error_category: ErrorCategory | None = Field(description=ERROR_CATEGORY_HELP)
    model: str = Field(description="Model that was asked.")
    provider: str = Field(description="Provider preset, or `openai-compatible` for a bare URL.")
    schema_name: str = Field(description="Extraction schema (page_text by default).")
    schema_version: str = Field(description="Fingerprint of the schema's fields.")
    prompt_version: str = Field(
        description="Fingerprint of the instructions, the user's --prompt included: rows of "
        "different prompts never mix silently."
    )
    options_version: str = Field(description=OPTIONS_VERSION_HELP)
    request_id: str | None = Field(description="Id of the request that answered this page.")
    request_images: int | None = Field(description="Images in that request.")
    attempts: int = Field(description="HTTP attempts made for this page, retries included.")
    prompt_tokens: int | None = Field(
        description="This page's share of the request's prompt tokens (by image tokens)."
    )
    completion_tokens: int | None = Field(
        description="This page's share of the request's completion tokens (by answer length)."
    )
    image_tokens: int | None = Field(description="Tokens of the image as sent, by the profile.")
    width: int | None = Field(description="Width in pixels of the image as sent.")
    height: int | None = Field(description="Height in pixels of the image as sent.")
    rotation: int | None = Field(
        default=None,
        description="Clockwise degrees (0, 90, 180, 270) the scan or photo was turned to stand "
        "upright before it was sent; null when not judged (born-digital pages, too little text).",
    )
    latency_ms: float | None = Field(description="The answering attempt's time on the wire, in ms.")
    text_source: TextSource | None = Field(
        default=None,
        description="text_layer (the PDF's own text, no request), ocr (the embedded engine) or "
        "model (a vision endpoint); null on error.",
    )
    text_layer: TextLayerVerdict | None = Field(default=None, description=TEXT_LAYER_HELP)
    text_layer_chars: int | None = Field(
        default=None, description="Characters (not spaces) in the page's text layer."
    )
    image_coverage: float | None = Field(
        default=None, description="Share of the PDF page's area covered by images (0-1)."
    )
    warnings: list[str] = Field(default_factory=list, description=WARNINGS_HELP)
    confidence: float | None = Field(default=None, description=CONFIDENCE_HELP)
    run_id: str = Field(description="Id of the run that wrote the row.")
    extracted_at: datetime = Field(description="When the row was made (UTC).")
    batch_id: str | None = Field(
        default=None,
        description="The provider's batch that answered this page (batch prices); null online.",
    )
    crop: PageCrop | None = Field(default=None, description=CROP_HELP)
    image_sha256: str | None = Field(default=None, description=IMAGE_SHA256_HELP)

    def as_record(self) -> dict[str, Any]:
        """The row as a Parquet record."""
        return self.model_dump()


_ARROW_TYPES: dict[str, pa.DataType] = {
    "source": pa.string(),
    "source_sha256": pa.string(),
    "source_format": pa.string(),
    "page": pa.int32(),
    "page_count": pa.int32(),
    "status": pa.string(),
    "text": pa.large_string(),
    "text_format": pa.string(),
    "error": pa.string(),
    "error_category": pa.string(),
    "model": pa.string(),
    "provider": pa.string(),
    "schema_name": pa.string(),
    "schema_version": pa.string(),
    "prompt_version": pa.string(),
    "options_version": pa.string(),
    "request_id": pa.string(),
    "request_images": pa.int32(),
    "attempts": pa.int32(),
    "prompt_tokens": pa.int32(),
    "completion_tokens": pa.int32(),
    "image_tokens": pa.int32(),
    "width": pa.int32(),
    "height": pa.int32(),
    "rotation": pa.int16(),
    "latency_ms": pa.float64(),
    "text_source": pa.string(),
    "text_layer": pa.string(),
    "text_layer_chars": pa.int32(),
    "image_coverage": pa.float32(),
    "warnings": pa.list_(pa.string()),
    "confidence": pa.float32(),
    "run_id": pa.string(),
    "extracted_at": pa.timestamp("us", tz="UTC"),
    "batch_id": pa.string(),
    "crop": pa.struct([(side, pa.float32()) for side in ("x0", "y0", "x1", "y1")]),
    "image_sha256": pa.string(),
}


_NOT_NULL = {
    "source",
    "source_sha256",
    "source_format",
    "status",
    "model",
    "provider",
    "schema_name",
    "schema_version",
    "prompt_version",
    "options_version",
    "attempts",
    "run_id",
    "extracted_at",
}


def _arrow_schema() -> pa.Schema:
    """The one explicit Parquet schema; built from the model so that a drift fails loudly."""
    names = list(PageRow.model_fields)
    if names != list(_ARROW_TYPES):
        raise TypeError(
            f"PageRow fields {names} differ from the Parquet columns {list(_ARROW_TYPES)}"
        )
    return pa.schema(
        [
            pa.field(
                name,
                _ARROW_TYPES[name],
                nullable=name not in _NOT_NULL,
                metadata={"description": PageRow.model_fields[name].description or ""},
            )
            for name in names
        ]
    )


PAGE_ROW_ARROW_SCHEMA: pa.Schema = _arrow_schema()

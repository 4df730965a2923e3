"""What visionbatch extracts and what it writes: Pydantic models only, no I/O."""

from schemas.pages import PageText, pages_envelope_schema
from schemas.rows import PAGE_ROW_ARROW_SCHEMA, PageRow, RowStatus
from schemas.summary import RunSummary

__all__ = [
    "PAGE_ROW_ARROW_SCHEMA",
    "PageRow",
    "PageText",
    "RowStatus",
    "RunSummary",
    "pages_envelope_schema",
]

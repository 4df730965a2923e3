"""What visionbatch extracts and what it writes: Pydantic models only, no I/O."""

from schemas.chunk_answer import CHUNK_ANSWER_ARROW_SCHEMA, ChunkAnswerRow
from schemas.document_row import PROVENANCE_COLUMNS, DocumentProvenance, document_arrow_schema
from schemas.fields import LineItem, Party
from schemas.invoice import Invoice
from schemas.page_row import PAGE_ROW_ARROW_SCHEMA, ErrorCategory, PageRow, RowStatus, TextFormat
from schemas.pages import PageText, pages_envelope_schema
from schemas.receipt import Receipt
from schemas.summary import RunSummary
from schemas.text_layer import TextLayerVerdict, TextSource

__all__ = [
    "CHUNK_ANSWER_ARROW_SCHEMA",
    "PAGE_ROW_ARROW_SCHEMA",
    "PROVENANCE_COLUMNS",
    "ChunkAnswerRow",
    "DocumentProvenance",
    "ErrorCategory",
    "Invoice",
    "LineItem",
    "PageRow",
    "PageText",
    "Party",
    "Receipt",
    "RowStatus",
    "RunSummary",
    "TextFormat",
    "TextLayerVerdict",
    "TextSource",
    "document_arrow_schema",
    "pages_envelope_schema",
]

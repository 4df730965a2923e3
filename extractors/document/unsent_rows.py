"""Rows of a chunk's pages that no request asks: not drawn, blank, or copies of a page
answered already (`extractors/document/set_aside.py`)."""

from extractors.document.chunk_sender import RenderedChunk
from extractors.document.page_rows import PageRowBuilder
from extractors.records import DocumentLayout
from schemas import ErrorCategory, PageRow


def unsent_rows(
    rows: PageRowBuilder, layout: DocumentLayout, rendered: RenderedChunk
) -> list[PageRow]:
    source, count = layout.source, layout.page_count
    failed = [
        rows.error_row(
            source, p.page, count, str(exc), ErrorCategory.SOURCE, 0, p, layout.text_layers
        )
        for p, exc in rendered.failed
    ]
    blank = [rows.blank_row(source, count, image) for image in rendered.blank]
    copies = [rows.duplicate_row(source, count, copy) for copy in rendered.copies]
    return [*failed, *blank, *copies]

"""What a rerun of a document schema reuses: a stored ok row built from every page `--pages`
selects (a row of pages 1-6 serves `--pages 1`; a row of page 1 does not serve `--pages 1-6`)."""

import asyncio
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import polars as pl

from extractors.discover.page_ranges import PageRanges
from extractors.document.document_rows import DocumentRowBuilder
from extractors.document.unit import DocumentOutcome
from extractors.records import LedgerKey, SourceFile
from extractors.sink.ledger import KEY_COLUMNS, DocumentLedger
from schemas import RowStatus

# (source, the pages its row was built from, the document's page count) of each ok row.
StoredPages = tuple[str, frozenset[int], int]


@dataclass(frozen=True)
class DocumentResume:
    """Finds the stored row a document's selection can reuse; read from DIR once, if needed."""

    ledger: DocumentLedger
    rows: DocumentRowBuilder

    async def resume(
        self, key: LedgerKey, source: SourceFile, pages: PageRanges
    ) -> DocumentOutcome | None:
        """The outcome when a stored row serves (none when no page is selected), else None."""
        found = await asyncio.to_thread(self._serving, key, pages)
        if found is None:
            return None
        path, page_count = found
        if not pages.of(page_count):  # no page of it selected: no row, as when extracted
            return DocumentOutcome([])
        if path == source.path:
            return DocumentOutcome([], skipped_pages=1)
        stored = await asyncio.to_thread(self._stored_row, key, path)
        return DocumentOutcome([self.rows.copied_row(stored, source)], skipped_pages=1)

    def _serving(self, key: LedgerKey, pages: PageRanges) -> tuple[str, int] | None:
        """(source, page count) of a row built from every selected page: this content's
        rows at any path, the newest first."""
        for path, built_from, page_count in reversed(self._stored_pages.get(key, [])):
            if built_from.issuperset(pages.of(page_count)):
                return path, page_count
        return None

    @cached_property
    def _stored_pages(self) -> dict[LedgerKey, list[StoredPages]]:
        """Each ok row's pages by content, oldest first (read once, on the first reuse)."""
        store = self.ledger.dataset_dir
        columns = [*KEY_COLUMNS, "source", "pages", "page_count", "status", "extracted_at"]
        frame = (
            store.scan(store.parts(), columns, self.ledger.schema)
            .filter(pl.col("status") == RowStatus.OK.value)
            .sort("extracted_at")
            .collect()
        )
        width = len(KEY_COLUMNS)
        found: dict[LedgerKey, list[StoredPages]] = {}
        for row in frame.iter_rows():
            path, pages, page_count = row[width : width + 3]
            found.setdefault(row[:width], []).append((path, frozenset(pages), page_count or 0))
        return found

    def _stored_row(self, key: LedgerKey, path: str) -> dict[str, Any]:
        store = self.ledger.dataset_dir
        expression = (pl.col("status") == RowStatus.OK.value) & (pl.col("source") == path)
        for column, value in zip(KEY_COLUMNS, key, strict=True):
            expression &= pl.col(column) == value
        frame = store.scan(store.parts(), schema=self.ledger.schema).filter(expression).collect()
        return frame.row(frame.height - 1, named=True)

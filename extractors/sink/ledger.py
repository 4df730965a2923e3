"""The resume state: what a dataset already holds as ok, by content and settings."""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import polars as pl
import pyarrow as pa

from extractors.records import LedgerKey
from extractors.sink.store import DatasetStore, Location
from schemas import RowStatus

# The columns of a LedgerKey, in its order.
KEY_COLUMNS = ("source_sha256", "model", "schema_version", "prompt_version", "options_version")
_KEY_WIDTH = len(KEY_COLUMNS)


@dataclass(frozen=True)
class Ledger:
    """Pages DIR/pages/ already holds as ok, by content, model, schema, prompt and options."""

    pages_dir: DatasetStore
    schema: pa.Schema
    pages_by_source: dict[LedgerKey, dict[str, frozenset[int]]]
    page_counts: dict[LedgerKey, int]

    @classmethod
    def load(cls, pages_dir: Location, schema: pa.Schema) -> "Ledger":
        store = DatasetStore.at(pages_dir)
        files = store.parts()
        if not files:
            return cls(store, schema, {}, {})
        columns = [*KEY_COLUMNS, "source", "status", "page", "page_count"]
        if "confidence" in schema.names:
            columns += ["text_source", "confidence"]
        frame = (
            store.scan(files, columns, schema)
            .filter(_standing_ok(schema))
            .group_by(*KEY_COLUMNS, "source")
            .agg(pl.col("page").unique(), pl.col("page_count").max())
            .collect()
        )
        by_source: dict[LedgerKey, dict[str, frozenset[int]]] = {}
        counts: dict[LedgerKey, int] = {}
        for row in frame.iter_rows():
            key: LedgerKey = row[:_KEY_WIDTH]
            source, pages, count = row[_KEY_WIDTH:]
            by_source.setdefault(key, {})[source] = frozenset(p for p in pages if p is not None)
            counts[key] = max(counts.get(key, 0), count or 0)
        return cls(store, schema, by_source, counts)

    def done_pages(self, key: LedgerKey) -> frozenset[int]:
        """Pages of this content already ok under any path."""
        return frozenset().union(*self.pages_by_source.get(key, {}).values())

    def pages_at(self, key: LedgerKey, source: str) -> frozenset[int]:
        """Pages of this content already ok under this very path."""
        return self.pages_by_source.get(key, {}).get(source, frozenset())

    def is_complete(self, key: LedgerKey) -> bool:
        """Every page of the document is already ok (so it need not even be opened)."""
        count = self.page_counts.get(key)
        return bool(count) and len(self.done_pages(key)) >= (count or 0)

    def rows_for(self, key: LedgerKey, pages: Iterable[int]) -> list[dict[str, object]]:
        """Stored ok rows of those pages, for a copy of the same file found at another path."""
        wanted = sorted(set(pages))
        frame = (
            self.pages_dir.scan(self.pages_dir.parts(), schema=self.schema)
            .filter(_matches(key, self.schema), pl.col("page").is_in(wanted))
            .unique(subset=["page"], keep="last")
            .collect()
        )
        return frame.to_dicts()


def _standing_ok(schema: pa.Schema) -> pl.Expr:
    """Ok rows that still stand. A page read from its text layer before layers were judged for
    hidden text and wrong Unicode maps (no `confidence` then) is judged again: its text may be
    what the page hides, not what it shows. It costs no request when the layer is honest."""
    expression = pl.col("status") == RowStatus.OK.value
    if "confidence" in schema.names:
        unjudged = (pl.col("text_source") == "text_layer") & pl.col("confidence").is_null()
        expression &= ~unjudged.fill_null(False)
    return expression


def _matches(key: LedgerKey, schema: pa.Schema) -> pl.Expr:
    """Ok rows of this content, model, schema, prompt and options."""
    expression = _standing_ok(schema)
    for column, value in zip(KEY_COLUMNS, key, strict=True):
        expression &= pl.col(column) == value
    return expression


@dataclass(frozen=True)
class DocumentLedger:
    """Documents DIR/<schema>/ already holds as ok, by content, model, schema, prompt, options."""

    dataset_dir: DatasetStore
    schema: pa.Schema
    sources_by_key: dict[LedgerKey, frozenset[str]]

    @classmethod
    def load(cls, dataset_dir: Location, schema: pa.Schema) -> "DocumentLedger":
        store = DatasetStore.at(dataset_dir)
        files = store.parts()
        if not files:
            return cls(store, schema, {})
        frame = (
            store.scan(files, [*KEY_COLUMNS, "source", "status"], schema)
            .filter(pl.col("status") == RowStatus.OK.value)
            .group_by(*KEY_COLUMNS)
            .agg(pl.col("source").unique())
            .collect()
        )
        sources = {row[:_KEY_WIDTH]: frozenset(row[_KEY_WIDTH]) for row in frame.iter_rows()}
        return cls(store, schema, sources)

    def is_complete(self, key: LedgerKey) -> bool:
        return key in self.sources_by_key

    def has_source(self, key: LedgerKey, source: str) -> bool:
        return source in self.sources_by_key.get(key, frozenset())

    def stored_row(self, key: LedgerKey) -> dict[str, Any]:
        """The stored ok row of this content, for a copy found at another path."""
        store = self.dataset_dir
        frame = (
            store.scan(store.parts(), schema=self.schema)
            .filter(_matches(key, self.schema))
            .collect()
        )
        return frame.row(frame.height - 1, named=True)

"""The resume state: what a dataset already holds as ok, by content and settings."""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import polars as pl

from extractors.sink.store import DatasetStore, Location
from schemas import RowStatus

LedgerKey = tuple[str, str, str, str]  # (source_sha256, model, schema_version, prompt_version)


KEY_COLUMNS = ("source_sha256", "model", "schema_version", "prompt_version")


@dataclass(frozen=True)
class Ledger:
    """What DIR already holds as ok, by content hash, model and schema: the resume state."""

    pages_dir: DatasetStore
    pages_by_source: dict[LedgerKey, dict[str, frozenset[int]]]
    page_counts: dict[LedgerKey, int]

    @classmethod
    def load(cls, pages_dir: Location) -> "Ledger":
        store = DatasetStore.at(pages_dir)
        files = store.parts()
        if not files:
            return cls(store, {}, {})
        columns = [*KEY_COLUMNS, "source", "status", "page", "page_count"]
        frame = (
            store.scan(files, columns)
            .filter(pl.col("status") == RowStatus.OK.value)
            .group_by(*KEY_COLUMNS, "source")
            .agg(pl.col("page").unique(), pl.col("page_count").max())
            .collect()
        )
        by_source: dict[LedgerKey, dict[str, frozenset[int]]] = {}
        counts: dict[LedgerKey, int] = {}
        for sha, model, version, prompt, source, pages, count in frame.iter_rows():
            key = (sha, model, version, prompt)
            by_source.setdefault(key, {})[source] = frozenset(p for p in pages if p is not None)
            counts[key] = max(counts.get(key, 0), count or 0)
        return cls(store, by_source, counts)

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
            self.pages_dir.scan(self.pages_dir.parts())
            .filter(_matches(key), pl.col("page").is_in(wanted))
            .unique(subset=["page"], keep="last")
            .collect()
        )
        return frame.to_dicts()


def _matches(key: LedgerKey) -> pl.Expr:
    """Ok rows of this content, model, schema and prompt."""
    expression = pl.col("status") == RowStatus.OK.value
    for column, value in zip(KEY_COLUMNS, key, strict=True):
        expression &= pl.col(column) == value
    return expression


@dataclass(frozen=True)
class DocumentLedger:
    """Documents DIR/<schema>/ already holds as ok, by content, model, schema and prompt."""

    dataset_dir: DatasetStore
    sources_by_key: dict[LedgerKey, frozenset[str]]

    @classmethod
    def load(cls, dataset_dir: Location) -> "DocumentLedger":
        store = DatasetStore.at(dataset_dir)
        files = store.parts()
        if not files:
            return cls(store, {})
        frame = (
            store.scan(files, [*KEY_COLUMNS, "source", "status"])
            .filter(pl.col("status") == RowStatus.OK.value)
            .group_by(*KEY_COLUMNS)
            .agg(pl.col("source").unique())
            .collect()
        )
        return cls(
            store,
            {tuple(row[:4]): frozenset(row[4]) for row in frame.iter_rows()},
        )

    def is_complete(self, key: LedgerKey) -> bool:
        return key in self.sources_by_key

    def has_source(self, key: LedgerKey, source: str) -> bool:
        return source in self.sources_by_key.get(key, frozenset())

    def stored_row(self, key: LedgerKey) -> dict[str, Any]:
        """The stored ok row of this content, for a copy found at another path."""
        store = self.dataset_dir
        frame = store.scan(store.parts()).filter(_matches(key)).collect()
        return frame.row(frame.height - 1, named=True)

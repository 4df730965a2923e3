"""The images a dataset holds ok answers of, by digest: what a rerun copies instead of asking.

A rerun on DIR remembers the newest images its earlier runs sent (`image_sha256` of ok rows
answered by a request, under this run's model, schema, prompt and options). At first only
their digests and where their rows are (source, page, part file) are read, never their text:
a row is read whole when a page of the rerun copies it. A dataset written before the column
existed has no digest to remember: its pages are asked as before.
"""

from dataclasses import dataclass
from functools import cached_property

import polars as pl
import pyarrow as pa

from extractors.records import RowContext
from extractors.sink.ledger import KEY_COLUMNS
from extractors.sink.store import DatasetStore, Location
from schemas import PageRow, RowStatus

DIGEST = "image_sha256"
# Images of earlier runs remembered: a hundred bytes each, no text, so four times the rows a
# run holds to copy from (`set_aside`). Picking them from a million-page dataset takes 0.25 s,
# its peak memory under the imports' (benchmarks/stored_answers.py; read streaming: 317 MB
# more without, on a loaded machine).
NEWEST = 16_384
_PART = "_part"
# The row's own key columns beside the digest: which run settings made the answer.
_SETTINGS = KEY_COLUMNS[1:]  # source_sha256 aside: an image repeats across files


@dataclass(frozen=True)
class StoredImage:
    """Where the newest ok row of an image answered before is: read whole on a copy."""

    source: str
    page: int
    part: str


@dataclass(frozen=True)
class StoredAnswers:
    """A page dataset's ok rows by image digest, under one run's settings."""

    store: DatasetStore
    schema: pa.Schema
    context: RowContext
    count: int = NEWEST

    @classmethod
    def at(cls, pages_dir: Location, schema: pa.Schema, context: RowContext) -> "StoredAnswers":
        return cls(DatasetStore.at(pages_dir), schema, context)

    @cached_property
    def newest(self) -> tuple[tuple[bytes, StoredImage], ...]:
        """The `count` newest answered images (digest, where), oldest first, read once; none
        for a dataset without digests. Only a few short columns are read, `count` rows kept."""
        count = self.count
        parts = self.store.parts()
        if not parts or DIGEST not in self.schema.names or count <= 0:
            return ()
        columns = [DIGEST, "source", "page", "extracted_at", "status", "request_id", *_SETTINGS]
        frame = (
            self.store.scan(parts, columns, self.schema, path_column=_PART)
            .filter(self._answered())
            .select(DIGEST, "source", "page", "extracted_at", _PART)
            .top_k(count, by="extracted_at")
            .sort("extracted_at")
            .collect(engine="streaming")
        )
        return tuple(
            (bytes.fromhex(digest), StoredImage(source, page, part))
            for digest, source, page, _, part in frame.iter_rows()
        )

    def row(self, digest: bytes, where: StoredImage) -> PageRow | None:
        """The stored row of that image, read whole; None when it is gone since (compacted,
        moved aside) or no longer reads as a row: then the page is asked, never copied wrong."""
        try:
            frame = (
                self.store.scan([where.part], schema=self.schema)
                .filter(
                    self._answered(),
                    pl.col(DIGEST) == digest.hex(),
                    pl.col("source") == where.source,
                    pl.col("page") == where.page,
                )
                .collect()
            )
            if frame.height == 0:
                return None
            return PageRow.model_validate(frame.row(frame.height - 1, named=True))
        except (OSError, ValueError, pl.exceptions.PolarsError, pa.ArrowException):
            return None

    def _answered(self) -> pl.Expr:
        """Ok rows a request answered (not a copy, not a blank page) under these settings."""
        expression = (
            (pl.col("status") == RowStatus.OK.value)
            & pl.col("request_id").is_not_null()
            & pl.col(DIGEST).is_not_null()
        )
        settings = self.context.ledger_key("")[1:]
        for column, value in zip(_SETTINGS, settings, strict=True):
            expression &= pl.col(column) == value
        return expression

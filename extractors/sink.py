"""The Parquet datasets `DIR/pages/` and `DIR/<schema>/`: atomic part files, the resume
ledgers, and compaction."""

import os
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
from filelock import FileLock, Timeout

from extractors.errors import OutputLockedError, OutputNotWritableError
from schemas import PAGE_ROW_ARROW_SCHEMA, RowStatus

PAGES = "pages"
_PART_GLOB = "part-*.parquet"
_TMP_PREFIX = ".tmp-"


LOCK_NAME = ".visionbatch.lock"


def lock_output(out_dir: Path) -> FileLock:
    """Hold DIR for this run; OutputLockedError at once if another run holds it.

    The lock is an OS file lock (flock), so the kernel drops it when its process dies, even on
    SIGKILL: a killed run never leaves DIR locked.
    """
    lock = FileLock(out_dir / LOCK_NAME, timeout=0)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        lock.acquire()
    except Timeout:
        raise OutputLockedError(
            f"another visionbatch run is writing to {out_dir}; wait for it to finish "
            "or choose another --out"
        ) from None
    except OSError as exc:
        raise _not_writable(out_dir, exc) from exc
    return lock


def _not_writable(out_dir: Path, exc: OSError) -> OutputNotWritableError:
    return OutputNotWritableError(f"output directory {out_dir} is not writable: {exc.strerror}")


class Record(Protocol):
    """A row on its way to Parquet."""

    @property
    def status(self) -> str: ...

    def as_record(self) -> dict[str, Any]: ...


def prepare_output(out_dir: Path, dataset: str = PAGES) -> Path:
    """Create `DIR/<dataset>`, prove it writable, and clear temp files of killed runs."""
    pages_dir = out_dir / dataset
    try:
        pages_dir.mkdir(parents=True, exist_ok=True)
        probe = pages_dir / f"{_TMP_PREFIX}probe-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise _not_writable(out_dir, exc) from exc
    for leftover in pages_dir.glob(f"{_TMP_PREFIX}*"):
        leftover.unlink(missing_ok=True)
    return pages_dir


def part_files(pages_dir: Path) -> list[Path]:
    """The dataset's complete part files (temp files are never matched)."""
    return sorted(pages_dir.glob(_PART_GLOB))


def read_rows(dataset_dir: Path) -> list[dict[str, Any]]:
    """Every row of a dataset, with Parquet's types (Decimal, date...); [] when it has none."""
    files = part_files(dataset_dir)
    return pl.read_parquet(files).to_dicts() if files else []


def write_atomically(table: pa.Table, target: Path) -> None:
    """Write a Parquet file so that readers see all of it or none of it."""
    # Never ending in .parquet: readers glob `**/*.parquet` and would see a half-written file.
    temp = target.with_name(f"{_TMP_PREFIX}{target.name}.partial")
    pq.write_table(table, temp, compression="zstd")
    with temp.open("rb") as handle:
        os.fsync(handle.fileno())
    temp.replace(target)


def rows_to_table(rows: Sequence[Record], schema: pa.Schema = PAGE_ROW_ARROW_SCHEMA) -> pa.Table:
    """Rows as an Arrow table of the dataset's explicit schema (a type drift raises here)."""
    return pa.Table.from_pylist([row.as_record() for row in rows], schema=schema)


@dataclass
class PartWriter:
    """Buffers rows and writes them as part files as work completes, not all at the end."""

    pages_dir: Path
    name: str
    flush_rows: int = 256
    flush_seconds: float = 15.0
    schema: pa.Schema = PAGE_ROW_ARROW_SCHEMA
    rows_written: int = 0
    _buffer: list[Record] = field(default_factory=list)
    _parts: int = 0
    _last_flush: float = field(default_factory=time.monotonic)

    def add(self, rows: Iterable[Record]) -> None:
        self._buffer.extend(rows)
        overdue = time.monotonic() - self._last_flush >= self.flush_seconds
        if len(self._buffer) >= self.flush_rows or (overdue and self._buffer):
            self.flush()

    def flush(self) -> None:
        self._last_flush = time.monotonic()
        if not self._buffer:
            return
        self._parts += 1
        target = self.pages_dir / f"part-{self.name}-{self._parts:05d}.parquet"
        write_atomically(rows_to_table(self._buffer, self.schema), target)
        self.rows_written += len(self._buffer)
        self._buffer = []


LedgerKey = tuple[str, str, str, str]  # (source_sha256, model, schema_version, prompt_version)
_KEY_COLUMNS = ("source_sha256", "model", "schema_version", "prompt_version")


@dataclass(frozen=True)
class Ledger:
    """What DIR already holds as ok, by content hash, model and schema: the resume state."""

    pages_dir: Path
    pages_by_source: dict[LedgerKey, dict[str, frozenset[int]]]
    page_counts: dict[LedgerKey, int]

    @classmethod
    def load(cls, pages_dir: Path) -> "Ledger":
        files = part_files(pages_dir)
        if not files:
            return cls(pages_dir, {}, {})
        frame = (
            pl.scan_parquet(files)
            .filter(pl.col("status") == RowStatus.OK.value)
            .group_by(*_KEY_COLUMNS, "source")
            .agg(pl.col("page").unique(), pl.col("page_count").max())
            .collect()
        )
        by_source: dict[LedgerKey, dict[str, frozenset[int]]] = {}
        counts: dict[LedgerKey, int] = {}
        for sha, model, version, prompt, source, pages, count in frame.iter_rows():
            key = (sha, model, version, prompt)
            by_source.setdefault(key, {})[source] = frozenset(p for p in pages if p is not None)
            counts[key] = max(counts.get(key, 0), count or 0)
        return cls(pages_dir, by_source, counts)

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
            pl.scan_parquet(part_files(self.pages_dir))
            .filter(_matches(key), pl.col("page").is_in(wanted))
            .unique(subset=["page"], keep="last")
            .collect()
        )
        return frame.to_dicts()


def _matches(key: LedgerKey) -> pl.Expr:
    """Ok rows of this content, model, schema and prompt."""
    expression = pl.col("status") == RowStatus.OK.value
    for column, value in zip(_KEY_COLUMNS, key, strict=True):
        expression &= pl.col(column) == value
    return expression


@dataclass(frozen=True)
class DocumentLedger:
    """Documents DIR/<schema>/ already holds as ok, by content, model, schema and prompt."""

    dataset_dir: Path
    sources_by_key: dict[LedgerKey, frozenset[str]]

    @classmethod
    def load(cls, dataset_dir: Path) -> "DocumentLedger":
        files = part_files(dataset_dir)
        if not files:
            return cls(dataset_dir, {})
        frame = (
            pl.scan_parquet(files)
            .filter(pl.col("status") == RowStatus.OK.value)
            .group_by(*_KEY_COLUMNS)
            .agg(pl.col("source").unique())
            .collect()
        )
        return cls(
            dataset_dir,
            {tuple(row[:4]): frozenset(row[4]) for row in frame.iter_rows()},
        )

    def is_complete(self, key: LedgerKey) -> bool:
        return key in self.sources_by_key

    def has_source(self, key: LedgerKey, source: str) -> bool:
        return source in self.sources_by_key.get(key, frozenset())

    def stored_row(self, key: LedgerKey) -> dict[str, Any]:
        """The stored ok row of this content, for a copy found at another path."""
        frame = pl.scan_parquet(part_files(self.dataset_dir)).filter(_matches(key)).collect()
        return frame.row(frame.height - 1, named=True)


def compact(pages_dir: Path, schema: pa.Schema = PAGE_ROW_ARROW_SCHEMA) -> int:
    """Leave exactly one row per (source, page): the newest; return how many rows were dropped.

    Superseded are: rows of an older version of a file (another hash), older rows of the same
    page, and a "file failed before its pages were known" row once newer rows exist.
    Affected part files are rewritten atomically; the others are not touched.
    """
    files = part_files(pages_dir)
    if not files:
        return 0
    frame = pl.concat(
        [
            _compaction_frame(f, schema)
            .with_row_index("_row")
            .with_columns(pl.lit(f.name).alias("_file"))
            for f in files
        ]
    ).sort("extracted_at", "_file", "_row")
    frame = frame.with_row_index("_order").with_columns(
        pl.col("source_sha256").last().over("source").alias("_latest_sha"),
        pl.col("_order").max().over("source", "page").alias("_newest_of_page"),
        pl.col("_order").max().over("source").alias("_newest_of_source"),
    )
    keep = (
        (pl.col("source_sha256") == pl.col("_latest_sha"))
        & (pl.col("_order") == pl.col("_newest_of_page"))
        & (pl.col("page").is_not_null() | (pl.col("_order") == pl.col("_newest_of_source")))
    )
    dropped = frame.filter(~keep).select("_file", "_row")
    for (name,), rows in dropped.group_by(["_file"]):
        _rewrite_without(pages_dir / str(name), set(rows["_row"].to_list()), schema)
    return dropped.height


def _compaction_frame(path: Path, schema: pa.Schema) -> pl.DataFrame:
    """A document dataset has no page column: each of its rows counts as a whole-file row."""
    if "page" in schema.names:
        return pl.read_parquet(path, columns=["source", "source_sha256", "page", "extracted_at"])
    frame = pl.read_parquet(path, columns=["source", "source_sha256", "extracted_at"])
    return frame.with_columns(pl.lit(None, pl.Int32).alias("page"))


def _rewrite_without(path: Path, rows: set[int], schema: pa.Schema) -> None:
    table = pq.read_table(path, schema=schema)
    mask = pa.array([index not in rows for index in range(table.num_rows)])
    kept = table.filter(mask)
    if kept.num_rows == 0:
        path.unlink()
    else:
        write_atomically(kept, path)

"""The Parquet datasets `DIR/pages/` and `DIR/<schema>/`: atomic part files, the resume
ledgers, and compaction."""

import logging
import os
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path, PurePosixPath
from typing import Any, Protocol

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
from filelock import FileLock, Timeout
from fsspec import AbstractFileSystem
from pyarrow.fs import FSSpecHandler, PyFileSystem

from extractors.errors import OutputLockedError, OutputNotWritableError
from extractors.storage import is_remote, remote_filesystem
from schemas import PAGE_ROW_ARROW_SCHEMA, RowStatus

PAGES = "pages"
_PART_GLOB = "part-*.parquet"
_TMP_PREFIX = ".tmp-"

_log = logging.getLogger(__name__)


LOCK_NAME = ".visionbatch.lock"

Location = Path | str  # a local folder, or an fsspec URL of one


class OutputLock(Protocol):
    def release(self) -> None: ...


class _NoLock:
    """Object stores have no lock: one run per remote output is the user's to keep."""

    def release(self) -> None:
        return None


def lock_output(out_dir: Location) -> OutputLock:
    """Hold DIR for this run; OutputLockedError at once if another run holds it.

    The lock is an OS file lock (flock), so the kernel drops it when its process dies, even on
    SIGKILL: a killed run never leaves DIR locked. A remote DIR is not locked.
    """
    if is_remote(str(out_dir)):
        _log.warning("%s is remote and cannot be locked: run one visionbatch per output", out_dir)
        return _NoLock()
    folder = Path(out_dir)
    lock = FileLock(folder / LOCK_NAME, timeout=0)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        lock.acquire()
    except Timeout:
        raise OutputLockedError(
            f"another visionbatch run is writing to {out_dir}; wait for it to finish "
            "or choose another --out"
        ) from None
    except OSError as exc:
        raise _not_writable(out_dir, exc) from exc
    return lock


def _not_writable(out_dir: Location, exc: OSError) -> OutputNotWritableError:
    return OutputNotWritableError(
        f"output directory {out_dir} is not writable: {exc.strerror or exc}"
    )


class Record(Protocol):
    """A row on its way to Parquet."""

    @property
    def status(self) -> str: ...

    def as_record(self) -> dict[str, Any]: ...


@dataclass(frozen=True)
class DatasetStore:
    """One dataset folder's part files, local or behind an fsspec URL.

    Local folders keep the local guarantees (temp file, fsync, rename). Remote objects are
    written whole: an object store shows an object only once its upload completes.
    """

    location: str

    @classmethod
    def at(cls, location: "Location | DatasetStore") -> "DatasetStore":
        return location if isinstance(location, DatasetStore) else cls(str(location))

    @property
    def remote(self) -> bool:
        return is_remote(self.location)

    @cached_property
    def _fs(self) -> tuple[AbstractFileSystem, str]:
        return remote_filesystem(self.location)

    def child(self, name: str) -> "DatasetStore":
        return DatasetStore(f"{self.location.rstrip('/')}/{name}")

    def parts(self) -> list[str]:
        """The complete part files, sorted (temp files never match)."""
        if not self.remote:
            return sorted(str(p) for p in Path(self.location).glob(_PART_GLOB))
        fs, root = self._fs
        return sorted(fs.glob(f"{root.rstrip('/')}/{_PART_GLOB}"))

    def scan(self, parts: Sequence[str], columns: Sequence[str] | None = None) -> pl.LazyFrame:
        """The part files as one lazy frame (remote ones read through pyarrow)."""
        if not self.remote:
            frame = pl.scan_parquet(list(parts))
            return frame.select(columns) if columns else frame
        fs, _ = self._fs
        arrow_fs = PyFileSystem(FSSpecHandler(fs))
        table = pq.read_table(list(parts), filesystem=arrow_fs, columns=columns)
        return pl.from_arrow(table).lazy()  # type: ignore[union-attr]

    def read_table(self, part: str, schema: pa.Schema | None = None) -> pa.Table:
        if not self.remote:
            return pq.read_table(part, schema=schema)
        fs, _ = self._fs
        with fs.open(part, "rb") as handle:
            return pq.read_table(handle, schema=schema)

    def prepare(self) -> None:
        """Create the folder, prove it writable and clear temp files of killed runs."""
        if not self.remote:
            folder = Path(self.location)
            folder.mkdir(parents=True, exist_ok=True)
            probe = folder / f"{_TMP_PREFIX}probe-{os.getpid()}"
            probe.write_bytes(b"")
            probe.unlink()
            for leftover in folder.glob(f"{_TMP_PREFIX}*"):
                leftover.unlink(missing_ok=True)
            return
        fs, root = self._fs
        fs.makedirs(root, exist_ok=True)
        remote_probe = f"{root.rstrip('/')}/{_TMP_PREFIX}probe-{os.getpid()}"
        fs.pipe_file(remote_probe, b"")
        fs.rm_file(remote_probe)

    def write(self, table: pa.Table, name: str) -> None:
        """Write a part file so that readers see all of it or none of it."""
        if not self.remote:
            write_atomically(table, Path(self.location) / name)
            return
        fs, root = self._fs
        with fs.open(f"{root.rstrip('/')}/{name}", "wb") as handle:
            pq.write_table(table, handle, compression="zstd")

    def replace(self, part: str, table: pa.Table) -> None:
        """Rewrite a part file with these rows, or remove it when none are left."""
        if table.num_rows:
            self.write(table, PurePosixPath(part).name)
        elif self.remote:
            self._fs[0].rm_file(part)
        else:
            Path(part).unlink()


def prepare_output(out_dir: Location, dataset: str = PAGES) -> Path | str:
    """Create `DIR/<dataset>`, prove it writable, and clear temp files of killed runs."""
    store = DatasetStore.at(out_dir).child(dataset)
    try:
        store.prepare()
    except OSError as exc:
        raise _not_writable(out_dir, exc) from exc
    return store.location if store.remote else Path(store.location)


def part_files(dataset_dir: Location) -> list[Path]:
    """A local dataset's complete part files (temp files are never matched)."""
    return [Path(p) for p in DatasetStore.at(dataset_dir).parts()]


def read_rows(dataset_dir: Location) -> list[dict[str, Any]]:
    """Every row of a dataset, with Parquet's types (Decimal, date...); [] when it has none."""
    store = DatasetStore.at(dataset_dir)
    parts = store.parts()
    return store.scan(parts).collect().to_dicts() if parts else []


def write_atomically(table: pa.Table, target: Path) -> None:
    """Write a local Parquet file so that readers see all of it or none of it."""
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

    pages_dir: "Location | DatasetStore"
    name: str
    flush_rows: int = 256
    flush_seconds: float = 15.0
    schema: pa.Schema = PAGE_ROW_ARROW_SCHEMA
    rows_written: int = 0
    _buffer: list[Record] = field(default_factory=list)
    _parts: int = 0
    _last_flush: float = field(default_factory=time.monotonic)
    _store: DatasetStore = field(init=False)

    def __post_init__(self) -> None:
        # Resolved once: a remote store looks up its filesystem on first use, not per flush.
        self._store = DatasetStore.at(self.pages_dir)

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
        target = f"part-{self.name}-{self._parts:05d}.parquet"
        self._store.write(rows_to_table(self._buffer, self.schema), target)
        self.rows_written += len(self._buffer)
        self._buffer = []


LedgerKey = tuple[str, str, str, str]  # (source_sha256, model, schema_version, prompt_version)
_KEY_COLUMNS = ("source_sha256", "model", "schema_version", "prompt_version")


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
        columns = [*_KEY_COLUMNS, "source", "status", "page", "page_count"]
        frame = (
            store.scan(files, columns)
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
    for column, value in zip(_KEY_COLUMNS, key, strict=True):
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
            store.scan(files, [*_KEY_COLUMNS, "source", "status"])
            .filter(pl.col("status") == RowStatus.OK.value)
            .group_by(*_KEY_COLUMNS)
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


def compact(pages_dir: Location, schema: pa.Schema = PAGE_ROW_ARROW_SCHEMA) -> int:
    """Leave exactly one row per (source, page): the newest; return how many rows were dropped.

    Superseded are: rows of an older version of a file (another hash), older rows of the same
    page, and a "file failed before its pages were known" row once newer rows exist.
    Affected part files are rewritten atomically; the others are not touched.
    """
    store = DatasetStore.at(pages_dir)
    files = store.parts()
    if not files:
        return 0
    frame = pl.concat(
        [
            _compaction_frame(store, f, schema)
            .with_row_index("_row")
            .with_columns(pl.lit(f).alias("_file"))
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
        _rewrite_without(store, str(name), set(rows["_row"].to_list()), schema)
    return dropped.height


def _compaction_frame(store: DatasetStore, part: str, schema: pa.Schema) -> pl.DataFrame:
    """A document dataset has no page column: each of its rows counts as a whole-file row."""
    if "page" in schema.names:
        columns = ["source", "source_sha256", "page", "extracted_at"]
        return store.scan([part], columns).collect()
    frame = store.scan([part], ["source", "source_sha256", "extracted_at"]).collect()
    return frame.with_columns(pl.lit(None, pl.Int32).alias("page"))


def _rewrite_without(store: DatasetStore, part: str, rows: set[int], schema: pa.Schema) -> None:
    table = store.read_table(part, schema=schema)
    mask = pa.array([index not in rows for index in range(table.num_rows)])
    store.replace(part, table.filter(mask))

"""Buffering rows and writing them as part files as work completes."""

import errno
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import pyarrow as pa

from extractors.errors import OutputFullError
from extractors.sink.store import DatasetStore, Location
from extractors.sink.unwritable import records_table
from schemas import PAGE_ROW_ARROW_SCHEMA


class Record(Protocol):
    """A row on its way to Parquet."""

    @property
    def status(self) -> str: ...

    def as_record(self) -> dict[str, Any]: ...


def rows_to_table(rows: Sequence[Record], schema: pa.Schema = PAGE_ROW_ARROW_SCHEMA) -> pa.Table:
    """Rows as an Arrow table of the dataset's explicit schema (a type drift raises here)."""
    return pa.Table.from_pylist([row.as_record() for row in rows], schema=schema)


@dataclass
class WrittenRows:
    """What a run's writers have stored in one dataset, and whether its disk filled up."""

    count: int = 0
    disk_full: bool = False


def disk_is_full(exc: OSError) -> bool:
    return exc.errno in (errno.ENOSPC, errno.EDQUOT)


def no_space(store: DatasetStore, written: int) -> OutputFullError:
    """The one line a full disk ends a run with: what is safe, and what to do."""
    unit = "pages" if store.location.rstrip("/").endswith("/pages") else "documents"
    return OutputFullError(
        f"no space left on {store.parent} ({written} {unit} written; "
        "free space and run the same command)"
    )


@dataclass
class PartWriter:
    """Buffers rows and writes them as part files as work completes, not all at the end."""

    pages_dir: "Location | DatasetStore"
    name: str
    flush_rows: int = 256
    flush_seconds: float = 15.0
    schema: pa.Schema = PAGE_ROW_ARROW_SCHEMA
    written: WrittenRows = field(default_factory=WrittenRows)
    # False for rows kept only for resuming (chunk answers): "N pages written" counts none.
    counted: bool = True
    rows_written: int = 0
    # Records, not rows: a row that cannot even become a record fails its own document's add.
    _buffer: list[dict[str, Any]] = field(default_factory=list)
    _parts: int = 0
    _last_flush: float = field(default_factory=time.monotonic)
    _store: DatasetStore = field(init=False)

    def __post_init__(self) -> None:
        # Resolved once: a remote store looks up its filesystem on first use, not per flush.
        self._store = DatasetStore.at(self.pages_dir)

    def add(self, rows: Iterable[Record]) -> None:
        self._buffer.extend([row.as_record() for row in rows])
        overdue = time.monotonic() - self._last_flush >= self.flush_seconds
        if len(self._buffer) >= self.flush_rows or (overdue and self._buffer):
            self.flush()

    def flush(self) -> None:
        """Write the buffered rows as one part file; OutputFullError when the disk is full."""
        self._last_flush = time.monotonic()
        if not self._buffer:
            return
        self._parts += 1
        target = f"part-{self.name}-{self._parts:05d}.parquet"
        try:
            self._store.write(records_table(self._buffer, self.schema), target)
        except OSError as exc:
            if not disk_is_full(exc):
                raise
            self.written.disk_full = True
            raise no_space(self._store, self.written.count) from None
        self.rows_written += len(self._buffer)
        self.written.count += len(self._buffer) if self.counted else 0
        self._buffer = []

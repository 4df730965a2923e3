"""A dataset folder's part files, local or behind an fsspec URL, written so that readers see
all of a part or none of it."""

import os
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path, PurePosixPath
from typing import Any

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
from fsspec import AbstractFileSystem
from pyarrow.fs import FSSpecHandler, PyFileSystem

from extractors.discover.storage import is_remote, remote_filesystem
from extractors.errors import OutputNotWritableError

PAGES = "pages"


PART_GLOB = "part-*.parquet"


TMP_PREFIX = ".tmp-"


Location = Path | str  # a local folder, or an fsspec URL of one


def not_writable(out_dir: Location, exc: OSError) -> OutputNotWritableError:
    return OutputNotWritableError(
        f"output directory {out_dir} is not writable: {exc.strerror or exc}"
    )


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

    @property
    def parent(self) -> str:
        """The folder holding this dataset: the run's DIR."""
        if not self.remote:
            return str(Path(self.location).parent)
        return self.location.rstrip("/").rsplit("/", 1)[0]

    def parts(self) -> list[str]:
        """The complete part files, sorted (temp files never match)."""
        if not self.remote:
            return sorted(str(p) for p in Path(self.location).glob(PART_GLOB))
        fs, root = self._fs
        # Other processes (Dask workers, a killed run) write parts too: a listing this
        # filesystem cached earlier would miss them, so the store is asked afresh.
        fs.invalidate_cache(root)
        return sorted(fs.glob(f"{root.rstrip('/')}/{PART_GLOB}"))

    def scan(
        self,
        parts: Sequence[str],
        columns: Sequence[str] | None = None,
        schema: pa.Schema | None = None,
        path_column: str | None = None,
    ) -> pl.LazyFrame:
        """The part files as one lazy frame (remote ones read through pyarrow); with
        `path_column`, each row says which part holds it.

        With the dataset's `schema`, a part written before a column existed reads that column
        as null instead of failing the scan.
        """
        if not self.remote:
            if schema is None:
                frame = pl.scan_parquet(list(parts), include_file_paths=path_column)
            else:
                frame = pl.scan_parquet(
                    list(parts),
                    schema=_polars_schema(schema),
                    missing_columns="insert",
                    extra_columns="ignore",
                    include_file_paths=path_column,
                )
            if columns:
                frame = frame.select(*columns, *([path_column] if path_column else []))
            return frame
        if path_column is not None:
            return pl.concat(
                [
                    self.scan([part], columns, schema).with_columns(pl.lit(part).alias(path_column))
                    for part in parts
                ]
            )
        fs, _ = self._fs
        arrow_fs = PyFileSystem(FSSpecHandler(fs))
        table = pq.read_table(list(parts), filesystem=arrow_fs, columns=columns, schema=schema)
        return pl.from_arrow(table).lazy()  # type: ignore[union-attr]

    def read_table(self, part: str, schema: pa.Schema | None = None) -> pa.Table:
        if not self.remote:
            return pq.read_table(part, schema=schema)
        fs, _ = self._fs
        with fs.open(part, "rb") as handle:
            return pq.read_table(handle, schema=schema)

    def read_schema(self, part: str) -> pa.Schema:
        """A part's schema, from its footer alone (its rows are not read)."""
        if not self.remote:
            return pq.read_schema(part)
        fs, _ = self._fs
        with fs.open(part, "rb") as handle:
            return pq.read_schema(handle)

    def move_aside(self, part: str, folder: str) -> str:
        """Move a part into `folder` beside this dataset, keeping its name; the new path."""
        name = PurePosixPath(part).name
        if not self.remote:
            target = _free_name(Path(self.parent) / folder / name)
            target.parent.mkdir(parents=True, exist_ok=True)
            Path(part).replace(target)
            return str(target)
        fs, root = self._fs
        destination = f"{root.rstrip('/').rsplit('/', 1)[0]}/{folder}/{name}"
        fs.mv(part, destination)
        return destination

    def prepare(self) -> None:
        """Create the folder, prove it writable and clear temp files of killed runs."""
        if not self.remote:
            folder = Path(self.location)
            folder.mkdir(parents=True, exist_ok=True)
            probe = folder / f"{TMP_PREFIX}probe-{os.getpid()}"
            probe.write_bytes(b"")
            probe.unlink()
            for leftover in folder.glob(f"{TMP_PREFIX}*"):
                leftover.unlink(missing_ok=True)
            return
        fs, root = self._fs
        fs.makedirs(root, exist_ok=True)
        remote_probe = f"{root.rstrip('/')}/{TMP_PREFIX}probe-{os.getpid()}"
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
        raise not_writable(out_dir, exc) from exc
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
    temp = target.with_name(f"{TMP_PREFIX}{target.name}.partial")
    try:
        pq.write_table(table, temp, compression="zstd")
        with temp.open("rb") as handle:
            os.fsync(handle.fileno())
    except BaseException:
        # A half-written file on a full disk holds the space the user is asked to free.
        temp.unlink(missing_ok=True)
        raise
    temp.replace(target)


def _free_name(target: Path) -> Path:
    """`target`, or `target.1`, `.2`... when a file of that name was moved aside before."""
    candidate, copies = target, 0
    while candidate.exists():
        copies += 1
        candidate = target.with_name(f"{target.name}.{copies}")
    return candidate


def _polars_schema(schema: pa.Schema) -> pl.Schema:
    return pl.from_arrow(schema.empty_table()).schema  # type: ignore[union-attr]


def check_writable(out_dir: Location) -> None:
    """OutputNotWritableError, without writing anything, when DIR cannot be created or written
    (a remote DIR is proven writable when the run prepares it)."""
    if is_remote(str(out_dir)):
        return
    existing = Path(out_dir).absolute()
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir():
        raise OutputNotWritableError(
            f"output directory {out_dir} is not writable: {existing} is a file"
        )
    if not os.access(existing, os.W_OK | os.X_OK):
        raise OutputNotWritableError(
            f"output directory {out_dir} is not writable: permission denied on {existing}"
        )

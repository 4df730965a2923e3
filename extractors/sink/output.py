"""One run's dataset under DIR: locked, settled before the run, written, settled after."""

from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa

from extractors.sink.compaction import compact
from extractors.sink.lock import OutputLock, lock_output
from extractors.sink.parts import PartWriter, WrittenRows, disk_is_full, no_space
from extractors.sink.quarantine import quarantine_unreadable
from extractors.sink.store import DatasetStore, Location, prepare_output


@dataclass
class DatasetOutput:
    """Where a run's rows go, and the lock it holds on DIR (none on a Dask worker)."""

    dataset_dir: Path | str
    schema: pa.Schema
    lock: OutputLock | None
    compacted: int = 0
    # Over every shard's writer: a full disk says how much of the run is safe.
    written: WrittenRows = field(default_factory=WrittenRows)

    def writer(self, name: str, flush_rows: int) -> PartWriter:
        """A writer of part files named after `name`, so that shards never collide."""
        return PartWriter(
            self.dataset_dir, name, flush_rows=flush_rows, schema=self.schema, written=self.written
        )

    def compact(self) -> None:
        """Leave one row per (source, page) now that retried pages have their new rows."""
        self.compacted += settle(self.dataset_dir, self.schema, self.written.count)

    def release(self) -> None:
        if self.lock is not None:
            self.lock.release()


def settle(dataset_dir: Location, schema: pa.Schema, written: int = 0) -> int:
    """Compact the dataset; OutputFullError when its disk has no room for the rewrite."""
    try:
        return compact(dataset_dir, schema)
    except OSError as exc:
        if not disk_is_full(exc):
            raise
        raise no_space(DatasetStore.at(dataset_dir), written) from None


def open_output(out_dir: Location, dataset: str, schema: pa.Schema, owner: bool) -> DatasetOutput:
    """The dataset `DIR/<dataset>`.

    The run's owner (the flow's process) locks DIR and settles it: a killed run may have left
    temp files, damaged parts (moved to `DIR/quarantine/`) and superseded rows. A Dask worker
    only writes into the owner's DIR: it neither locks nor clears temp files, which a sibling
    worker may be writing.
    """
    if not owner:
        store = DatasetStore.at(out_dir).child(dataset)
        return DatasetOutput(store.location if store.remote else Path(store.location), schema, None)
    lock = lock_output(out_dir)
    try:
        dataset_dir = prepare_output(out_dir, dataset)
        quarantine_unreadable(dataset_dir, schema)
        return DatasetOutput(dataset_dir, schema, lock, settle(dataset_dir, schema))
    except BaseException:
        lock.release()
        raise

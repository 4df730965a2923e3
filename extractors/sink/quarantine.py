"""Part files that cannot be read are moved aside, so that one damaged file never stops a run.

A part truncated by a disk fault, an empty one, or a foreign Parquet file that happens to be
named `part-*.parquet` would fail every scan of the dataset (resume, compaction, reports). Only
footers are read: it costs one small read per part, once per run.
"""

import logging

import pyarrow as pa

from extractors.sink.store import DatasetStore, Location

_log = logging.getLogger(__name__)

QUARANTINE = "quarantine"

# Columns every scan of a dataset reads (compaction's order, the ledger's filter).
_REQUIRED = ("source", "source_sha256", "status", "extracted_at")


def quarantine_unreadable(dataset_dir: Location, schema: pa.Schema) -> list[str]:
    """Move each part that cannot be read as this dataset to `DIR/quarantine/`; their paths."""
    store = DatasetStore.at(dataset_dir)
    moved = []
    for part in store.parts():
        problem = part_problem(store, part, schema)
        if problem is None:
            continue
        target = store.move_aside(part, QUARANTINE)
        _log.warning(
            "%s cannot be read (%s): moved to %s; its pages will be extracted again",
            part,
            problem,
            target,
        )
        moved.append(target)
    return moved


def part_problem(store: DatasetStore, part: str, schema: pa.Schema) -> str | None:
    """Why a part cannot be read as this dataset, or None when its footer says it can."""
    try:
        found = store.read_schema(part)
    except (OSError, pa.ArrowException) as exc:  # ArrowInvalid: no footer, or an empty file
        return f"not a complete Parquet file: {exc}"
    for name in _REQUIRED:
        if name not in found.names:
            return f"no column {name}: not a part of this dataset"
    # A column the dataset no longer has is ignored by its scans; one of another type is not.
    for column in (c for c in found if c.name in schema.names):
        expected = schema.field(column.name).type
        if column.type != expected:
            return f"column {column.name} is {column.type}, not {expected}"
    return None

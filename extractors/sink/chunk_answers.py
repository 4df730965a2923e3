"""Chunks of long documents already answered: a document schema's rows are written only once
all its chunks are merged, so each validated chunk is kept as it comes, and a killed run's
rerun asks only for the chunks it never got.

They live in `DIR/_chunk_answers/<schema>/` (a leading `_` keeps them out of readers' datasets,
as for Hive and pyarrow), keyed like the ledger plus the chunk's pages.
"""

from dataclasses import dataclass
from typing import Any

from extractors.records import LedgerKey
from extractors.sink.ledger import KEY_COLUMNS
from extractors.sink.parts import PartWriter, WrittenRows
from extractors.sink.quarantine import quarantine_unreadable
from extractors.sink.store import DatasetStore, Location, prepare_output
from schemas import CHUNK_ANSWER_ARROW_SCHEMA, ChunkAnswerRow

CHUNK_ANSWERS = "_chunk_answers"

# Chunk answers are few and small: written every few, so that a kill loses few.
_MOST_BUFFERED = 16

ChunkKey = tuple[LedgerKey, tuple[int, ...]]


@dataclass
class ChunkAnswers:
    """The chunk answers DIR holds, by resume key and pages; new ones go to `writer`."""

    stored: dict[ChunkKey, dict[str, Any]]
    writer: PartWriter

    @classmethod
    def open(
        cls,
        out_dir: Location,
        schema_name: str,
        owner: bool,
        *,
        name: str,
        flush_rows: int,
        written: WrittenRows,
    ) -> "ChunkAnswers":
        """The run's owner prepares the folder (and moves damaged parts aside); a Dask worker
        reads it and writes beside its siblings, under its own part `name`."""
        store = DatasetStore.at(out_dir).child(CHUNK_ANSWERS).child(schema_name)
        if owner:
            prepare_output(DatasetStore.at(out_dir).child(CHUNK_ANSWERS).location, schema_name)
            quarantine_unreadable(store.location, CHUNK_ANSWER_ARROW_SCHEMA)
        writer = PartWriter(
            store,
            name,
            flush_rows=min(flush_rows, _MOST_BUFFERED),
            schema=CHUNK_ANSWER_ARROW_SCHEMA,
            written=written,
            counted=False,
        )
        return cls(_stored(store), writer)

    def answer(self, key: LedgerKey, pages: tuple[int, ...]) -> dict[str, Any] | None:
        """The stored answer of exactly these pages of this content, or None."""
        return self.stored.get((key, pages))

    def record(self, row: ChunkAnswerRow) -> None:
        self.writer.add([row])

    def flush(self) -> None:
        if not self.writer.written.disk_full:
            self.writer.flush()


def _stored(store: DatasetStore) -> dict[ChunkKey, dict[str, Any]]:
    parts = store.parts()
    if not parts:
        return {}
    frame = store.scan(parts, schema=CHUNK_ANSWER_ARROW_SCHEMA).sort("extracted_at").collect()
    stored: dict[ChunkKey, dict[str, Any]] = {}
    for row in frame.iter_rows(named=True):
        key: LedgerKey = tuple(row[c] for c in KEY_COLUMNS)
        stored[(key, tuple(row["pages"]))] = row  # the newest answer of a chunk wins
    return stored

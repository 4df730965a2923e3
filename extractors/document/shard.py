"""A shard of documents extracted concurrently, its rows written as documents finish."""

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from extractors.discover.local_walk import FoundInput, PageSlice, RefusedInput
from extractors.document.orchestrator import DocumentOrchestrator
from extractors.document.unit import DocumentOutcome
from extractors.endpoint.pool import RequestStats
from extractors.errors import RunAbortedError
from extractors.progress import ProgressListener
from extractors.sink.parts import PartWriter, Record
from schemas import RowStatus

_log = logging.getLogger(__name__)


@dataclass
class ShardSummary:
    """What one shard did."""

    documents: int = 0
    pages_ok: int = 0
    pages_error: int = 0
    pages_skipped: int = 0
    rows_written: int = 0
    # A Dask worker's own request counts; in-process shards share the session's pool instead.
    requests: RequestStats = field(default_factory=RequestStats)

    def absorb(self, other: "ShardSummary") -> None:
        """Add another shard's counts to these."""
        self.documents += other.documents
        self.pages_ok += other.pages_ok
        self.pages_error += other.pages_error
        self.pages_skipped += other.pages_skipped
        self.rows_written += other.rows_written
        self.requests.absorb(other.requests)

    def count(self, rows: "DocumentRows", outcome: DocumentOutcome) -> None:
        """Count one finished document's rows."""
        self.pages_skipped += outcome.skipped_pages
        self.pages_ok += rows.ok
        self.pages_error += rows.errors


@dataclass
class DocumentRows:
    """One document's rows on their way to its shard's writer, counted as they go."""

    writer: PartWriter
    ok: int = 0
    errors: int = 0

    def add(self, rows: Sequence[Record]) -> None:
        self.writer.add(rows)
        ok = sum(1 for row in rows if row.status == RowStatus.OK)
        self.ok += ok
        self.errors += len(rows) - ok


async def extract_shard(
    orchestrator: DocumentOrchestrator,
    locations: Sequence[FoundInput | Path],
    writer: PartWriter,
    documents: asyncio.Semaphore,
    progress: ProgressListener,
) -> ShardSummary:
    """Extract a shard's documents, at most `documents` open at once, into `writer`.

    A long document's slice counts as a document only when it is the last of its slices."""
    summary = ShardSummary(documents=sum(1 for found in locations if _closes_document(found)))

    async def one(location: FoundInput) -> None:
        rows = DocumentRows(writer)
        async with documents:
            try:
                outcome = await orchestrator.extract(location, rows)
                rows.add(outcome.rows)
            except RunAbortedError:
                raise
            except Exception as exc:  # noqa: BLE001 - a bug in one file must not sink the run
                _log.exception("internal error on %s", _shown(location))
                # Rows it already gave stay: its next run asks only for the pages left.
                outcome = orchestrator.internal_error(location, exc)
                rows.add(outcome.rows)
        progress.documents_done(1 if _closes_document(location) else 0)
        summary.count(rows, outcome)

    try:
        async with asyncio.TaskGroup() as group:
            for location in locations:
                group.create_task(one(str(location) if isinstance(location, Path) else location))
    except* RunAbortedError as errors:
        raise errors.exceptions[0] from None
    finally:
        # On a full disk, another write would fail too and bury the run's one line; what is
        # buffered is asked again by the next run.
        if not writer.written.disk_full:
            writer.flush()
        summary.rows_written = writer.rows_written
    return summary


def _closes_document(found: FoundInput | Path) -> bool:
    """Whether this input, once extracted, counts a document done (a slice: its last one)."""
    return not isinstance(found, PageSlice) or found.closes_document


def _shown(found: FoundInput) -> str:
    """The input as a log line names it."""
    if isinstance(found, PageSlice):
        return found.shown
    return found.location if isinstance(found, RefusedInput) else found

"""One run's shared machinery: endpoint client, request pool, rasteriser, ledger, shards."""

import asyncio
import logging
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

from extractors.discover.storage import local_copy
from extractors.document.document_rows import DocumentRowBuilder
from extractors.document.fields_extractor import DocumentFieldsExtractor
from extractors.document.page_extractor import DocumentExtractor, DocumentOutcome, ExtractionOptions
from extractors.document.page_rows import RowContext
from extractors.endpoint.client import EndpointClient
from extractors.endpoint.learned_limits import LearnedLimits
from extractors.endpoint.pool import RequestPool, RequestStats
from extractors.errors import RunAbortedError
from extractors.load.rasteriser import Rasteriser
from extractors.load.worker import available_cores
from extractors.options import EndpointOptions, RasterOptions, RateLimits
from extractors.progress import NoProgress, ProgressListener
from extractors.sink.compaction import compact
from extractors.sink.ledger import DocumentLedger, Ledger
from extractors.sink.lock import OutputLock, lock_output
from extractors.sink.parts import PartWriter
from extractors.sink.store import PAGES, DatasetStore, Location, prepare_output
from schemas import PAGE_ROW_ARROW_SCHEMA

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
        for name in ("documents", "pages_ok", "pages_error", "pages_skipped", "rows_written"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.requests.absorb(other.requests)


def _load_ledger(dataset_dir: Location, per_document: bool) -> Ledger | DocumentLedger:
    return DocumentLedger.load(dataset_dir) if per_document else Ledger.load(dataset_dir)


# A Dask worker's ledger of the current run: read once per run, not once per shard. What the
# run itself writes never matters to it, since every shard holds other files.
_WORKER_LEDGER: dict[tuple[str, bool, str], Ledger | DocumentLedger] = {}


def _run_ledger(dataset_dir: Location, per_document: bool, run_id: str) -> Ledger | DocumentLedger:
    key = (str(dataset_dir), per_document, run_id)
    if key not in _WORKER_LEDGER:
        _WORKER_LEDGER.clear()  # a previous run's ledger is stale
        _WORKER_LEDGER[key] = _load_ledger(dataset_dir, per_document)
    return _WORKER_LEDGER[key]


def _render_workers(requested: int | None, owner: bool) -> int:
    """Render processes: every core by default; none on a Dask worker, whose processes are
    daemons and may not start their own (the cluster's workers are the parallelism there)."""
    if not owner:
        return 0
    return available_cores() if requested is None else requested


class ExtractionSession:
    """Everything the shards of one run share; used as an async context manager.

    The run's owner (the flow's process) locks DIR and settles it before and after. A Dask
    worker's session (`owner=False`) only extracts its shards into the owner's DIR: it neither
    locks nor clears temp files, which a sibling worker may be writing.
    """

    def __init__(
        self,
        out_dir: Location,
        options: ExtractionOptions,
        endpoint: EndpointOptions,
        rows: RowContext,
        concurrency: int,
        progress: ProgressListener | None = None,
        rates: RateLimits | None = None,
        flush_rows: int = 256,
        owner: bool = True,
        render_workers: int | None = None,
    ) -> None:
        self.options = options
        self.rows = rows
        self.per_document = options.schema.unit == "document"
        self.document_rows = DocumentRowBuilder(rows, options.schema.model)
        self.arrow_schema = (
            self.document_rows.arrow_schema if self.per_document else PAGE_ROW_ARROW_SCHEMA
        )
        dataset = options.schema.name if self.per_document else PAGES
        self._lock: OutputLock | None = lock_output(out_dir) if owner else None
        try:
            if owner:
                self.dataset_dir = prepare_output(out_dir, dataset)
                # A killed run may have left superseded rows: settle them before the ledger.
                self.compacted = compact(self.dataset_dir, self.arrow_schema)
            else:
                store = DatasetStore.at(out_dir).child(dataset)
                self.dataset_dir = store.location if store.remote else Path(store.location)
                self.compacted = 0
            self.ledger = (
                _load_ledger(self.dataset_dir, self.per_document)
                if owner
                else _run_ledger(self.dataset_dir, self.per_document, rows.run_id)
            )
        except BaseException:
            self._release()
            raise
        self.progress = progress or NoProgress()
        self.flush_rows = flush_rows
        self.client = EndpointClient(endpoint, options.prompt)
        self.learned = LearnedLimits(options.budget)
        self.pool = RequestPool(
            self.client, concurrency, progress=self.progress, rates=rates, learned=self.learned
        )
        self.rasteriser = Rasteriser(
            RasterOptions(options.render, options.password, _render_workers(render_workers, owner))
        )
        self.rasteriser.start()
        # Enough documents open at once that single-page documents still fill every request slot.
        self.open_documents = 2 * concurrency + 2
        self._documents = asyncio.Semaphore(self.open_documents)

    async def __aenter__(self) -> "ExtractionSession":
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        try:
            await self.client.close()
            self.rasteriser.close()
        finally:
            self._release()

    def _release(self) -> None:
        if self._lock is not None:
            self._lock.release()

    def compact(self) -> None:
        """Leave one row per (source, page) now that retried pages have their new rows."""
        self.compacted += compact(self.dataset_dir, self.arrow_schema)

    async def extract_shard(self, locations: Sequence[str | Path], name: str) -> ShardSummary:
        """Extract a shard's documents concurrently, writing part files as documents finish."""
        summary = ShardSummary(documents=len(locations))
        writer = PartWriter(
            self.dataset_dir,
            f"{self.rows.run_id}-{name}",
            flush_rows=self.flush_rows,
            schema=self.arrow_schema,
        )
        extractor = self._extractor()

        async def one(location: str) -> None:
            async with self._documents:
                try:
                    outcome = await self._extract_one(extractor, location)
                except RunAbortedError:
                    raise
                except Exception as exc:  # noqa: BLE001 - a bug in one file must not sink the run
                    _log.exception("internal error on %s", location)
                    outcome = extractor.internal_error(location, exc)
            writer.add(outcome.rows)
            self.progress.documents_done(1)
            summary.pages_skipped += outcome.skipped_pages
            for row in outcome.rows:
                if row.status == "ok":
                    summary.pages_ok += 1
                else:
                    summary.pages_error += 1

        try:
            async with asyncio.TaskGroup() as group:
                for location in locations:
                    group.create_task(one(str(location)))
        except* RunAbortedError as errors:
            raise errors.exceptions[0] from None
        finally:
            writer.flush()
            summary.rows_written = writer.rows_written
        return summary

    @staticmethod
    async def _extract_one(
        extractor: DocumentExtractor | DocumentFieldsExtractor, location: str
    ) -> DocumentOutcome:
        """One document; a remote one is read from a local copy kept while it is extracted."""
        with ExitStack() as stack:
            try:
                path = await asyncio.to_thread(stack.enter_context, local_copy(location))
            except OSError as exc:
                return extractor.unreadable(location, f"cannot fetch file: {exc}")
            shown = location if path != Path(location) else None
            return await extractor.extract(path, shown)

    def _extractor(self) -> DocumentExtractor | DocumentFieldsExtractor:
        if isinstance(self.ledger, DocumentLedger):
            return DocumentFieldsExtractor(
                self.options,
                self.document_rows,
                self.pool,
                self.rasteriser,
                self.ledger,
                self.progress,
                self.learned,
            )
        return DocumentExtractor(
            self.options,
            self.rows,
            self.pool,
            self.rasteriser,
            self.ledger,
            self.progress,
            self.learned,
        )

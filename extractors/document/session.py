"""One run's shared resources (endpoint client, request pool, rasteriser, output), built once."""

import asyncio
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import TypeVar

from extractors.discover.local_walk import FoundInput
from extractors.document.chunk_sender import ChunkSender
from extractors.document.document_rows import DocumentRowBuilder
from extractors.document.document_unit import DocumentRowUnit
from extractors.document.extraction_options import SessionOptions
from extractors.document.orchestrator import DocumentOrchestrator
from extractors.document.page_rows import PageRowBuilder
from extractors.document.page_unit import PageRowsUnit
from extractors.document.set_aside import page_set_aside
from extractors.document.shard import ShardSummary, extract_shard
from extractors.document.unit import OutputUnit, UnitServices
from extractors.endpoint.client import EndpointClient
from extractors.endpoint.gate import Gate
from extractors.endpoint.learned_limits import LearnedLimits
from extractors.endpoint.pool import RequestPool
from extractors.load.rasteriser import Rasteriser
from extractors.load.worker import available_cores
from extractors.options import InFlight, RasterOptions
from extractors.plan.pacing import RequestPacing
from extractors.progress import NoProgress, ProgressListener
from extractors.records import RowContext
from extractors.sink.answered_images import StoredAnswers
from extractors.sink.chunk_answers import ChunkAnswers
from extractors.sink.ledger import DocumentLedger, Ledger
from extractors.sink.output import DatasetOutput, open_output
from extractors.sink.store import PAGES, Location
from schemas import PAGE_ROW_ARROW_SCHEMA


@dataclass
class ExtractionSession:
    """What the shards of one run share; closed as an async context manager."""

    output: DatasetOutput
    client: EndpointClient
    learned: LearnedLimits
    pool: RequestPool
    rasteriser: Rasteriser
    orchestrator: DocumentOrchestrator
    progress: ProgressListener
    flush_rows: int
    in_flight: InFlight
    run_id: str
    chunk_answers: ChunkAnswers | None = None
    _documents: asyncio.Semaphore = field(init=False)

    def __post_init__(self) -> None:
        self._documents = asyncio.Semaphore(self.in_flight.open_documents)

    @property
    def dataset_dir(self) -> Path | str:
        return self.output.dataset_dir

    @property
    def compacted(self) -> int:
        return self.output.compacted

    def compact(self) -> None:
        self.output.compact()

    async def extract_shard(
        self, locations: Sequence[FoundInput | Path], name: str
    ) -> ShardSummary:
        """Extract a shard's documents concurrently, writing part files as documents finish."""
        writer = self.output.writer(f"{self.run_id}-{name}", self.flush_rows)
        return await extract_shard(
            self.orchestrator, locations, writer, self._documents, self.progress
        )

    async def __aenter__(self) -> "ExtractionSession":
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        try:
            if self.chunk_answers is not None:
                self.chunk_answers.flush()
            await self.client.close()
            self.rasteriser.close()
        finally:
            self.output.release()


def open_session(
    out_dir: Location,
    options: SessionOptions,
    progress: ProgressListener | None = None,
    owner: bool = True,
    gate: Gate | None = None,
) -> ExtractionSession:
    """The run's resources. A Dask worker's (`owner=False`) renders on a thread, since its
    process is a daemon and may not start its own, and neither locks nor settles DIR."""
    progress = progress or NoProgress()
    extraction = options.extraction
    document_rows = DocumentRowBuilder(options.rows, extraction.schema.model)
    per_document = extraction.schema.unit == "document"
    dataset = extraction.schema.name if per_document else PAGES
    schema = document_rows.arrow_schema if per_document else PAGE_ROW_ARROW_SCHEMA
    output = open_output(out_dir, dataset, schema, owner)
    run_id = options.rows.run_id
    try:
        document_ledger = (
            run_ledger(DocumentLedger, output, run_id, owner) if per_document else None
        )
        page_ledger = None if per_document else run_ledger(Ledger, output, run_id, owner)
        chunk_answers = (
            ChunkAnswers.open(
                out_dir,
                dataset,
                owner,
                name=_writer_name(run_id),
                flush_rows=options.flush_rows,
                written=output.written,
            )
            if per_document
            else None
        )
    except BaseException:
        output.release()
        raise
    client = EndpointClient(options.endpoint, extraction.prompt)
    learned = LearnedLimits(extraction.budget)
    pool = RequestPool(
        client,
        options.in_flight,
        progress=progress,
        rates=options.rates,
        learned=learned,
        gate=gate,  # a Dask run's, shared by its workers; else the session's own
    )
    workers = available_cores() if options.render_workers is None else options.render_workers
    raster = RasterOptions(extraction.render, options.password, workers if owner else 0)
    rasteriser = Rasteriser(raster)
    pacing = RequestPacing(raster.workers)
    set_aside = None
    if not per_document:  # earlier runs' answers too: a rerun copies them as the run does its own
        stored = run_answers(output, options.rows, owner)
        set_aside = page_set_aside(extraction.keep_blank, extraction.keep_duplicates, stored)
    sender = ChunkSender(
        pool, rasteriser, learned, extraction.profile, client.redact, pacing, set_aside
    )
    services = UnitServices(extraction, sender, progress)
    unit: OutputUnit
    if document_ledger is not None:
        assert chunk_answers is not None
        unit = DocumentRowUnit(services, document_rows, document_ledger, chunk_answers)
    else:
        assert page_ledger is not None
        page_rows = PageRowBuilder(options.rows, extraction.profile)
        unit = PageRowsUnit(services, page_rows, page_ledger)
    orchestrator = DocumentOrchestrator(unit, rasteriser, progress, client.redact)
    return ExtractionSession(
        output,
        client,
        learned,
        pool,
        rasteriser,
        orchestrator,
        progress,
        options.flush_rows,
        options.in_flight,
        run_id,
        chunk_answers,
    )


def _writer_name(run_id: str) -> str:
    """A session's own part names: Dask workers' sessions of one run write side by side."""
    return f"{run_id}-{uuid.uuid4().hex[:8]}"


# A Dask worker's ledger of the current run: read once per run, not once per shard. What the
# run itself writes never matters to it, since every shard holds other files.
_WORKER_LEDGER: dict[tuple[str, str], Ledger | DocumentLedger] = {}

AnyLedger = TypeVar("AnyLedger", Ledger, DocumentLedger)

# A Dask worker's images earlier runs answered into the current run's DIR: read once per run
# (on the first page a shard draws), not once per shard.
_WORKER_ANSWERS: dict[tuple[str, str], StoredAnswers] = {}


def run_ledger(kind: type[AnyLedger], output: DatasetOutput, run_id: str, owner: bool) -> AnyLedger:
    """The resume ledger of a run's dataset; a Dask worker reads it once per run."""
    if owner:
        return kind.load(output.dataset_dir, output.schema)
    key = (str(output.dataset_dir), run_id)
    cached = _WORKER_LEDGER.get(key)
    if not isinstance(cached, kind):
        _WORKER_LEDGER.clear()  # a previous run's ledger is stale
        cached = _WORKER_LEDGER[key] = kind.load(output.dataset_dir, output.schema)
    return cached


def run_answers(output: DatasetOutput, context: RowContext, owner: bool) -> StoredAnswers:
    """The images earlier runs answered into a run's page dataset; a Dask worker reads them
    once per run, not once per shard."""
    if owner:
        return StoredAnswers.at(output.dataset_dir, output.schema, context)
    key = (str(output.dataset_dir), context.run_id)
    if key not in _WORKER_ANSWERS:
        _WORKER_ANSWERS.clear()  # a previous run's are stale
        _WORKER_ANSWERS[key] = StoredAnswers.at(output.dataset_dir, output.schema, context)
    return _WORKER_ANSWERS[key]

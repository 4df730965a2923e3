"""A run's batch work on its session: planning the batch files from the documents, and
ingesting a finished batch's files into the dataset."""

import asyncio
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass, field, replace

from extractors.batch.files import BatchFileWriter, BatchInput, read_line_maps
from extractors.batch.key_screen import ScreenedRedactor
from extractors.batch.lines import LineMap
from extractors.batch.output_lines import OutputLine
from extractors.batch.state import BatchRecord, BatchStore
from extractors.batch.tally import LineTally
from extractors.discover.files import shards
from extractors.discover.local_walk import FoundInput
from extractors.document.batch_ingest import BatchIngest
from extractors.document.batch_unit import BatchPlanUnit
from extractors.document.page_unit import PageRowsUnit
from extractors.document.session import ExtractionSession
from extractors.document.shard import ShardSummary, extract_shard
from extractors.document.unit import UnitServices
from extractors.options import BatchOptions
from extractors.sink.parts import PartWriter
from schemas import PageRow, RowStatus


@dataclass(frozen=True)
class PlannedFiles:
    """The batch files of a run, and what went into them."""

    inputs: list[BatchInput]
    # Pages written into lines.
    pages: int
    summary: ShardSummary
    # Pages not written: a line carries their image, and they take its page's answer.
    copied: int = 0


async def plan_batch_files(
    session: ExtractionSession,
    paths: Iterable[FoundInput],
    store: BatchStore,
    options: BatchOptions,
    shard_size: int,
) -> PlannedFiles:
    """Every page not yet ok, in the chunks and bodies an online run would send, written as
    batch lines (rows only for what fails before a request: unreadable files and pages)."""
    unit = session.orchestrator.unit
    if not isinstance(unit, PageRowsUnit):
        raise TypeError("batches are planned for per-page schemas only")
    writer = BatchFileWriter(store.run_folder(session.run_id), options, session.client.request_body)
    services = UnitServices(unit.options, unit.sender, unit.progress)
    planner = BatchPlanUnit(services, unit.rows, unit.ledger, writer)
    orchestrator = replace(session.orchestrator, unit=planner)
    documents = asyncio.Semaphore(session.in_flight.open_documents)
    totals = ShardSummary()
    try:
        for number, shard in enumerate(shards(paths, shard_size), start=1):
            rows = session.output.writer(f"{session.run_id}-plan-{number:05d}", session.flush_rows)
            totals.absorb(
                await extract_shard(orchestrator, shard, rows, documents, session.progress)
            )
    finally:
        inputs = writer.close()
    return PlannedFiles(inputs, planner.pages_in_lines, totals, planner.pages_copied)


# An output file's lines, named for the terminal.
NamedLines = tuple[str, AsyncIterator[OutputLine]]


@dataclass(frozen=True)
class IngestOutcome:
    """What ingesting some output files wrote, skipped, and which of the plan's lines wait."""

    summary: ShardSummary
    tallies: list[LineTally]
    # The lines whose pages got rows in this ingest (or were found already ok).
    accounted: set[str]
    waiting: set[str]


async def ingest_batch(
    session: ExtractionSession,
    store: BatchStore,
    record: BatchRecord,
    files: Iterable[NamedLines],
) -> IngestOutcome:
    """One terminal batch's output and error lines into rows; every page of its file ends as
    exactly one row (pages of lines no file answered: an error row saying so)."""
    assert record.batch_id is not None
    reason = (
        f"batch ended {record.status} before this request ran"
        if record.status != "completed"
        else "missing from the batch output"
    )
    answers = BatchAnswers(
        read_line_maps(store.map_path(record)), record.batch_id, record.turnaround_ms, reason
    )
    return await ingest_lines(session, answers, files, record.name.replace("/", "-"))


@dataclass(frozen=True)
class BatchAnswers:
    """Which requests a set of output files answers, and what their rows say of the batch."""

    maps: dict[str, LineMap]
    batch_id: str
    turnaround_ms: float = 0.0
    missing_reason: str = "missing from the batch output"
    # Lines an earlier ingest of the same plan already wrote rows for.
    answered_before: frozenset[str] = field(default_factory=frozenset)


async def ingest_lines(
    session: ExtractionSession,
    answers: BatchAnswers,
    files: Iterable[NamedLines],
    name: str,
) -> IngestOutcome:
    """The lines of output and error files into rows, written as they are read."""
    unit = session.orchestrator.unit
    assert isinstance(unit, PageRowsUnit)
    endpoint = session.client.options
    ingest = BatchIngest(
        unit.rows,
        unit.options.schema.model,
        answers.maps,
        answers.batch_id,
        answers.turnaround_ms,
        missing_reason=answers.missing_reason,
        redact=ScreenedRedactor(endpoint.api_key),
        max_bytes=endpoint.max_answer_bytes,
        answered_before=answers.answered_before,
        already_ok=_already_ok(unit),
    )
    writer = session.output.writer(f"{session.run_id}-{name}", session.flush_rows)
    summary = ShardSummary()
    tallies: list[LineTally] = []
    try:
        for file_name, lines in files:
            ingest.tally = LineTally(file_name)
            tallies.append(ingest.tally)
            async for line in lines:
                _write(writer, summary, ingest.line(line))
        _write(writer, summary, ingest.missing())
    finally:
        writer.flush()
        summary.rows_written = writer.rows_written
    waiting = {custom_id for custom_id in answers.maps if ingest.waiting(custom_id)}
    return IngestOutcome(summary, tallies, ingest.accounted, waiting)


def _already_ok(unit: PageRowsUnit) -> Callable[[LineMap], bool]:
    """Whether the dataset already holds every page of a line as ok, at the same path."""

    def every_page_ok(mapped: LineMap) -> bool:
        key = unit.rows.context.ledger_key(mapped.source.sha256)
        done = unit.ledger.pages_at(key, mapped.source.path)
        return all(page.page in done for page in mapped.pages)

    return every_page_ok


def _write(writer: PartWriter, summary: ShardSummary, rows: list[PageRow]) -> None:
    writer.add(rows)
    ok = sum(1 for row in rows if row.status == RowStatus.OK)
    summary.pages_ok += ok
    summary.pages_error += len(rows) - ok

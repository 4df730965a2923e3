"""What a person at a terminal sees: a progress bar while the run goes, a table at the end."""

from types import TracebackType

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from extractors.endpoint.providers import GENERIC, PRESETS
from extractors.report.evaluation import EvaluationReport
from schemas import RunSummary


class TerminalProgress:
    """Two rich progress bars: files (whose total is counted up front, hence a true ETA for a
    backfill) and pages (whose total grows as documents are opened), with requests in flight."""

    def __init__(self, console: Console) -> None:
        self._progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("errors {task.fields[errors]}"),
            TextColumn("in flight {task.fields[in_flight]}"),
            TextColumn("requests {task.fields[sent]}"),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            TextColumn("{task.fields[note]}"),
            console=console,
            transient=False,
        )
        # Until the first document is opened, Prefect is still starting (~10 s on a fresh home).
        self._task: TaskID = self._progress.add_task(
            "starting", total=None, errors=0, in_flight=0, sent=0, note=""
        )
        self._files: TaskID = self._progress.add_task(
            "files", total=None, errors="-", in_flight="-", sent="-", note=""
        )
        self._errors = 0

    def __enter__(self) -> "TerminalProgress":
        self._progress.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._progress.stop()

    def documents_found(self, total: int) -> None:
        self._progress.update(self._files, total=total)

    def documents_done(self, count: int) -> None:
        self._progress.update(self._files, advance=count)

    def pages_planned(self, count: int) -> None:
        total = self._progress.tasks[0].total or 0
        self._progress.update(self._task, description="pages", total=total + count)

    def pages_finished(self, ok: int, errors: int) -> None:
        self._errors += errors
        self._progress.update(self._task, advance=ok + errors, errors=self._errors)

    def requests_changed(self, in_flight: int, sent: int) -> None:
        self._progress.update(self._task, in_flight=in_flight, sent=sent)

    def retrying(self, reason: str, wait: float) -> None:
        # Shown until the next retry replaces it; a run that recovers says so by moving on.
        self._progress.update(self._task, note=f"retrying in {wait:.0f} s: {reason[:60]}")


def summary_table(summary: RunSummary, command_seconds: float | None = None) -> Table:
    """The end-of-run table: pages ok / error, requests, tokens, wall time."""
    table = Table(title=f"visionbatch run {summary.run_id}", show_header=False)
    table.add_column("what", style="bold")
    table.add_column("value", justify="right")
    unit = summary.unit
    rows = [
        ("provider / model", f"{summary.provider} / {summary.model}"),
        ("schema", summary.schema_name),
        ("documents", summary.documents),
        (f"{unit}s ok", summary.pages_ok),
        (f"{unit}s error", summary.pages_error),
        (f"{unit}s already done (skipped)", summary.pages_skipped),
        ("requests", summary.requests),
        ("retries", summary.retries),
        ("most requests in flight", summary.max_in_flight),
        ("concurrency", _concurrency(summary)),
        ("prompt tokens", f"{summary.prompt_tokens:,}"),
        ("completion tokens", f"{summary.completion_tokens:,}"),
        ("wall time", _wall_time(summary.wall_seconds, command_seconds)),
        ("output", summary.dataset),
    ]
    if summary.throttled:
        rows.insert(-3, ("429 answers (waited out)", summary.throttled))
    if summary.rate_limit_wait_seconds:
        rows.insert(-3, ("waited for --rpm/--tpm", f"{summary.rate_limit_wait_seconds:.1f} s"))
    rows[-1:-1] = [("learned", lesson) for lesson in summary.endpoint_lessons]
    for label, value in rows:
        table.add_row(label, str(value))
    return table


def _wall_time(run_seconds: float, command_seconds: float | None) -> str:
    """The run's wall time, and the whole command's when it is known (start-up included)."""
    run = f"{run_seconds:.1f} s"
    return run if command_seconds is None else f"{run} (command {command_seconds:.1f} s)"


def _concurrency(summary: RunSummary) -> str:
    if summary.concurrency_lowest >= summary.concurrency_start:
        return str(summary.concurrency_start)
    return (
        f"{summary.concurrency_start}, lowered to {summary.concurrency_lowest} on sustained 429s, "
        f"{summary.concurrency_end} at the end"
    )


def evaluation_table(report: EvaluationReport) -> Table:
    """Accuracy per field over the ground truth."""
    table = Table(
        title=f"{report.receipts} receipts with ground truth, {report.with_rows} with an ok row"
    )
    table.add_column("field", style="bold")
    table.add_column("correct", justify="right")
    table.add_column("accuracy", justify="right")
    for score in report.scores:
        table.add_row(score.field, f"{score.correct}/{score.total}", f"{score.accuracy:.3f}")
    return table


def misses_table(report: EvaluationReport, limit: int) -> Table:
    """The first misses: what the truth says and what was extracted."""
    shown = report.misses[:limit]
    table = Table(title=f"misses ({len(shown)} of {len(report.misses)})")
    for column in ("receipt", "field", "expected", "extracted"):
        table.add_column(column)
    for miss in shown:
        table.add_row(miss.receipt, miss.field, miss.expected, miss.got or "-")
    return table


def providers_table() -> Table:
    """One line per provider preset, as `--provider` knows it."""
    table = Table(title="provider presets (--provider NAME)")
    columns = ("name", "base URL", "default model", "images", "tokens", "context")
    for column in (*columns, "structured output", "streams"):
        table.add_column(column)
    for preset in PRESETS.values():
        if preset.name == GENERIC:
            continue
        table.add_row(
            preset.name,
            preset.base_url or ("embedded" if preset.name == "local" else "your deployment's"),
            preset.default_model or "-",
            str(preset.max_images),
            preset.profile,
            f"{preset.context_tokens:,}",
            "json_schema (strict)" if preset.strict_schema else preset.structured_output,
            "yes" if preset.streaming else "no",
        )
    return table

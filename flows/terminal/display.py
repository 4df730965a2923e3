"""What a person at a terminal sees: a progress bar while the run goes, a table at the end."""

import time
from datetime import timedelta
from types import TracebackType

from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table
from rich.text import Text

from extractors.endpoint.providers import GENERIC, PRESETS, ProviderPreset
from extractors.report.evaluation import EvaluationReport
from flows.terminal.text import printable
from schemas import RunSummary


def eta_seconds(total: float | None, completed: float, since: float | None, now: float) -> float:
    """Seconds left at the rate measured since work began; -1 while there is no rate yet
    (nothing done, no total, or no start)."""
    if total is None or since is None or completed <= 0 or now <= since:
        return -1.0
    rate = completed / (now - since)
    return max(0.0, total - completed) / rate


class EtaColumn(ProgressColumn):
    """`ETA 0:01:23` from the rate measured since the task's work began, recomputed at every
    refresh (so it grows while nothing finishes); blank until there is a rate."""

    def render(self, task: Task) -> Text:
        left = eta_seconds(task.total, task.completed, task.fields.get("since"), time.monotonic())
        if left < 0:
            return Text("")
        return Text(f"ETA {timedelta(seconds=round(left))}", style="progress.remaining")


class TerminalProgress:
    """Two rich progress bars: files and pages, each with the total counted beside the run
    (no total, and no ETA, until it is), and what the run waits on: starting, rendering,
    requests in flight, or a retry."""

    def __init__(self, console: Console) -> None:
        self._progress = Progress(
            TextColumn("[bold]{task.description:>5}"),
            BarColumn(bar_width=30),
            MofNCompleteColumn(),
            TextColumn("{task.fields[errors]}"),
            TimeElapsedColumn(),
            EtaColumn(),
            TextColumn("{task.fields[state]}"),
            console=console,
            transient=False,
        )
        self._pages: TaskID = self._progress.add_task(
            "pages", total=None, errors="", state="starting Prefect", since=None
        )
        self._files: TaskID = self._progress.add_task(
            "files", total=None, errors="", state="", since=None
        )
        self._found: int | None = None
        self._planned = 0
        self._files_left: int | None = None
        self._errors = 0
        self._in_flight = 0
        self._sent = 0
        self._retry = ""

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
        self._files_left = total - int(self._progress.tasks[1].completed)
        self._show("opening documents")

    def documents_done(self, count: int) -> None:
        self._started(self._files)
        self._progress.update(self._files, advance=count)
        if self._files_left is not None:
            self._files_left -= count
            if self._files_left <= 0:  # pages resumed from an earlier run are not counted
                self._progress.update(self._pages, total=self._progress.tasks[0].completed)

    def pages_found(self, total: int) -> None:
        self._found = total
        self._progress.update(self._pages, total=max(total, self._planned))

    def pages_planned(self, count: int) -> None:
        self._planned += count
        self._started(self._pages)
        if self._found is not None:
            self._progress.update(self._pages, total=max(self._found, self._planned))
        if not self._in_flight:
            self._show(self._idle())

    def _started(self, task: TaskID) -> None:
        """The rate of a bar is measured from its first work, not from Prefect's start-up."""
        if self._progress.tasks[task].fields.get("since") is None:
            self._progress.update(task, since=time.monotonic())

    def pages_finished(self, ok: int, errors: int) -> None:
        self._errors += errors
        plural = "s" if self._errors != 1 else ""
        shown = f"[red]{self._errors} error{plural}[/]" if self._errors else ""
        self._progress.update(self._pages, advance=ok + errors, errors=shown)

    def requests_changed(self, in_flight: int, sent: int) -> None:
        self._in_flight, self._sent = in_flight, sent
        if in_flight:
            self._retry = ""  # a retried request is on the wire again
        self._show(f"{in_flight} in flight, {sent} sent" if in_flight else self._idle())

    def retrying(self, reason: str, wait: float) -> None:
        # Shown until a request is on the wire again; a run that recovers says so by moving on.
        reason = escape(printable(reason[:60]))  # the endpoint's words: neither markup nor escapes
        self._retry = f"[yellow]retrying in {wait:.0f} s: {reason}[/]"
        self._show("")

    def _idle(self) -> str:
        """Nothing on the wire: pages are being drawn, or the next documents opened."""
        pages = self._progress.tasks[0]
        return "rendering" if pages.completed < self._planned else "opening documents"

    def _show(self, state: str) -> None:
        self._progress.update(self._pages, state=self._retry or state)


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
        ("prompt tokens", _tokens(summary.prompt_tokens)),
        ("completion tokens", _tokens(summary.completion_tokens)),
        ("estimated cost", summary.estimated_cost),
        ("first request after", _first_request(summary.first_request_seconds)),
        ("wall time", _wall_time(summary.wall_seconds, command_seconds)),
        ("output", summary.dataset),
    ]
    if summary.throttled:
        rows.insert(-3, ("429 answers (waited out)", summary.throttled))
    if summary.rate_limit_wait_seconds:
        rows.insert(-3, ("waited for --rpm/--tpm", f"{summary.rate_limit_wait_seconds:.1f} s"))
    rows[-1:-1] = [("learned", lesson) for lesson in summary.endpoint_lessons]
    for label, value in rows:
        table.add_row(label, Text(printable(str(value))))
    return table


def _tokens(count: int | None) -> str:
    return "not reported" if count is None else f"{count:,}"


def _first_request(seconds: float | None) -> str:
    return "none sent" if seconds is None else f"{seconds:.2f} s"


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
    """Accuracy per field over the documents run that have ground truth."""
    table = Table()
    table.add_column("field", style="bold")
    table.add_column("correct", justify="right")
    table.add_column("accuracy", justify="right")
    for score in report.scores:
        table.add_row(
            Text(printable(score.field)), f"{score.correct}/{score.total}", f"{score.accuracy:.3f}"
        )
    return table


def evaluation_lines(report: EvaluationReport) -> list[str]:
    """What the scores are over, and what was left out of them."""
    lines = [
        f"{report.receipts} documents run with ground truth, {report.with_rows} with an ok row"
    ]
    if report.truth_without_document:
        lines.append(f"{report.truth_without_document} truth files had no document (not scored)")
    if report.documents_without_truth:
        lines.append(f"{report.documents_without_truth} documents had no truth file")
    return lines


def misses_table(report: EvaluationReport, limit: int) -> Table:
    """The first misses: what the truth says and what was extracted."""
    shown = report.misses[:limit]
    table = Table(title=f"misses ({len(shown)} of {len(report.misses)})")
    for column in ("receipt", "field", "expected", "extracted"):
        table.add_column(column)
    for miss in shown:
        cells = (miss.receipt, miss.field, miss.expected, miss.got or "-")
        table.add_row(*(Text(printable(cell)) for cell in cells))
    return table


# Below this width the presets are listed one block each: eight columns do not fit in 80.
_WIDE_PROVIDERS = 160


def providers_view(width: int) -> Table:
    """The provider presets, as `--provider` knows them: a table on a wide terminal, one block
    per preset on a narrow one or in a pipe (rich gives a pipe 80 columns)."""
    if width >= _WIDE_PROVIDERS:
        return _providers_table()
    grid = Table.grid(padding=(0, 2))
    grid.title = "provider presets (--provider NAME)"
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column()
    for preset in _listed_presets():
        base_url, model, images, tokens, context, structured, streams = _preset_cells(preset)
        details = (
            f"{base_url}\nmodel {model}, {images} image{'s' if images != '1' else ''} a request, "
            f"{tokens} tokens, "
            f"{context} context\nstructured output {structured}, "
            f"{'streams' if streams == 'yes' else 'no streaming'}"
        )
        grid.add_row(preset.name, details)
        grid.add_row("", "")
    return grid


def _providers_table() -> Table:
    table = Table(title="provider presets (--provider NAME)")
    columns = ("name", "base URL", "default model", "images", "tokens", "context")
    for column in (*columns, "structured output", "streams"):
        table.add_column(column)
    for preset in _listed_presets():
        table.add_row(preset.name, *_preset_cells(preset))
    return table


def _listed_presets() -> list[ProviderPreset]:
    return [preset for preset in PRESETS.values() if preset.name != GENERIC]


def _preset_cells(preset: ProviderPreset) -> tuple[str, ...]:
    return (
        preset.base_url or ("embedded, no key" if preset.name == "local" else "your deployment's"),
        preset.default_model or "-",
        str(preset.max_images),
        preset.profile,
        f"{preset.context_tokens:,}",
        "json_schema (strict)" if preset.strict_schema else preset.structured_output,
        "yes" if preset.streaming else "no",
    )

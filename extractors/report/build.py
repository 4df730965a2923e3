"""The report of an output directory: outcomes, errors, tokens and cost, latency, throughput.

Every dataset under DIR (`pages/`, `<schema>/`) is read lazily from its part files. Two views of
the rows are used, and each figure says which:
- outcomes (statuses, errors) count the row that stands for each page (document): the newest,
  by the rule compaction applies, so a page that failed and then succeeded on resume is ok once;
- work (tokens, cost, latency, throughput, runs) counts every row written, but a request's
  tokens and latency once, however many rows repeat them (pages of one request, copies of
  identical files found at another path).
"""

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Literal

import polars as pl

from extractors.errors import ReportError
from extractors.report.frames import (
    DatasetKind,
    current_outcomes,
    dataset_rows,
    latencies,
    usage_frame,
)
from extractors.report.pricing import Price, PriceTable
from extractors.sink.store import part_files

HISTOGRAM_BINS = 20


EXAMPLES_PER_CATEGORY = 3


@dataclass(frozen=True)
class StatusCount:
    """Standing outcomes of one status.

    In a page dataset `documents` counts the documents with at least one such page, so a
    document with ok and failed pages counts under both statuses.
    """

    status: str
    documents: int
    pages: int


@dataclass(frozen=True)
class ErrorExample:
    """One failure as its row states it (page None: a whole file, or a document row)."""

    source: str
    page: int | None
    error: str


@dataclass(frozen=True)
class ErrorGroup:
    """Standing failures of one category: pages (page dataset) or documents, and examples."""

    category: str
    count: int
    examples: tuple[ErrorExample, ...]


@dataclass(frozen=True)
class UsageLine:
    """Tokens a provider and model consumed, and what they cost if a price is known."""

    provider: str
    model: str
    requests: int
    prompt_tokens: int
    completion_tokens: int
    # Rows of answered requests whose endpoint reported no usage: the tokens are a lower bound.
    without_usage: int
    price: Price | None

    @property
    def cost(self) -> float | None:
        """None when no price is known: an unknown cost is never shown as 0."""
        if self.price is None:
            return None
        return self.price.cost(self.prompt_tokens, self.completion_tokens)


@dataclass(frozen=True)
class HistogramBin:
    """Latencies in [low_ms, high_ms) (the last bin includes its high edge)."""

    low_ms: float
    high_ms: float
    count: int


@dataclass(frozen=True)
class LatencySummary:
    """Latency percentiles (linear interpolation) and histogram, None without requests.

    The unit is a request in a page dataset; in a document dataset, a document's requests
    summed, the only latency its rows keep.
    """

    unit: Literal["request", "document"]
    count: int
    p50_ms: float | None
    p95_ms: float | None
    histogram: tuple[HistogramBin, ...]


@dataclass(frozen=True)
class MinuteCount:
    """Pages finished (rows written, ok or not) in one minute, UTC."""

    minute: datetime
    pages: int


@dataclass(frozen=True)
class RunSpan:
    """What one run wrote to the dataset, and between which times."""

    run_id: str
    started: datetime
    finished: datetime
    pages: int


@dataclass(frozen=True)
class DatasetReport:
    """The report of one dataset, `DIR/pages/` or `DIR/<schema>/`."""

    name: str
    kind: DatasetKind
    part_files: int
    stored_rows: int
    superseded_rows: int
    documents: int
    pages: int
    statuses: tuple[StatusCount, ...]
    errors: tuple[ErrorGroup, ...]
    usage: tuple[UsageLine, ...]
    latency: LatencySummary
    throughput: tuple[MinuteCount, ...]
    runs: tuple[RunSpan, ...]
    pages_finished: int
    first_at: datetime
    last_at: datetime

    @property
    def wall_seconds(self) -> float:
        """From the first row written to the last."""
        return (self.last_at - self.first_at).total_seconds()

    @property
    def pages_per_minute(self) -> float | None:
        """Pages finished per minute over the wall span; None when it spans no time."""
        if self.wall_seconds <= 0:
            return None
        return self.pages_finished / (self.wall_seconds / 60)

    def status_pages(self, status: str) -> int:
        """Standing pages of that status (0 when none)."""
        return next((s.pages for s in self.statuses if s.status == status), 0)


@dataclass(frozen=True)
class RunReport:
    """The report of an output directory: one entry per dataset with part files."""

    out_dir: Path
    datasets: tuple[DatasetReport, ...]

    def costs_by_currency(self) -> dict[str, float]:
        """Known costs summed per currency."""
        totals: dict[str, float] = {}
        for line in (line for dataset in self.datasets for line in dataset.usage):
            if line.price is not None and line.cost is not None:
                totals[line.price.currency] = totals.get(line.price.currency, 0.0) + line.cost
        return totals

    def unpriced(self) -> tuple[tuple[str, str], ...]:
        """(provider, model) pairs whose cost is unknown."""
        pairs = {(u.provider, u.model) for d in self.datasets for u in d.usage if u.price is None}
        return tuple(sorted(pairs))


def build_report(out_dir: Path, prices: PriceTable) -> RunReport:
    """Read every dataset under `out_dir`; ReportError when there is nothing to report."""
    if not out_dir.is_dir():
        problem = "is not a directory" if out_dir.exists() else "does not exist"
        raise ReportError(f"output directory {out_dir} {problem}")
    reports = [
        _dataset_report(folder, files, prices)
        for folder in sorted(p for p in out_dir.iterdir() if p.is_dir())
        if (files := part_files(folder))
    ]
    found = tuple(report for report in reports if report is not None)
    if not found:
        raise ReportError(
            f"nothing to report in {out_dir}: none of its folders holds part-*.parquet files"
        )
    return RunReport(out_dir, found)


def _dataset_report(folder: Path, files: list[Path], prices: PriceTable) -> DatasetReport | None:
    try:
        kind, rows = dataset_rows(files)
        frame = rows.collect()
    except (pl.exceptions.PolarsError, OSError) as exc:
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ReportError(f"cannot read {folder}: {message}") from exc
    if frame.is_empty():
        return None
    current = current_outcomes(frame)
    return DatasetReport(
        name=folder.name,
        kind=kind,
        part_files=len(files),
        stored_rows=frame.height,
        superseded_rows=frame.height - current.height,
        documents=current["source"].n_unique(),
        pages=int(current["pages_done"].sum()),
        statuses=_statuses(current),
        errors=_errors(current),
        usage=_usage(frame, prices),
        latency=_latency(frame, "request" if kind == "pages" else "document"),
        throughput=_throughput(frame),
        runs=_runs(frame),
        pages_finished=int(frame["pages_done"].sum()),
        first_at=frame["extracted_at"].min(),  # type: ignore[arg-type]
        last_at=frame["extracted_at"].max(),  # type: ignore[arg-type]
    )


def _statuses(current: pl.DataFrame) -> tuple[StatusCount, ...]:
    counts = (
        current.group_by("status")
        .agg(documents=pl.col("source").n_unique(), pages=pl.col("pages_done").sum())
        .sort(pl.col("status") != "ok", "status")
    )
    return tuple(StatusCount(*row) for row in counts.iter_rows())


def _errors(current: pl.DataFrame) -> tuple[ErrorGroup, ...]:
    failed = current.filter(pl.col("status") == "error").with_columns(
        pl.col("error_category").fill_null("uncategorised"), pl.col("error").fill_null("")
    )
    groups = (
        failed.sort("source", "page", nulls_last=False)
        .group_by("error_category", maintain_order=True)
        .agg(
            count=pl.len(),
            sources=pl.col("source").head(EXAMPLES_PER_CATEGORY),
            pages=pl.col("page").head(EXAMPLES_PER_CATEGORY),
            errors=pl.col("error").head(EXAMPLES_PER_CATEGORY),
        )
        .sort(pl.col("count"), "error_category", descending=[True, False])
    )
    return tuple(
        ErrorGroup(
            category,
            count,
            tuple(ErrorExample(*example) for example in zip(sources, pages, errors, strict=True)),
        )
        for category, count, sources, pages, errors in groups.iter_rows()
    )


def _usage(frame: pl.DataFrame, prices: PriceTable) -> tuple[UsageLine, ...]:
    lines = usage_frame(frame).iter_rows()
    return tuple(
        UsageLine(provider, model, requests, prompt, completion, unreported, price)
        for provider, model, requests, prompt, completion, unreported in lines
        for price in [prices.price_of(provider, model)]
    )


def _latency(frame: pl.DataFrame, unit: Literal["request", "document"]) -> LatencySummary:
    values = latencies(frame)
    if values.is_empty():
        return LatencySummary(unit, 0, None, None, ())
    return LatencySummary(
        unit,
        values.len(),
        values.quantile(0.5, "linear"),
        values.quantile(0.95, "linear"),
        histogram(values, HISTOGRAM_BINS),
    )


def histogram(values: pl.Series, bins: int) -> tuple[HistogramBin, ...]:
    """Equal-width bins from the smallest value to the largest; one bin when they are equal."""
    low, high = float(values.min()), float(values.max())  # type: ignore[arg-type]
    if high == low:
        return (HistogramBin(low, high, values.len()),)
    width = (high - low) / bins
    index = ((values - low) / width).floor().cast(pl.Int64).clip(0, bins - 1)
    counts = dict(index.value_counts().iter_rows())
    return tuple(
        HistogramBin(low + i * width, low + (i + 1) * width, counts.get(i, 0)) for i in range(bins)
    )


def _throughput(frame: pl.DataFrame) -> tuple[MinuteCount, ...]:
    minutes = (
        frame.group_by(minute=pl.col("extracted_at").dt.truncate("1m"))
        .agg(pages=pl.col("pages_done").sum())
        .sort("minute")
    )
    return tuple(MinuteCount(*row) for row in minutes.iter_rows())


def _runs(frame: pl.DataFrame) -> tuple[RunSpan, ...]:
    runs = (
        frame.group_by("run_id")
        .agg(
            started=pl.col("extracted_at").min(),
            finished=pl.col("extracted_at").max(),
            pages=pl.col("pages_done").sum(),
        )
        .sort("started", "run_id")
    )
    return tuple(RunSpan(*row) for row in runs.iter_rows())

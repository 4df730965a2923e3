"""Building the report of an output directory from the part files of its datasets."""

from pathlib import Path
from typing import Literal

import polars as pl

from extractors.errors import ReportError
from extractors.report.documents import document_lines
from extractors.report.error_reasons import error_reason
from extractors.report.frames import (
    current_outcomes,
    dataset_rows,
    latencies,
    usage_frame,
)
from extractors.report.pricing import PriceTable
from extractors.report.row_contents import documents_to_check, field_names
from extractors.report.run_report import (
    DatasetReport,
    ErrorExample,
    ErrorGroup,
    HistogramBin,
    LatencySummary,
    MinuteCount,
    RunReport,
    RunSpan,
    StatusCount,
    UsageLine,
)
from extractors.report.savings import dataset_savings
from extractors.report.trust_rows import (
    ok_rows,
    rows_to_check,
    trust_summary,
    warning_kind,
)
from extractors.sink.store import part_files
from extractors.trust import LOW_CONFIDENCE

HISTOGRAM_BINS = 20


EXAMPLES_PER_CATEGORY = 3


def build_report(
    out_dir: Path, prices: PriceTable, low_confidence: float = LOW_CONFIDENCE
) -> RunReport:
    """Read every dataset under `out_dir`; ReportError when there is nothing to report.

    Ok rows with a warning or a confidence under `low_confidence` are the rows to check.
    """
    if not out_dir.is_dir():
        problem = "is not a directory" if out_dir.exists() else "does not exist"
        raise ReportError(f"output directory {out_dir} {problem}")
    reports = [
        _dataset_report(folder, files, prices, low_confidence)
        for folder in sorted(p for p in out_dir.iterdir() if p.is_dir())
        if (files := part_files(folder))
    ]
    found = tuple(report for report in reports if report is not None)
    if not found:
        raise ReportError(
            f"nothing to report in {out_dir}: none of its folders holds part-*.parquet files"
        )
    return RunReport(out_dir, found)


def _dataset_report(
    folder: Path, files: list[Path], prices: PriceTable, low_confidence: float
) -> DatasetReport | None:
    try:
        kind, rows = dataset_rows(files)
        frame = rows.collect()
        current = current_outcomes(frame)
        to_check = documents_to_check(files, kind, rows_to_check(current, low_confidence))
        fields = field_names(files) if kind == "documents" else frozenset()
        usage = _usage(frame, prices)
        savings = dataset_savings(files, prices, usage) if kind == "pages" else None
    except (pl.exceptions.PolarsError, OSError) as exc:
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ReportError(f"cannot read {folder}: {message}") from exc
    if frame.is_empty():
        return None
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
        warnings=_warnings(current, fields),
        usage=usage,
        latency=_latency(frame, "request" if kind == "pages" else "document"),
        throughput=_throughput(frame),
        runs=_runs(frame),
        pages_finished=int(frame["pages_done"].sum()),
        first_at=frame["extracted_at"].min(),  # type: ignore[arg-type]
        last_at=frame["extracted_at"].max(),  # type: ignore[arg-type]
        trust=trust_summary(current, low_confidence),
        to_check=to_check,
        documents_table=document_lines(frame, current, prices),
        savings=savings,
    )


def _statuses(current: pl.DataFrame) -> tuple[StatusCount, ...]:
    counts = (
        current.group_by("status")
        .agg(documents=pl.col("source").n_unique(), pages=pl.col("pages_done").sum())
        .sort(pl.col("status") != "ok", "status")
    )
    return tuple(StatusCount(*row) for row in counts.iter_rows())


def _errors(current: pl.DataFrame) -> tuple[ErrorGroup, ...]:
    """Standing failures by category and reason, every reason with its count and an example."""
    failed = current.filter(pl.col("status") == "error").with_columns(
        pl.col("error_category").fill_null("uncategorised"), pl.col("error").fill_null("")
    )
    reasons = {e: error_reason(e) for e in failed["error"].unique().to_list()}
    by_reason = failed.with_columns(
        pl.col("error").replace_strict(reasons, return_dtype=pl.String).alias("reason")
    )
    return _groups(by_reason, ["error_category", "reason"], examples=1)


def _warnings(current: pl.DataFrame, fields: frozenset[str]) -> tuple[ErrorGroup, ...]:
    """Ok rows with warnings, one group per kind of warning (a row counts once in a kind),
    each with one example: a warning as written, in its example's `error`."""
    warned = ok_rows(current).explode("warnings").drop_nulls("warnings")
    kinds = {w: warning_kind(w, fields) for w in warned["warnings"].unique().to_list()}
    by_kind = warned.with_columns(
        pl.col("warnings").replace_strict(kinds, return_dtype=pl.String).alias("kind"),
        pl.col("warnings").alias("error"),
    ).unique(subset=["scan_row", "kind"], keep="first", maintain_order=True)
    return _groups(by_kind, "kind", examples=1)


def _groups(
    rows: pl.DataFrame, by: str | list[str], examples: int = EXAMPLES_PER_CATEGORY
) -> tuple[ErrorGroup, ...]:
    """Groups by `by` (a category, or a category and a reason), largest first."""
    keys = [by] if isinstance(by, str) else by
    groups = (
        rows.sort("source", "page", nulls_last=False)
        .group_by(keys, maintain_order=True)
        .agg(
            count=pl.len(),
            sources=pl.col("source").head(examples),
            pages=pl.col("page").head(examples),
            errors=pl.col("error").head(examples),
        )
        .sort(pl.col("count"), *keys, descending=[True, *[False] * len(keys)])
    )
    return tuple(
        ErrorGroup(
            category,
            count,
            tuple(ErrorExample(*example) for example in zip(sources, pages, errors, strict=True)),
            reason[0] if reason else None,
        )
        for category, *reason, count, sources, pages, errors in groups.iter_rows()
    )


def _usage(frame: pl.DataFrame, prices: PriceTable) -> tuple[UsageLine, ...]:
    lines = usage_frame(frame).iter_rows()
    return tuple(
        UsageLine(provider, model, requests, prompt, completion, unreported, price, batch)
        for provider, model, batch, requests, prompt, completion, unreported in lines
        for price in [(prices.batch_price_of if batch else prices.price_of)(provider, model)]
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

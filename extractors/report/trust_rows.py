"""Which standing ok rows to check: those with a warning or a confidence under a threshold.

Every count covers every row; only the rows kept for display (worst documents first, a few per
document) are read again for their contents.
"""

import re

import polars as pl

from extractors.report.run_report import HistogramBin, TrustSummary

# A row under this confidence is to be checked even without a warning.


# Rows kept with their contents, worst documents first; a long document keeps its first ones.
SHOWN_ROWS = 200


ROWS_PER_DOCUMENT = 20


_BINS = 10


_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")


_INDEX = re.compile(r"\[\d*\]")


_PATH = re.compile(r"[A-Za-z_]\w*(?:\[\d*\]|\.[A-Za-z_]\w*)*")


def warning_kind(warning: str, fields: frozenset[str] = frozenset()) -> str:
    """What a warning is about, without its details.

    `hidden text left out: 2 lines (...)` is `hidden text left out`; a warning about one of
    the schema's `fields` keeps its field, list indexes dropped (`items[].amount: not found on
    the page`); numbers read `N`, so that `answer cut at 4096 tokens` is one kind.
    """
    head, _, rest = warning.partition(": ")
    if rest and _PATH.fullmatch(head) and re.split(r"[.\[]", head)[0] in fields:
        detail = _NUMBER.sub("N", rest.partition(": ")[0]).strip()
        return f"{_INDEX.sub('[]', head)}: {detail}"
    return _NUMBER.sub("N", head).strip() or warning


def _warned() -> pl.Expr:
    return pl.col("warnings").list.len().fill_null(0) > 0


def _low(threshold: float) -> pl.Expr:
    return (pl.col("confidence") < threshold).fill_null(False)


def ok_rows(current: pl.DataFrame) -> pl.DataFrame:
    return current.filter(pl.col("status") == "ok")


def trust_summary(current: pl.DataFrame, threshold: float) -> TrustSummary:
    """Counts of the standing ok rows by what doubts them, and their confidence's spread."""
    ok = ok_rows(current).with_columns(_warned=_warned(), _low=_low(threshold))
    doubted = ok.filter(pl.col("_warned") | pl.col("_low"))
    measured = ok["confidence"].drop_nulls()
    return TrustSummary(
        threshold=threshold,
        ok_rows=ok.height,
        clean=ok.height - doubted.height,
        with_warnings=int(ok["_warned"].sum()),
        low_confidence=int(ok["_low"].sum()),
        unmeasured=ok["confidence"].null_count(),
        to_check=doubted.height,
        documents_to_check=doubted["source"].n_unique(),
        mean=None if measured.is_empty() else float(measured.mean()),  # type: ignore[arg-type]
        median=None if measured.is_empty() else float(measured.median()),  # type: ignore[arg-type]
        histogram=confidence_histogram(measured),
    )


def confidence_histogram(values: pl.Series) -> tuple[HistogramBin, ...]:
    """Ten bins of 0.1 over [0, 1] (1.0 in the last); none without values."""
    if values.is_empty():
        return ()
    index = (values * _BINS).floor().cast(pl.Int64).clip(0, _BINS - 1)
    counts = dict(index.value_counts().iter_rows())
    width = 1 / _BINS
    return tuple(
        HistogramBin(round(i * width, 2), round((i + 1) * width, 2), counts.get(i, 0))
        for i in range(_BINS)
    )


def rows_to_check(current: pl.DataFrame, threshold: float) -> pl.DataFrame:
    """The rows kept for display, worst documents first (lowest confidence, then source),
    each with its document's count of rows to check (`document_rows`) and lowest confidence."""
    doubted = ok_rows(current).filter(_warned() | _low(threshold))
    ordered = doubted.with_columns(
        document_rows=pl.len().over("source"),
        lowest=pl.col("confidence").min().over("source"),
    ).sort("lowest", "source", "page", "extracted_at", nulls_last=True)
    first_of_document = pl.int_range(pl.len()).over("source") < ROWS_PER_DOCUMENT
    return ordered.filter(first_of_document).head(SHOWN_ROWS)

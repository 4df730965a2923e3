"""The Polars queries behind the report: one normalised frame for page and document datasets.

A page dataset has a row per page with one `request_id`; a document dataset has a row per
document with a list of `request_ids` and the pages it covered. Both become the same columns:
`pages_done` (pages a row stands for), `request_key` (the request, or the document's set of
requests, that the row's latency belongs to), `requests` (how many requests that key stands
for) and `billing_key` (what identifies the row's share of tokens, so that a copy of a row never
counts twice).
"""

from pathlib import Path
from typing import Literal

import polars as pl

from extractors.errors import ReportError

DatasetKind = Literal["pages", "documents"]


_SEPARATOR = "\x1f"  # never in a request id or a hash


_COMMON = (
    "source",
    "source_sha256",
    "status",
    "error",
    "error_category",
    "provider",
    "model",
    "run_id",
    "extracted_at",
    "batch",
)


_TOKENS = (pl.col("prompt_tokens").cast(pl.Int64), pl.col("completion_tokens").cast(pl.Int64))


def dataset_rows(files: list[Path]) -> tuple[DatasetKind, pl.LazyFrame]:
    """The dataset's kind and its rows in normalised columns, oldest first."""
    scan = scan_parts(files)
    names = scan.collect_schema().names()
    # Rows that came through a provider's batch API are billed at its batch price.
    batch = pl.col("batch_id").is_not_null() if "batch_id" in names else pl.lit(False)
    trust = (
        column_or_null(names, "warnings", pl.List(pl.String)),
        # Stored as float32: rounded back to the 3 places it was made with, so 0.7 is 0.7.
        column_or_null(names, "confidence", pl.Float64).round(3),
    )
    # `scan_row` finds a row again in `scan_parts` (its other columns, for the rows to check).
    scan = scan.with_row_index("scan_row").with_columns(batch.alias("batch"), *trust)
    if "page" in names and "request_id" in names:
        return "pages", _page_rows(scan).sort("extracted_at", maintain_order=True)
    if "pages" in names and "request_ids" in names:
        return "documents", _document_rows(scan).sort("extracted_at", maintain_order=True)
    raise ReportError(
        f"{files[0].parent} holds part files that are neither a page dataset (page, request_id) "
        "nor a document dataset (pages, request_ids)"
    )


def scan_parts(files: list[Path]) -> pl.LazyFrame:
    """The part files as one lazy frame with every column any of them has.

    A part written before a column existed (`warnings`, `confidence`) reads it as null,
    whichever part comes first (Polars would otherwise take the first part's columns).
    """
    columns: dict[str, pl.DataType] = {}
    for file in files:
        for name, dtype in pl.read_parquet_schema(file).items():
            columns.setdefault(name, dtype)
    # glob=False: a DIR named like a glob pattern ("runs[1]") is still read literally.
    return pl.scan_parquet(
        files,
        glob=False,
        schema=pl.Schema(columns),
        extra_columns="ignore",
        missing_columns="insert",
    )


def column_or_null(names: list[str], name: str, dtype: pl.DataType | type[pl.DataType]) -> pl.Expr:
    """The column in `dtype`, or nulls when no part has it (a dataset older than it)."""
    column = pl.col(name) if name in names else pl.lit(None)
    return column.cast(dtype).alias(name)


_TRUST = ("scan_row", "warnings", "confidence")


def _page_rows(scan: pl.LazyFrame) -> pl.LazyFrame:
    key = pl.col("request_id")
    return scan.select(
        *_COMMON,
        *_TRUST,
        pl.col("page").cast(pl.Int32),
        pl.lit(1, pl.Int64).alias("pages_done"),
        *_TOKENS,
        pl.col("latency_ms").cast(pl.Float64),
        key.alias("request_key"),
        pl.when(key.is_not_null()).then(pl.lit(1, pl.Int64)).alias("requests"),
        # A page's token share belongs to its request and its page; a copy repeats both.
        pl.concat_str(
            key, pl.col("source_sha256"), pl.col("page").cast(pl.String), separator=_SEPARATOR
        ).alias("billing_key"),
    )


def _document_rows(scan: pl.LazyFrame) -> pl.LazyFrame:
    ids = pl.col("request_ids")
    key = pl.when(ids.list.len() > 0).then(ids.list.join(_SEPARATOR))
    return scan.select(
        *_COMMON,
        *_TRUST,
        pl.lit(None, pl.Int32).alias("page"),
        pl.col("pages").list.len().cast(pl.Int64).alias("pages_done"),
        *_TOKENS,
        pl.col("latency_ms").cast(pl.Float64),
        key.alias("request_key"),
        ids.list.len().cast(pl.Int64).alias("requests"),
        key.alias("billing_key"),
    )


def current_outcomes(rows: pl.DataFrame) -> pl.DataFrame:
    """The row standing for each page (document), by the rule `sink.compact` applies.

    Kept: rows of the newest content of a path, the newest row of each page, and a row of a
    file that failed before its pages were known only while nothing newer exists for that path.
    """
    order = pl.col("_order")
    keep = (
        (pl.col("source_sha256") == pl.col("source_sha256").last().over("source"))
        & (order == order.max().over("source", "page"))
        & (pl.col("page").is_not_null() | (order == order.max().over("source")))
    )
    return rows.with_row_index("_order").filter(keep).drop("_order")


def usage_frame(rows: pl.DataFrame) -> pl.DataFrame:
    """Requests and tokens per (provider, model), each request and token share counted once."""
    new_request = pl.col("request_key").is_not_null() & pl.col("request_key").is_first_distinct()
    billed = pl.col("billing_key").is_not_null() & pl.col("billing_key").is_first_distinct()
    unreported = pl.col("prompt_tokens").is_null() | pl.col("completion_tokens").is_null()
    return (
        rows.with_columns(_new=new_request, _billed=billed)
        .group_by("provider", "model", "batch")
        .agg(
            requests=pl.col("requests").filter("_new").sum(),
            prompt_tokens=pl.col("prompt_tokens").filter("_billed").sum(),
            completion_tokens=pl.col("completion_tokens").filter("_billed").sum(),
            without_usage=(pl.col("_billed") & unreported).sum(),
        )
        .sort("provider", "model", "batch")
    )


def latencies(rows: pl.DataFrame) -> pl.Series:
    """One latency per request (per document's requests), in ms."""
    answered = rows.filter(pl.col("request_key").is_not_null() & pl.col("latency_ms").is_not_null())
    return answered.unique(subset="request_key", keep="first", maintain_order=True)["latency_ms"]

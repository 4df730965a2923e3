"""Leaving one row per (source, page): the newest."""

import polars as pl
import pyarrow as pa

from extractors.sink.store import DatasetStore, Location
from schemas import PAGE_ROW_ARROW_SCHEMA


def compact(pages_dir: Location, schema: pa.Schema = PAGE_ROW_ARROW_SCHEMA) -> int:
    """Leave exactly one row per (source, page): the newest; return how many rows were dropped.

    Superseded are: rows of an older version of a file (another hash), older rows of the same
    page, and a "file failed before its pages were known" row once newer rows exist.
    Affected part files are rewritten atomically; the others are not touched.
    """
    store = DatasetStore.at(pages_dir)
    files = store.parts()
    if not files:
        return 0
    frame = pl.concat(
        [
            _compaction_frame(store, f, schema)
            .with_row_index("_row")
            .with_columns(pl.lit(f).alias("_file"))
            for f in files
        ]
    ).sort("extracted_at", "_file", "_row")
    frame = frame.with_row_index("_order").with_columns(
        pl.col("source_sha256").last().over("source").alias("_latest_sha"),
        pl.col("_order").max().over("source", "page").alias("_newest_of_page"),
        pl.col("_order").max().over("source").alias("_newest_of_source"),
    )
    keep = (
        (pl.col("source_sha256") == pl.col("_latest_sha"))
        & (pl.col("_order") == pl.col("_newest_of_page"))
        & (pl.col("page").is_not_null() | (pl.col("_order") == pl.col("_newest_of_source")))
    )
    dropped = frame.filter(~keep).select("_file", "_row")
    for (name,), rows in dropped.group_by(["_file"]):
        _rewrite_without(store, str(name), set(rows["_row"].to_list()), schema)
    return dropped.height


def _compaction_frame(store: DatasetStore, part: str, schema: pa.Schema) -> pl.DataFrame:
    """A document dataset has no page column: each of its rows counts as a whole-file row."""
    if "page" in schema.names:
        columns = ["source", "source_sha256", "page", "extracted_at"]
        return store.scan([part], columns).collect()
    frame = store.scan([part], ["source", "source_sha256", "extracted_at"]).collect()
    return frame.with_columns(pl.lit(None, pl.Int32).alias("page"))


def _rewrite_without(store: DatasetStore, part: str, rows: set[int], schema: pa.Schema) -> None:
    table = store.read_table(part, schema=schema)
    mask = pa.array([index not in rows for index in range(table.num_rows)])
    store.replace(part, table.filter(mask))

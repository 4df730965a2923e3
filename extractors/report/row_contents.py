"""The contents of the rows to check, read again from the part files: a page's text, or a
document's fields and where they were read."""

import json
from pathlib import Path
from typing import Any

import polars as pl

from extractors.report.frames import DatasetKind, scan_parts
from extractors.report.run_report import DocumentToCheck, RowToCheck
from schemas.document_row import PROVENANCE_COLUMNS
from schemas.trust import Citation

# Enough of a page's text to judge it beside its picture; the Parquet file holds the rest.
TEXT_CHARS = 600


VALUE_CHARS = 200


def documents_to_check(
    files: list[Path], kind: DatasetKind, kept: pl.DataFrame
) -> tuple[DocumentToCheck, ...]:
    """The kept rows (`trust_rows.rows_to_check`) with their contents, grouped by document."""
    contents = _contents(files, kind, kept["scan_row"].to_list())
    documents = kept.group_by("source", maintain_order=True).agg(
        pl.col("scan_row"), pl.first("document_rows"), pl.first("lowest")
    )
    return tuple(
        DocumentToCheck(source, rows, lowest, tuple(contents[row] for row in scan_rows))
        for source, scan_rows, rows, lowest in documents.iter_rows()
    )


def _contents(files: list[Path], kind: DatasetKind, scan_rows: list[int]) -> dict[int, RowToCheck]:
    if not scan_rows:
        return {}
    scan = scan_parts(files).with_row_index("scan_row")
    names = scan.collect_schema().names()
    # Streaming: only the kept rows' texts are held, not every page's.
    frame = scan.filter(pl.col("scan_row").is_in(scan_rows)).collect(engine="streaming")
    if kind == "pages":
        return {row["scan_row"]: _page_content(row) for row in frame.iter_rows(named=True)}
    fields = [name for name in names if name not in PROVENANCE_COLUMNS and name != "scan_row"]
    return {row["scan_row"]: _document_content(row, fields) for row in frame.iter_rows(named=True)}


def _page_content(row: dict[str, Any]) -> RowToCheck:
    text = row.get("text") or ""
    return RowToCheck(
        **_common(row),
        pages=(row["page"],),
        text=text[:TEXT_CHARS] + ("…" if len(text) > TEXT_CHARS else ""),
        fields=(),
        citations=(),
        rotation=row.get("rotation"),
    )


def _document_content(row: dict[str, Any], fields: list[str]) -> RowToCheck:
    citations = row.get("citations") or ()
    return RowToCheck(
        **_common(row),
        pages=tuple(row.get("pages") or ()),
        text=None,
        fields=tuple((name, display_value(row[name])) for name in fields),
        citations=tuple(Citation.model_validate(citation) for citation in citations),
        # A document row keeps no page's turn: its pages are drawn as stored.
        rotation=None,
    )


def _common(row: dict[str, Any]) -> dict[str, Any]:
    confidence = row.get("confidence")
    return {
        "source": row["source"],
        "source_sha256": row["source_sha256"],
        "source_format": row["source_format"],
        "confidence": None if confidence is None else round(confidence, 3),
        "warnings": tuple(row.get("warnings") or ()),
    }


def display_value(value: object) -> str:
    """A field's value as one line: a list or a struct as JSON, any other as its text; `-`
    for null."""
    if value is None:
        return "-"
    if isinstance(value, list | dict):
        text = json.dumps(value, ensure_ascii=False, default=str)
    else:
        text = str(value)
    return text[:VALUE_CHARS] + ("…" if len(text) > VALUE_CHARS else "")


def field_names(files: list[Path]) -> frozenset[str]:
    """The extraction schema's fields of a document dataset: its columns past provenance."""
    names = scan_parts(files).collect_schema().names()
    return frozenset(names) - frozenset(PROVENANCE_COLUMNS)

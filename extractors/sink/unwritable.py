"""Rows that cannot be stored as typed: each becomes an error row naming its column, so that
one bad value never costs the rows buffered beside it."""

import logging
from collections.abc import Sequence
from typing import Any

import pyarrow as pa

from schemas import ErrorCategory, RowStatus

_log = logging.getLogger(__name__)

# What Arrow raises for a value its column's type cannot hold (1e13 in an int32, text in a
# number column).
UNWRITABLE = (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError)


def records_table(records: Sequence[dict[str, Any]], schema: pa.Schema) -> pa.Table:
    """The records as a table of `schema`; a record with a value its column cannot hold is
    written as an `internal` error row, that value nulled, its error naming the column."""
    try:
        return pa.Table.from_pylist(list(records), schema=schema)
    except UNWRITABLE:
        # Only now, on the rare failure, is each record checked column by column.
        return pa.Table.from_pylist([writable_record(r, schema) for r in records], schema=schema)


def writable_record(record: dict[str, Any], schema: pa.Schema) -> dict[str, Any]:
    """The record itself when every value fits its column; else its error row."""
    problems = {
        field.name: problem
        for field in schema
        if (problem := _problem(record.get(field.name), field.type)) is not None
    }
    if not problems:
        return record
    described = "; ".join(f"column {name}: {problem}" for name, problem in problems.items())
    error = f"internal error: value does not fit its column: {described}"
    _log.warning("a row of %s cannot be stored as typed: %s", record.get("source"), described)
    return {
        **record,
        **dict.fromkeys(problems),
        "status": RowStatus.ERROR.value,
        "error": error,
        "error_category": ErrorCategory.INTERNAL.value,
    }


def _problem(value: object, kind: pa.DataType) -> str | None:
    """Why `value` cannot be stored as `kind`, or None when it can."""
    try:
        pa.array([value], type=kind)
    except UNWRITABLE as exc:
        return f"{value!r:.40} is not {kind} ({exc})"
    return None

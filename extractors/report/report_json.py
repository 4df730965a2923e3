"""The report as one JSON-ready object (`visionbatch report DIR --json`): every record's fields,
and the figures the tables derive from them (a usage line's cost, what was not sent in all)."""

from dataclasses import fields, is_dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from extractors.report.run_report import DatasetReport, RunReport, UsageLine
from extractors.report.savings_records import SavedLine, Savings

# Derived figures a record's fields leave out, by record type.
_DERIVED: dict[type, tuple[str, ...]] = {
    UsageLine: ("cost", "tokenless"),
    SavedLine: ("estimated",),
    Savings: ("image_tokens", "share"),
    DatasetReport: ("wall_seconds", "pages_per_minute"),
}


def report_json(report: RunReport) -> dict[str, Any]:
    """The whole report; costs in all per currency, and the (provider, model) pairs unpriced."""
    return {
        "out_dir": str(report.out_dir),
        "costs_by_currency": report.costs_by_currency(),
        "unpriced": [list(pair) for pair in report.unpriced()],
        "datasets": [jsonable(dataset) for dataset in report.datasets],
    }


def jsonable(value: Any) -> Any:
    """A record, collection or value as JSON types (times in ISO 8601, paths as text)."""
    if is_dataclass(value) and not isinstance(value, type):
        record = {f.name: jsonable(getattr(value, f.name)) for f in fields(value)}
        for name in _DERIVED.get(type(value), ()):
            record[name] = jsonable(getattr(value, name))
        return record
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, (frozenset, set)):
        return sorted((jsonable(item) for item in value), key=str)
    if isinstance(value, (list, tuple)):
        return [jsonable(item) for item in value]
    if isinstance(value, dict):
        return {str(key): jsonable(item) for key, item in value.items()}
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    return value

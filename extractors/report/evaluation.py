"""Scoring extracted receipt fields against SROIE-style ground truth.

Ground truth is one JSON object per receipt (`NAME.json`) with the fields as printed on it:
company, date, address, total. Printed values differ from extracted ones in form only
("RM12.30" and 12.30, "17062019" and 2019-06-17, "SDN. BHD." and "SDN BHD"), so both sides
are normalised before comparing: amounts to two-place decimals, dates to ISO, text to its
uppercase letters and digits.
"""

import datetime as dt
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path, PurePath
from typing import Any

from extractors.offline.receipts.dates import day_first_date, month_number, valid_date

CENT = Decimal("0.01")


TRUTH_FIELDS = ("company", "date", "address", "total")


# Which extracted column each ground-truth field is compared with.
ROW_FIELDS = {
    "company": "merchant_name",
    "date": "date",
    "address": "merchant_address",
    "total": "total",
}


_NUMERIC_DATE = re.compile(r"(\d{1,2})\s*([/.-])\s*(\d{1,2})\s*\2\s*(\d{4}|\d{2})")


_ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")


_NAMED_DATE = re.compile(r"(\d{1,2})\s*[/.-]?\s*([A-Za-z]{3,9})\.?\s*[/.,-]?\s*(\d{4}|\d{2})")


_COMPACT_DATE = re.compile(r"(\d{2})(\d{2})(\d{4})")


@dataclass(frozen=True)
class FieldScore:
    """How many receipts had a field right, out of those whose truth has the field."""

    field: str
    correct: int
    total: int

    @property
    def accuracy(self) -> float:
        return self.correct / self.total if self.total else 0.0


@dataclass(frozen=True)
class Miss:
    """One wrong field: the truth as written, and what was extracted (None when nothing)."""

    receipt: str
    field: str
    expected: str
    got: str | None


@dataclass(frozen=True)
class EvaluationReport:
    """Scores over the documents that were run and have a truth file (`receipts`), of which
    `with_rows` had an ok row; truth files of documents not run are counted, never scored."""

    receipts: int
    with_rows: int
    scores: tuple[FieldScore, ...]
    misses: tuple[Miss, ...]
    truth_without_document: int = 0
    documents_without_truth: int = 0


def normalise_amount(text: str | Decimal | float | None) -> Decimal | None:
    """An amount as a two-place Decimal: "RM41.45", "$8.20", "1,234.50", "RM 8.60", 9."""
    if text is None:
        return None
    if isinstance(text, Decimal | int | float):
        return Decimal(str(text)).quantize(CENT)
    cleaned = re.sub(r"\s", "", text)
    # A comma followed by two digits at the end is a decimal mark ("10,05"), else grouping.
    cleaned = re.sub(r",(\d{2})$", r".\1", cleaned).replace(",", "")
    match = re.search(r"-?(\d+(\.\d*)?|\.\d+)", cleaned)
    if not match:
        return None
    try:
        return Decimal(match[0]).quantize(CENT)
    except InvalidOperation:
        return None


def normalise_date(text: str | dt.date | None) -> str | None:
    """A date as ISO YYYY-MM-DD: day-first numeric forms, month names, ddmmyyyy, ISO.

    Numeric dates are read day first; month first only when that is the one valid reading.
    """
    if text is None:
        return None
    if isinstance(text, dt.date):
        return text.isoformat()
    value = text.strip()
    for parse in (_iso, _numeric, _named, _compact):
        found = parse(value)
        if found:
            return found.isoformat()
    return None


def _iso(text: str) -> dt.date | None:
    match = _ISO_DATE.fullmatch(text)
    return valid_date(match[1], match[2], match[3]) if match else None


def _numeric(text: str) -> dt.date | None:
    match = _NUMERIC_DATE.fullmatch(text)
    return day_first_date(match[4], match[1], match[3]) if match else None


def _named(text: str) -> dt.date | None:
    match = _NAMED_DATE.fullmatch(text)
    month = month_number(match[2].upper()) if match else None
    return valid_date(match[3], month, match[1]) if match and month else None


def _compact(text: str) -> dt.date | None:
    match = _COMPACT_DATE.fullmatch(text)
    return valid_date(match[3], match[2], match[1]) if match else None


def normalise_text(text: str | None) -> str:
    """Uppercase letters and digits only: OCR-dropped spaces and punctuation compare equal."""
    return "".join(c for c in (text or "").upper() if c.isalnum())


def load_truth(folder: Path) -> dict[str, dict[str, str]]:
    """Ground truth by receipt name (file stem); JSON files that are not truth are skipped."""
    truth: dict[str, dict[str, str]] = {}
    for path in sorted(folder.glob("*.json")):
        try:
            content = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError):
            continue
        if isinstance(content, dict) and any(field in content for field in TRUTH_FIELDS):
            truth[path.stem] = {
                field: str(content[field]) for field in TRUTH_FIELDS if field in content
            }
    return truth


def evaluate(rows: list[dict[str, Any]], truth: dict[str, dict[str, str]]) -> EvaluationReport:
    """Per-field accuracy of receipt rows against the truth, matched by file stem, over the
    documents that were run: a truth file whose document has no row is no miss of the run."""
    by_stem = rows_by_stem(rows)
    documents = document_stems(rows)
    scored = sorted(name for name in truth if name in documents)
    correct = dict.fromkeys(TRUTH_FIELDS, 0)
    counted = dict.fromkeys(TRUTH_FIELDS, 0)
    misses: list[Miss] = []
    for name in scored:
        row = by_stem.get(name)
        for field, expected in truth[name].items():
            if field not in ROW_FIELDS:
                continue
            counted[field] += 1
            got = None if row is None else row.get(ROW_FIELDS[field])
            if row is not None and matches(field, expected, got):
                correct[field] += 1
            else:
                misses.append(Miss(name, field, expected, _as_text(got)))
    return EvaluationReport(
        receipts=len(scored),
        with_rows=sum(name in by_stem for name in scored),
        scores=tuple(FieldScore(f, correct[f], counted[f]) for f in TRUTH_FIELDS),
        misses=tuple(misses),
        truth_without_document=len(truth) - len(scored),
        documents_without_truth=len(documents - truth.keys()),
    )


def _stem(source: object) -> str:
    return PurePath(str(source).replace("\\", "/")).stem


def document_stems(rows: list[dict[str, Any]]) -> set[str]:
    """The file stems of the documents that were run, ok or not; a file the run could not take
    for a document (a truth `.json` or `.csv` beside the images) is none."""
    return {
        _stem(row["source"])
        for row in rows
        if row.get("source") and "unsupported file type" not in str(row.get("error") or "")
    }


def rows_by_stem(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The ok row of each source file stem; error rows (e.g. from stray .json files) dropped."""
    chosen: dict[str, dict[str, Any]] = {}
    for row in rows:
        if row.get("status") != "ok" or not row.get("source"):
            continue
        chosen.setdefault(_stem(row["source"]), row)
    return chosen


def matches(field: str, expected: str, got: object) -> bool:
    """Whether an extracted value equals the truth once both are normalised."""
    if got is None:
        return False
    compare: dict[str, Callable[[Any], object]] = {
        "date": normalise_date,
        "total": normalise_amount,
    }
    normalise = compare.get(field, normalise_text)
    want, have = normalise(expected), normalise(_as_text(got) if field != "total" else got)
    return want not in ("", None) and want == have


def _as_text(value: object) -> str | None:
    """An extracted value as a string for reports: dates in ISO, decimals as digits."""
    if value is None:
        return None
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)

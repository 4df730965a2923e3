"""Field citations on the SROIE receipts, offline: right values boxed, wrong values flagged.

The 120 receipts of ../shared/corpus/receipts are read as the pipeline sends them to the
embedded engine (benchmarks/receipt_fields.py), their fields found by the offline rules and
validated as the `receipt` schema, then looked up in the engine's own lines
(`extractors.answer.citations.cite_fields`, as a document row is). Each of company, date,
address and total is judged against the ground truth by `visionbatch eval`'s rules:

- a RIGHT value counts as boxed when it has a citation whose box holds the truth: the engine's
  words whose middles fall inside the box, looked up again, print the true value;
- a WRONG value counts as flagged when the row has its `<field>: not found on the page`.

A wrong value that is printed on the receipt (the cash tendered taken for the total, a line
of the address left out) is found there and not flagged: citations catch values that are not
on the page (a model's invention, a misread), not a wrong choice among printed ones.

    PYTHONPATH=. .venv/bin/python benchmarks/field_citations.py     # about 2-4 minutes
"""

import datetime as dt
import io
import sys
import time
from typing import Any

# First: it sets up the import path and keeps PyMuPDF's companions out.
from common import CORPUS, Measurement, print_measurements

# isort: split

from PIL import Image
from pydantic import ValidationError
from receipt_fields import encoded

from extractors.answer.citation_match import find_value
from extractors.answer.citation_words import PageWords, ocr_words
from extractors.answer.citations import cite_fields
from extractors.offline.engine import OcrEngine
from extractors.offline.receipts.fields import receipt_answer
from extractors.records import OcrPage, RenderedImage
from extractors.report.evaluation import (
    ROW_FIELDS,
    load_truth,
    matches,
    normalise_amount,
    normalise_date,
)
from schemas.receipt import Receipt
from schemas.trust import Citation


def engine_page(engine: OcrEngine, data: bytes) -> tuple[str, PageWords]:
    """The receipt's text as the engine answers it, and its lines as the row's words."""
    reading = engine.read_encoded(data)
    width, height = Image.open(io.BytesIO(data)).size
    image = RenderedImage(page=1, width=width, height=height, mime="image/jpeg", data=b"")
    (page,) = ocr_words([OcrPage(1, reading.lines, reading.detected_lines)], [image])
    return reading.text, page


def truth_value(field: str, expected: str) -> Any:
    """The truth as the field's type, to be looked up again inside a cited box."""
    if field == "total":
        return normalise_amount(expected)
    if field == "date":
        iso = normalise_date(expected)
        return dt.date.fromisoformat(iso) if iso else None
    return expected


def box_holds(citation: Citation, page: PageWords, field: str, expected: str) -> bool:
    """Whether the words inside the cited box print the true value."""
    inside = tuple(
        word
        for word in page.words
        if citation.x0 <= (word.box.x0 + word.box.x1) / 2 <= citation.x1
        and citation.y0 <= (word.box.y0 + word.box.y1) / 2 <= citation.y1
    )
    value = truth_value(field, expected)
    return value is not None and find_value(value, [PageWords(1, inside, "ocr")], None) is not None


def judge(counts: dict[str, int], truth: dict[str, str], values: Receipt, page: PageWords) -> None:
    """Count one receipt's right values boxed and wrong values flagged."""
    cited = cite_fields(values, [page])
    by_field = {c.field: c for c in cited.citations}
    warnings = {d.warning for d in cited.doubts}
    for field, expected in truth.items():
        column = ROW_FIELDS[field]
        got = getattr(values, column)
        if got is None:
            counts["missing"] += 1
            continue
        if matches(field, expected, got):
            counts["right"] += 1
            citation = by_field.get(column)
            counts["boxed"] += citation is not None and box_holds(citation, page, field, expected)
        else:
            counts["wrong"] += 1
            counts["flagged"] += f"{column}: not found on the page" in warnings


def measure() -> list[Measurement]:
    folder = CORPUS / "receipts"
    if not folder.is_dir():
        return [Measurement("field_citations", "skipped: ../shared/corpus is missing", 0.0)]
    truth = load_truth(folder)
    engine = OcrEngine()
    counts = dict.fromkeys(("right", "boxed", "wrong", "flagged", "missing", "no_row"), 0)
    started, lookup = time.perf_counter(), 0.0
    for path in sorted(folder.glob("*.jpg")):
        if path.stem not in truth:
            continue
        text, page = engine_page(engine, encoded(path))
        try:
            values = Receipt.model_validate_json(receipt_answer(text))
        except ValidationError:  # "not a receipt: ...": an error row, no fields to cite
            counts["no_row"] += 1
            continue
        before = time.perf_counter()
        judge(counts, {f: v for f, v in truth[path.stem].items() if f in ROW_FIELDS}, values, page)
        lookup += time.perf_counter() - before
    took = time.perf_counter() - started
    return report(counts, len(truth), took, lookup)


def report(counts: dict[str, int], receipts: int, took: float, lookup: float) -> list[Measurement]:
    right, wrong = counts["right"], counts["wrong"]
    boxed = counts["boxed"] / right if right else 0.0
    flagged = counts["flagged"] / wrong if wrong else 0.0
    return [
        Measurement(
            "field_citations",
            "right values with a box holding them",
            boxed,
            None,
            "share >= 0.9",
            boxed >= 0.9,
            f"{counts['boxed']}/{right} (company, date, address, total of {receipts} receipts)",
        ),
        Measurement(
            "field_citations",
            "wrong values flagged `not found on the page`",
            flagged,
            None,
            "",
            None,
            f"{counts['flagged']}/{wrong}; {counts['missing']} values not extracted, "
            f"{counts['no_row']} receipts with no row",
        ),
        Measurement(
            "field_citations",
            "lookup time per receipt (ms)",
            1000 * lookup / max(1, receipts),
            None,
            "",
            None,
            f"OCR and lookup of {receipts} receipts took {took:.0f} s",
        ),
    ]


def main() -> None:
    print_measurements(measure())


if __name__ == "__main__":
    sys.exit(main())

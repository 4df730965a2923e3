"""`--schema receipt` with the embedded engine on the sample documents, end to end.

The engine reads the real rendered pages; rows are read back from Parquet with Polars. The
rules alone are tested on text in test_receipt_rules.py.
"""

import datetime as dt
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest
from harness import run
from repo_paths import SAMPLES

from extractors.offline.engine import MODEL_NAME, serve_local_engine

# Five real pages through the embedded OCR: seconds alone, minutes on a loaded machine.
pytestmark = [pytest.mark.slow, pytest.mark.timeout(1200)]


@pytest.fixture(scope="module")
def receipt_rows(tmp_path_factory: pytest.TempPathFactory) -> pl.DataFrame:
    """One offline receipt run over the letter and the two sample receipts."""
    out = tmp_path_factory.mktemp("receipts") / "out"
    inputs = [SAMPLES / name for name in ("letter_3pages.pdf", "receipt.jpg", "receipt.png")]
    with serve_local_engine(threads=2) as base_url:
        # The letter's three pages are one request: minutes of OCR on a loaded machine.
        run(inputs, out, base_url=base_url, model=MODEL_NAME, schema_name="receipt", timeout=900)
    rows = pl.read_parquet(str(out / "receipt" / "*.parquet"))
    return rows.with_columns(pl.col("source").map_elements(lambda s: Path(s).name, pl.String))


def _row(rows: pl.DataFrame, name: str) -> dict[str, object]:
    return rows.filter(pl.col("source") == name).to_dicts()[0]


def test_a_letter_is_not_a_receipt_and_gets_no_invented_total(receipt_rows: pl.DataFrame) -> None:
    letter = _row(receipt_rows, "letter_3pages.pdf")
    assert letter["status"] == "error" and letter["error_category"] == "answer"
    assert str(letter["raw_answer"]).startswith("not a receipt: ")
    assert letter["total"] is None and letter["date"] is None


def test_the_cafe_receipt_gets_its_date_time_cash_and_items(receipt_rows: pl.DataFrame) -> None:
    cafe = _row(receipt_rows, "receipt.jpg")
    assert cafe["status"] == "ok"
    assert cafe["date"] == dt.date(2025, 6, 2) and cafe["time"] == dt.time(12, 41)
    assert cafe["payment_method"] == "CASH" and cafe["total"] == Decimal("31.35")
    items = cafe["line_items"]
    assert isinstance(items, list) and len(items) == 4
    assert [item["amount"] for item in items] == [
        Decimal(a) for a in ("8.50", "9.50", "7.50", "3.20")
    ]
    assert items[0]["quantity"] == 2 and items[0]["unit_price"] == Decimal("4.25")


def test_the_grocery_receipt_gets_its_date_time_visa_and_items(receipt_rows: pl.DataFrame) -> None:
    grocer = _row(receipt_rows, "receipt.png")
    assert grocer["status"] == "ok"
    assert grocer["date"] == dt.date(2025, 3, 14) and grocer["time"] == dt.time(9, 12)
    assert grocer["payment_method"] == "VISA" and grocer["total"] == Decimal("21.33")
    items = grocer["line_items"]
    assert isinstance(items, list) and len(items) == 5
    assert sum(item["amount"] for item in items) == Decimal("20.22")  # the printed subtotal


def test_the_readme_explode_returns_the_items(receipt_rows: pl.DataFrame) -> None:
    items = receipt_rows.explode("line_items").unnest("line_items")
    assert items.filter(pl.col("amount").is_not_null()).height == 9

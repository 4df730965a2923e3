"""Trust of document rows end to end: confidence, warnings and citations read back from Parquet.

A receipt PDF with a text layer is drawn in the test; the test chat server answers its fields,
right or with an invented total; the embedded engine reads a sample receipt offline.
"""

from pathlib import Path
from typing import Any

import polars as pl
import pymupdf
import pytest
from chat_server import ChatServer, RecordedRequest
from document_answers import pages_of, receipt_answer
from harness import run
from markers import make_marked_image, make_marked_pdf
from repo_paths import SAMPLES

from extractors.answer.citations import NOT_CHECKED
from extractors.trust import MODEL_PRIOR

PAGE = (298.0, 420.0)  # A6, in points
# (text, x, baseline y) of each printed line.
LINES = (
    ("KEDAI MAKAN ABC SDN. BHD.", 20, 30),
    ("NO 12, JALAN TAMAN DAYA, 81100 JOHOR", 20, 45),
    ("Date: 27/03/2018   18:05", 20, 80),
    ("TEA          2 x 3.50     7.00", 20, 100),
    ("TOTAL               RM 1,234.50", 20, 140),
)
RIGHT = {
    "merchant_name": "Kedai Makan ABC Sdn Bhd",
    "date": "2018-03-27",
    "time": "18:05",
    "currency": "MYR",
    "total": 1234.5,
    "line_items": [{"description": "TEA", "quantity": 2, "unit_price": 3.5, "amount": 7}],
}


def drawn_receipt(folder: Path) -> Path:
    folder.mkdir(exist_ok=True)
    document = pymupdf.open()
    page = document.new_page(width=PAGE[0], height=PAGE[1])
    for text, x, y in LINES:
        page.insert_text((x, y), text, fontsize=9, fontname="cour")
    path = folder / "receipt.pdf"
    document.save(path)
    return path


def extracted(tmp_path: Path, name: str, inputs: list[Path], answer: Any) -> dict[str, Any]:
    out = tmp_path / name
    with ChatServer(document_answer=answer) as server:
        run(inputs, out, base_url=server.base_url, model="m", schema_name="receipt")
    rows = pl.read_parquet(str(out / "receipt" / "*.parquet"))
    assert rows.schema["citations"] == pl.List(
        pl.Struct(
            {
                "field": pl.String,
                "value": pl.String,
                "page": pl.Int32,
                "x0": pl.Float32,
                "y0": pl.Float32,
                "x1": pl.Float32,
                "y1": pl.Float32,
                "found_in": pl.String,
            }
        )
    )
    (row,) = rows.to_dicts()
    assert row["status"] == "ok"
    return row


def test_right_fields_are_cited_where_they_were_drawn(tmp_path: Path) -> None:
    pdf = drawn_receipt(tmp_path / "in")
    row = extracted(tmp_path, "out", [pdf], lambda record: RIGHT)
    cited = {c["field"]: c for c in row["citations"]}
    assert list(cited) == [
        "merchant_name",
        "date",
        "time",
        "total",
        "line_items[0].description",
        "line_items[0].quantity",
        "line_items[0].unit_price",
        "line_items[0].amount",
    ]
    assert row["warnings"] == [] and row["confidence"] == pytest.approx(MODEL_PRIOR)
    for field, line in {
        "merchant_name": 0,
        "date": 2,
        "total": 4,
        "line_items[0].amount": 3,
    }.items():
        box = cited[field]
        _, x, baseline = LINES[line]
        assert box["page"] == 1 and box["found_in"] == "text_layer"
        assert box["y0"] * PAGE[1] < baseline <= box["y1"] * PAGE[1] + 2, field
        assert box["x0"] * PAGE[0] >= x - 1 and box["x1"] <= 1, field
    assert cited["total"]["value"] == "1234.5"
    assert cited["total"]["x0"] * PAGE[0] > 20 + 22 * 5.4  # the amount, not its label


def test_an_invented_total_is_warned_of_and_lowers_the_confidence(tmp_path: Path) -> None:
    pdf = drawn_receipt(tmp_path / "in")
    right = extracted(tmp_path, "right", [pdf], lambda record: RIGHT)
    invented = extracted(tmp_path, "invented", [pdf], lambda record: RIGHT | {"total": 999.99})
    assert invented["warnings"] == ["total: not found on the page"]
    assert invented["confidence"] < right["confidence"]
    assert "total" not in {c["field"] for c in invented["citations"]}
    assert "merchant_name" in {c["field"] for c in invented["citations"]}


def test_a_scan_read_by_a_model_is_noted_as_not_checked(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    make_marked_image(folder / "receipt_3.png", 3)
    row = extracted(tmp_path, "out", [folder / "receipt_3.png"], receipt_answer)
    assert row["citations"] == [] and row["warnings"] == [NOT_CHECKED.warning]
    assert row["confidence"] == pytest.approx(MODEL_PRIOR)


def test_a_reasked_answer_and_disagreeing_chunks_are_doubted(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    make_marked_pdf(folder / "receipt_7.pdf", 7, 3)
    answers = iter([{"total": "twelve euros"}])

    def answer(record: RecordedRequest) -> dict[str, Any]:
        fields = next(answers, None) or receipt_answer(record)
        if "total" not in fields or fields["total"] != "twelve euros":
            fields["tax"] = len(pages_of(record))  # chunks of 2 and 1 pages disagree
        return fields

    out = tmp_path / "out"
    with ChatServer(document_answer=answer) as server:
        run([folder], out, base_url=server.base_url, model="m", schema_name="receipt", max_images=2)
    row = pl.read_parquet(str(out / "receipt" / "*.parquet")).row(0, named=True)
    assert row["status"] == "ok" and row["chunks"] == 2
    assert row["warnings"] == [
        "asked again after an invalid answer",
        "chunks disagree: tax: chunks said 2, 1; kept 1",
        NOT_CHECKED.warning,
    ]
    assert row["confidence"] == pytest.approx(MODEL_PRIOR * 0.9 * 0.8)


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_the_embedded_engine_cites_the_fields_in_its_ocr_lines(tmp_path: Path) -> None:
    out = tmp_path / "out"
    # No endpoint: the embedded engine, started for the run as the CLI does.
    run([SAMPLES / "receipt.png"], out, schema_name="receipt", timeout=600)
    row = pl.read_parquet(str(out / "receipt" / "*.parquet")).row(0, named=True)
    assert row["status"] == "ok" and row["text_source"] == "ocr"
    cited = {c["field"]: c for c in row["citations"]}
    assert {"date", "total"} <= set(cited)
    assert {c["found_in"] for c in row["citations"]} == {"ocr"}
    for citation in row["citations"]:
        assert 0 <= citation["x0"] < citation["x1"] <= 1
        assert 0 <= citation["y0"] < citation["y1"] <= 1
    assert 0 < row["confidence"] <= 1
    assert not any(w.startswith("total:") for w in row["warnings"])

"""A document that is not a receipt: its row's error says why in words, asked once."""

from pathlib import Path

import polars as pl
import pymupdf
import pytest
from chat_server import ChatServer
from harness import run
from markers import make_marked_image

from extractors.answer.parse import parse_document
from schemas.receipt import Receipt

SENTENCE = (
    "We write to let you know that the office will move to the harbour building next spring, "
    "and that every meeting will be held there from the first of April onwards."
)


def _letter(folder: Path) -> Path:
    """A born-digital letter of running text that quotes an amount and a total."""
    document = pymupdf.open()
    page = document.new_page()
    for number in range(24):
        page.insert_text((40, 40 + 24 * number), SENTENCE[:95], fontsize=9)
    page.insert_text((40, 640), "Total due 12.50", fontsize=9)
    path = folder / "letter.pdf"
    document.save(path)
    document.close()
    return path


def test_the_embedded_engine_s_reason_is_the_row_s_error_asked_once(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    _letter(folder)
    out = tmp_path / "out"
    # `--text-layer only`: the engine reads the letter from its layer, with no OCR to wait for.
    run([folder], out, provider="local", schema_name="receipt", text_layer="only")
    row = pl.read_parquet(out / "receipt").row(0, named=True)
    assert row["status"] == "error" and row["error_category"] == "answer"
    assert row["error"] == "not a receipt: 24 of 25 lines are running text"
    assert row["raw_answer"] == row["error"]  # the engine's answer, kept as it came
    assert len(row["request_ids"]) == 1 and row["attempts"] == 1
    assert row["total"] is None


@pytest.mark.parametrize(
    ("answer", "error"),
    [
        ("not a receipt: a letter about an office move", "not a receipt: a letter about an"),
        ("I'm sorry, but I can't help with extracting data from this image.", "the model refused"),
    ],
)
def test_a_model_s_refusal_is_not_asked_again(tmp_path: Path, answer: str, error: str) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    make_marked_image(folder / "receipt_1.png", 1)
    out = tmp_path / "out"
    with ChatServer(document_answer=lambda record: answer) as server:
        run([folder], out, base_url=server.base_url, model="m", schema_name="receipt")
        assert server.request_count == 1
    row = pl.read_parquet(out / "receipt").row(0, named=True)
    assert row["status"] == "error" and row["error_category"] == "answer"
    assert row["error"].startswith(error) and row["raw_answer"] == answer


@pytest.mark.parametrize(
    ("content", "refusal"),
    [
        (
            "not a receipt: no amounts with two decimals",
            "not a receipt: no amounts with two decimals",
        ),
        ("Not an invoice: it is a menu\n(no totals)", "Not an invoice: it is a menu"),
        (
            "I cannot read this receipt, sorry.",
            "the model refused ('I cannot read this receipt, sorry.')",
        ),
        ("The total is twelve euros.", None),  # prose with no refusal: asked again, as before
    ],
)
def test_which_answers_are_refusals(content: str, refusal: str | None) -> None:
    parsed = parse_document(content, Receipt)
    assert parsed.values is None and parsed.refusal == refusal


def test_an_answer_with_json_is_validated_whatever_precedes_it() -> None:
    parsed = parse_document('not a receipt: {"total": "5.00"}', Receipt)
    assert parsed.refusal is None and parsed.values is not None

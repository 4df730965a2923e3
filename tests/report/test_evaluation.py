"""Scoring extracted receipt fields against SROIE-style ground truth (hand-made rows and truth)."""

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from extractors.report.evaluation import (
    EvaluationReport,
    FieldScore,
    Miss,
    evaluate,
    load_truth,
    normalise_amount,
    normalise_date,
    normalise_text,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("9.00", Decimal("9.00")),
        ("RM41.45", Decimal("41.45")),
        ("RM 8.60", Decimal("8.60")),
        ("$8.20", Decimal("8.20")),
        ("1,234.50", Decimal("1234.50")),
        ("10,05", Decimal("10.05")),
        ("102.4", Decimal("102.40")),
        ("-0.02", Decimal("-0.02")),
        ("35", Decimal("35.00")),
        (Decimal("3.1"), Decimal("3.10")),
        (7, Decimal("7.00")),
        ("", None),
        ("RM", None),
        (None, None),
    ],
)
def test_normalise_amount(text: Any, expected: Decimal | None) -> None:
    assert normalise_amount(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("23/11/2019", "2019-11-23"),  # dd/mm/yyyy
        ("04-02-16", "2016-02-04"),  # dd-mm-yy
        ("17/09/19", "2019-09-17"),  # dd/mm/yy
        ("08-07-2016", "2016-07-08"),  # dd-mm-yyyy
        ("19 APR 2019", "2019-04-19"),  # dd MON yyyy
        ("02 NOV 16", "2016-11-02"),  # dd MON yy
        ("26/SEP/2019", "2019-09-26"),  # dd/MON/yyyy
        ("13-JAN-2016", "2016-01-13"),  # dd-MON-yyyy
        ("30112019", "2019-11-30"),  # ddmmyyyy
        ("6 February 2020", "2020-02-06"),
        ("2019-11-30", "2019-11-30"),
        (" 01.10.2017 ", "2017-10-01"),
        (dt.date(2019, 11, 30), "2019-11-30"),
        ("03/04/2018", "2018-04-03"),  # day first when both readings are valid
        ("03/15/2019", "2019-03-15"),  # month first only when day first is impossible
        ("31/02/2018", None),
        ("13/13/2018", None),
        ("not a date", None),
        ("", None),
        (None, None),
    ],
)
def test_normalise_date(text: Any, expected: str | None) -> None:
    assert normalise_date(text) == expected


def test_normalise_text_ignores_case_spaces_and_punctuation() -> None:
    assert normalise_text("SRI MUTIARA CATERING SDN. BHD.") == "SRIMUTIARACATERINGSDNBHD"
    assert normalise_text("LIM BROS .K (TAMAN SURIA) SDN BHD") == normalise_text(
        "LIMBROS_K(TAMANSURIA)SDNBHD"
    )
    assert normalise_text("No.2, Jalan 19/9,") == "NO2JALAN199"
    assert normalise_text(None) == ""


def write_json(folder: Path, name: str, content: object) -> None:
    (folder / name).write_text(json.dumps(content), encoding="utf-8")


def test_load_truth_keeps_only_truth_objects(tmp_path: Path) -> None:
    write_json(
        tmp_path,
        "r_001.json",
        {"company": "A SDN BHD", "date": "01/02/2018", "address": "NO 1, JALAN X", "total": "9.00"},
    )
    write_json(tmp_path, "r_002.json", {"company": "B", "date": "30 DEC 17", "total": "RM3.00"})
    write_json(tmp_path, "list.json", [{"company": "C"}])
    write_json(tmp_path, "other.json", {"name": "not truth"})
    (tmp_path / "broken.json").write_text("{not json", encoding="utf-8")
    (tmp_path / "r_001.csv").write_text("x1,y1,text\n", encoding="utf-8")

    assert load_truth(tmp_path) == {
        "r_001": {
            "company": "A SDN BHD",
            "date": "01/02/2018",
            "address": "NO 1, JALAN X",
            "total": "9.00",
        },
        "r_002": {"company": "B", "date": "30 DEC 17", "total": "RM3.00"},
    }


TRUTH = {
    # Matched by an ok row, beside an error row of the same stem; every field right.
    "r_001": {
        "company": "SRI MUTIARA CATERING SDN. BHD.",
        "date": "09/05/2019",
        "address": "18, JALAN BUNGA RAYA 3/2, 43000 KAJANG",
        "total": "RM36.80",
    },
    # No address in the truth; total wrong.
    "r_002": {"company": "K.L.M BISTRO SDN BHD", "date": "21 OCT 16", "total": "58.30"},
    # No row at all.
    "r_003": {"company": "C", "date": "01/01/2018", "address": "X", "total": "1.00"},
    # Only an error row.
    "r_004": {"company": "D", "date": "02/01/2019", "address": "Y", "total": "2.00"},
}


def row(source: str, status: str = "ok", **fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "source": source,
        "status": status,
        "merchant_name": None,
        "merchant_address": None,
        "date": None,
        "total": None,
    }
    return base | fields


ROWS = [
    row("/data/receipts/r_001.json", status="error"),
    row(
        "/data/receipts/r_001.jpg",
        merchant_name="SRIMUTIARACATERINGSDN.BHD.",
        merchant_address="18,JALANBUNGARAYA3/2, 43000KAJANG",
        date=dt.date(2019, 5, 9),
        total=Decimal("36.80"),
    ),
    row("/data/receipts/r_001.csv", status="error"),
    row(
        "/data/receipts/r_002.jpg",
        merchant_name="K.L.M Bistro Sdn Bhd",
        merchant_address="Bangsar",
        date=dt.date(2016, 10, 21),
        total=Decimal("58.29"),
    ),
    row("/data/receipts/r_004.jpg", status="error"),
    row("/data/receipts/unrelated.jpg", total=Decimal("5.00")),
]


def test_evaluate_scores_the_documents_run_that_have_truth() -> None:
    report = evaluate(ROWS, TRUTH)
    assert isinstance(report, EvaluationReport)
    # r_001, r_002 and r_004 were run; r_003 was not: out of the scores, counted apart.
    assert report.receipts == 3
    assert report.with_rows == 2
    assert report.truth_without_document == 1
    assert report.documents_without_truth == 1  # unrelated.jpg
    assert report.scores == (
        FieldScore("company", 2, 3),
        FieldScore("date", 2, 3),
        FieldScore("address", 1, 2),
        FieldScore("total", 1, 3),
    )


def test_evaluate_lists_the_misses_among_the_documents_run() -> None:
    misses = evaluate(ROWS, TRUTH).misses
    assert misses == (
        Miss("r_002", "total", "58.30", "58.29"),
        Miss("r_004", "company", "D", None),
        Miss("r_004", "date", "02/01/2019", None),
        Miss("r_004", "address", "Y", None),
        Miss("r_004", "total", "2.00", None),
    )


def test_a_truth_file_run_as_an_input_is_no_document() -> None:
    # The truth's .json beside the images, found by the run: an unsupported-file error row.
    stray = row("/data/r_003.json", status="error") | {"error": "unsupported file type (.json)"}
    report = evaluate([*ROWS, stray], TRUTH)
    assert report.receipts == 3 and report.truth_without_document == 1


def test_evaluate_accepts_iso_strings_and_plain_numbers_from_rows() -> None:
    rows = [row("r_009.png", date="2018-01-02", total="9", merchant_name="")]
    truth = {"r_009": {"company": "", "date": "02-01-18", "total": "9.00"}}
    report = evaluate(rows, truth)
    # An empty company never counts as found, even against an empty truth.
    assert [score.correct for score in report.scores] == [0, 1, 0, 1]
    assert [score.total for score in report.scores] == [1, 1, 0, 1]


def test_wrong_date_is_a_miss_reported_in_iso() -> None:
    rows = [row("r_010.jpg", date=dt.date(2016, 7, 11))]
    report = evaluate(rows, {"r_010": {"date": "11/07/2019"}})
    assert report.misses == (Miss("r_010", "date", "11/07/2019", "2016-07-11"),)
    assert report.scores[1] == FieldScore("date", 0, 1)


def test_field_score_accuracy() -> None:
    assert FieldScore("total", 3, 4).accuracy == 0.75
    assert FieldScore("address", 0, 0).accuracy == 0.0


def test_eval_on_three_receipts_of_ten_truth_files_scores_the_three(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from extractors.document.document_rows import DocumentRow
    from flows.commands.cli import app
    from schemas import Receipt, document_arrow_schema
    from tests.support.report_data import document_row, write_parts

    truth = tmp_path / "truth"
    truth.mkdir()
    for index in range(10):
        content = {"company": f"SHOP {index} SDN BHD", "date": "09/05/2019", "total": "RM3.50"}
        write_json(truth, f"sroie_{index:03}.json", content)
    rows = []
    for index, company in ((1, "Shop 1 Sdn. Bhd."), (4, "SHOP 4 SDN BHD"), (7, "SHOP 9 SDN BHD")):
        provenance = document_row(f"/in/sroie_{index:03}.jpg", 1, index, ["q"]).provenance
        values = Receipt(merchant_name=company, date=dt.date(2019, 5, 9), total=Decimal("3.50"))
        rows.append(DocumentRow(provenance, values))
    write_parts(tmp_path / "out" / "receipt", "run-e", rows, document_arrow_schema(Receipt))

    arguments = ["eval", str(tmp_path / "out"), "--truth", str(truth)]
    result = CliRunner().invoke(app, arguments, env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    lines = {line.split()[1]: line for line in result.output.splitlines() if "│" in line[:2]}
    assert "2/3" in lines["company"] and "0.667" in lines["company"]
    assert "3/3" in lines["date"] and "3/3" in lines["total"]
    assert "3 documents run with ground truth, 3 with an ok row" in result.output
    assert "7 truth files had no document (not scored)" in result.output
    # The one miss is among the three run; the seven receipts not run are no misses.
    assert "misses (1 of 1)" in result.output
    assert "sroie_007" in result.output and "sroie_000" not in result.output


def test_eval_with_no_document_that_has_truth_says_so(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from flows.commands.cli import app
    from tests.support.report_data import receipt_dataset

    receipt_dataset(tmp_path / "out")
    write_json(tmp_path, "other.json", {"company": "X", "total": "1.00"})
    result = CliRunner().invoke(app, ["eval", str(tmp_path / "out"), "--truth", str(tmp_path)])
    assert result.exit_code == 1 and "no document in" in result.output

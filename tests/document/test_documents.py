"""Document schemas end to end: one typed row per document, merged chunks, the re-ask."""

import json
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from chat_server import ChatServer, RecordedRequest, mangle
from document_answers import pages_of, receipt_answer
from harness import run
from markers import make_marked_image, make_marked_pdf

from extractors.errors import RunAbortedError
from flows.options.config import RunRequest, Secrets, resolve_run


def read_dataset(out: Path, name: str) -> pl.DataFrame:
    return pl.scan_parquet(str(out / name / "*.parquet")).collect()


@pytest.fixture
def receipts(tmp_path: Path) -> Path:
    folder = tmp_path / "in"
    folder.mkdir()
    make_marked_image(folder / "receipt_3.jpg", 3)
    make_marked_pdf(folder / "receipt_4.pdf", 4, 2)
    (folder / "notes.txt").write_text("not a receipt")
    return folder


def test_receipts_are_one_typed_row_each_and_polars_reads_the_types(
    receipts: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    with ChatServer(document_answer=receipt_answer) as server:
        summary, _ = run(
            [receipts], out, base_url=server.base_url, model="m", schema_name="receipt"
        )
        # One request per document, all its pages in it.
        assert sorted(len(pages_of(r)) for r in server.requests) == [1, 2]
    df = read_dataset(out, "receipt").sort("source")
    assert not (out / "pages").exists()
    assert df["status"].to_list() == ["error", "ok", "ok"]  # notes.txt, receipt_3, receipt_4
    assert summary.pages_ok == 2 and summary.pages_error == 1
    schema = df.schema
    assert schema["date"] == pl.Date and schema["time"] == pl.Time
    assert schema["total"] == pl.Decimal(18, 4) and schema["pages"] == pl.List(pl.Int32)
    assert schema["line_items"] == pl.List(
        pl.Struct(
            {
                "description": pl.String,
                "quantity": pl.Decimal(18, 4),
                "unit_price": pl.Decimal(18, 4),
                "amount": pl.Decimal(18, 4),
            }
        )
    )
    four = df.filter(pl.col("source").str.ends_with("receipt_4.pdf")).row(0, named=True)
    assert four["merchant_name"] == "Shop 4" and four["date"] == date(2024, 3, 4)
    assert four["total"] == Decimal("4.50") and four["tax"] == Decimal("1.25")
    assert four["pages"] == [1, 2] and four["chunks"] == 1 and four["merge_conflicts"] == []
    assert [item["description"] for item in four["line_items"]] == ["item 4-1", "item 4-2"]
    assert four["provider"] == "openai-compatible" and four["attempts"] == 1
    assert four["prompt_tokens"] > 0 and len(four["request_ids"]) == 1
    text_row = df.filter(pl.col("source").str.ends_with("notes.txt")).row(0, named=True)
    assert text_row["error_category"] == "source" and text_row["total"] is None


def test_the_parquet_columns_carry_the_field_descriptions(receipts: Path, tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    out = tmp_path / "out"
    with ChatServer(document_answer=receipt_answer) as server:
        run([receipts], out, base_url=server.base_url, model="m", schema_name="receipt")
    schema = pq.read_schema(next((out / "receipt").glob("*.parquet")))
    described = schema.field("total").metadata[b"description"].decode()
    assert described.startswith("The amount paid")
    item = schema.field("line_items").type.value_type
    assert item.field("unit_price").metadata[b"description"].startswith(b"Price of one unit")


def test_a_long_document_is_asked_per_chunk_and_merged(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    make_marked_pdf(folder / "receipt_7.pdf", 7, 10)

    def answer(record: RecordedRequest) -> dict[str, Any]:
        fields = receipt_answer(record)
        fields["tax"] = len(pages_of(record))  # chunks of 4, 4 and 2 pages disagree on tax
        return fields

    out = tmp_path / "out"
    with ChatServer(document_answer=answer) as server:
        run([folder], out, base_url=server.base_url, model="m", schema_name="receipt", max_images=4)
        assert [len(pages_of(r)) for r in sorted(server.requests, key=lambda r: pages_of(r))] == [
            4,
            4,
            2,
        ]
        prompts = " ".join(t for r in server.requests for t in r.texts)
        assert "page(s) 9, 10 of a 10-page document" in prompts
        assert "only part of the document" in prompts
    row = read_dataset(out, "receipt").row(0, named=True)
    assert row["status"] == "ok" and row["chunks"] == 3 and row["pages"] == list(range(1, 11))
    assert row["merchant_name"] == "Shop 7" and row["total"] == Decimal("7.50")
    assert [i["description"] for i in row["line_items"]] == [f"item 7-{p}" for p in range(1, 11)]
    # A number keeps the last chunk's value, and the disagreement is reported.
    assert row["tax"] == Decimal(2)
    assert row["merge_conflicts"] == ["tax: chunks said 4, 2; kept 2"]
    assert len(row["request_ids"]) == 3


def test_an_invalid_answer_is_asked_again_once_with_the_errors(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    make_marked_image(folder / "receipt_5.png", 5)
    answers = iter([{"total": "twelve euros", "date": "31/02/2024"}])

    def answer(record: RecordedRequest) -> dict[str, Any]:
        return next(answers, None) or receipt_answer(record)

    out = tmp_path / "out"
    with ChatServer(document_answer=answer) as server:
        run([folder], out, base_url=server.base_url, model="m", schema_name="receipt")
        first, second = server.requests
    assert first.roles == ["user"] and second.roles == ["user", "assistant", "user"]
    reask = second.texts[-1]
    assert "total" in reask and "date" in reask and "twelve euros" in reask
    assert json.loads(second.texts[-2]) == {"total": "twelve euros", "date": "31/02/2024"}
    row = read_dataset(out, "receipt").row(0, named=True)
    assert row["status"] == "ok" and row["total"] == Decimal("5.50") and row["attempts"] == 2
    assert len(row["request_ids"]) == 2


def test_an_answer_still_invalid_after_the_reask_is_an_error_row_keeping_it(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    make_marked_image(folder / "receipt_6.png", 6)
    bad = '{"merchant_name": "Shop 6", "total": "about 6", "currency": "euro"}'
    out = tmp_path / "out"
    with ChatServer(document_answer=lambda record: bad) as server:
        summary, _ = run([folder], out, base_url=server.base_url, model="m", schema_name="receipt")
        assert server.request_count == 2  # the answer, and exactly one re-ask
    row = read_dataset(out, "receipt").row(0, named=True)
    assert row["status"] == "error" and row["error_category"] == "answer"
    assert row["raw_answer"] == bad  # nothing lost
    assert "total" in row["error"] and "currency" in row["error"]
    assert row["merchant_name"] is None and row["total"] is None  # nothing unvalidated passes
    assert summary.pages_error == 1


@pytest.mark.parametrize("fault", ["truncated", "invalid_json", "empty", "fenced"])
def test_broken_answers_are_reasked(fault: str, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    make_marked_image(folder / "receipt_8.png", 8)
    out = tmp_path / "out"
    with ChatServer(document_answer=receipt_answer) as server:
        server.inject(mangle(fault))
        run([folder], out, base_url=server.base_url, model="m", schema_name="receipt")
        expected_requests = 1 if fault == "fenced" else 2
        assert server.request_count == expected_requests
    row = read_dataset(out, "receipt").row(0, named=True)
    assert row["status"] == "ok" and row["total"] == Decimal("8.50")


def test_invoice_rows_have_nested_parties(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    make_marked_pdf(folder / "invoice_9.pdf", 9, 3)
    invoice = {
        "number": "INV-9",
        "issue_date": "2024-05-01",
        "due_date": "2024-05-31",
        "seller": {"name": "ACME SAS", "address": "1 rue X, Paris", "vat_id": "FR12345678901"},
        "buyer": {"name": "Client Ltd", "address": None, "vat_id": None},
        "currency": "EUR",
        "subtotal": 100,
        "tax": 20,
        "total": 120.0,
        "line_items": [{"description": "work", "quantity": 2, "unit_price": 50, "amount": 100}],
    }
    out = tmp_path / "out"
    with ChatServer(document_answer=lambda record: invoice) as server:
        run([folder], out, base_url=server.base_url, model="m", schema_name="invoice")
        assert server.request_count == 1
    df = read_dataset(out, "invoice")
    assert df.schema["seller"] == pl.Struct(
        {"name": pl.String, "address": pl.String, "vat_id": pl.String}
    )
    assert df.schema["due_date"] == pl.Date
    row = df.row(0, named=True)
    assert row["seller"]["vat_id"] == "FR12345678901" and row["buyer"]["address"] is None
    assert row["total"] == Decimal("120") and row["line_items"][0]["quantity"] == Decimal(2)


def test_a_rerun_sends_nothing_and_a_new_prompt_extracts_again(
    receipts: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    prompt = tmp_path / "prompt.txt"
    prompt.write_text("Merchant names in upper case.")
    with ChatServer(document_answer=receipt_answer) as server:
        args: dict[str, Any] = {"base_url": server.base_url, "model": "m", "schema_name": "receipt"}
        run([receipts], out, **args)
        first = read_dataset(out, "receipt")
        server.reset_stats()
        summary, _ = run([receipts], out, **args)
        assert server.request_count == 0 and summary.pages_skipped == 2
        run([receipts], out, prompt_file=str(prompt), **args)
        assert server.request_count == 2
        assert "Merchant names in upper case." in " ".join(server.requests[0].texts)
    df = read_dataset(out, "receipt")
    assert df.height == 3  # still one row per source after compaction
    ok = df.filter(pl.col("status") == "ok")
    assert ok["prompt_version"].n_unique() == 1
    assert ok["prompt_version"][0] != first.filter(pl.col("status") == "ok")["prompt_version"][0]
    assert ok["schema_version"][0] == first.filter(pl.col("status") == "ok")["schema_version"][0]


def test_sampling_options_reach_the_endpoint(receipts: Path, tmp_path: Path) -> None:
    with ChatServer(document_answer=receipt_answer) as server:
        run(
            [receipts],
            tmp_path / "out",
            base_url=server.base_url,
            model="m",
            schema_name="receipt",
            temperature=0.3,
            top_p=0.9,
            seed=42,
            max_output_tokens=2000,
        )
        record = server.requests[0]
    assert (record.temperature, record.top_p, record.seed) == (0.3, 0.9, 42)
    assert record.max_tokens == 2000


def test_the_embedded_engine_refuses_schemas_it_cannot_fill(tmp_path: Path) -> None:
    request = RunRequest(inputs=["x"], out=str(tmp_path), schema_name="invoice")
    with pytest.raises(RunAbortedError, match="embedded OCR engine extracts page_text and receipt"):
        resolve_run(request, Secrets())

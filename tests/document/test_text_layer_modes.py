"""`--text-layer auto|hint|off|only` end to end against the test chat server (no Prefect)."""

from pathlib import Path

import polars as pl
import pytest
from chat_server import ChatServer
from harness import run
from text_layer_pdfs import WORDS, build_kinds_pdf

from extractors.document.page_rows import NO_TEXT_FOUND


def _pages(out: Path) -> pl.DataFrame:
    return pl.read_parquet(out / "pages").sort("page")


@pytest.fixture
def kinds(tmp_path: Path) -> Path:
    folder = tmp_path / "in"
    folder.mkdir()
    build_kinds_pdf(folder / "kinds.pdf")
    return folder


def test_auto_reads_the_usable_page_and_sends_the_others(kinds: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    with ChatServer() as server:
        summary, _ = run([kinds], out, base_url=server.base_url, model="pixtral-12b-2409")
        sent_images = sum(r.n_images for r in server.requests)
        texts = [t for r in server.requests for t in r.texts]
    rows = _pages(out)
    assert summary.pages_ok == 4 and sent_images == 3
    assert rows["text_source"].to_list() == ["text_layer", "model", "model", "model"]
    assert rows["text_layer"].to_list() == ["usable", "none", "ocr_layer", "scan_labels"]
    first = rows.row(0, named=True)
    assert first["text"].startswith(f"{WORDS} Line 1.") and first["request_id"] is None
    assert first["attempts"] == 0 and first["text_layer_chars"] > 500
    # page_text with auto sends no layer text beside the images.
    assert not any(t.startswith("Text layer of image") for t in texts)


def test_off_sends_every_page_and_hint_sends_the_layers_beside_them(
    kinds: Path, tmp_path: Path
) -> None:
    with ChatServer() as server:
        run([kinds], tmp_path / "off", base_url=server.base_url, model="m", text_layer="off")
        off_images = sum(r.n_images for r in server.requests)
        off_texts = [t for r in server.requests for t in r.texts]
    with ChatServer() as server:
        run([kinds], tmp_path / "hint", base_url=server.base_url, model="m", text_layer="hint")
        hint_images = sum(r.n_images for r in server.requests)
        hint_texts = [t for r in server.requests for t in r.texts]
    assert off_images == hint_images == 4
    assert not any(t.startswith("Text layer of image") for t in off_texts)
    layered = [t for t in hint_texts if t.startswith("Text layer of image")]
    # The born-digital page, the old OCR layer and the stamp; the bare scan has no layer.
    assert len(layered) == 3 and any("PAID 2025" in t for t in layered)
    off_rows = _pages(tmp_path / "off")
    assert off_rows["text_source"].to_list() == ["model"] * 4
    assert off_rows["text_layer"].null_count() == 4


def test_a_mode_change_extracts_again_and_never_mixes_rows(kinds: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    with ChatServer() as server:
        run([kinds], out, base_url=server.base_url, model="m")
        run([kinds], out, base_url=server.base_url, model="m")
        after_rerun = sum(r.n_images for r in server.requests)
        run([kinds], out, base_url=server.base_url, model="m", text_layer="off")
        after_off = sum(r.n_images for r in server.requests)
    assert after_rerun == 3  # the rerun in the same mode sent nothing
    assert after_off == 3 + 4  # another mode: every page again, as images
    rows = pl.read_parquet(out / "pages")
    assert rows.height == 4 and rows["text_source"].to_list().count("text_layer") == 0


def test_a_document_schema_gets_the_layer_text_beside_its_image(
    kinds: Path, tmp_path: Path
) -> None:
    with ChatServer() as server:
        run([kinds], tmp_path / "out", base_url=server.base_url, model="m", schema_name="receipt")
        texts = [t for r in server.requests for t in r.texts]
    layered = [t for t in texts if t.startswith("Text layer of image")]
    # auto: only the usable layer goes with its image (the OCR layer and stamp do not).
    assert len(layered) == 1 and layered[0].startswith(f"Text layer of image 1: {WORDS} Line 1.")
    rows = pl.read_parquet(tmp_path / "out" / "receipt")
    assert rows["text_source"].to_list() == ["model"]


def test_an_empty_page_is_ok_with_a_warning(tmp_path: Path) -> None:
    """The embedded engine finds nothing on a blank scan sent anyway: ok, empty, and it says
    so (tests/document/test_blank_rows.py: a blank page is not sent by default)."""
    from PIL import Image

    folder = tmp_path / "in"
    folder.mkdir()
    Image.new("RGB", (600, 800), "white").save(folder / "blank.png")
    run([folder], tmp_path / "out", provider="local", keep_blank=True)
    row = pl.read_parquet(tmp_path / "out" / "pages").row(0, named=True)
    assert row["status"] == "ok" and row["text"].strip() == ""
    assert row["warnings"] == [NO_TEXT_FOUND] and row["text_source"] == "ocr"
    # The report counts and lists them.
    from extractors.report.build import build_report
    from extractors.report.pricing import DEFAULT_PRICES
    from extractors.report.tables import dataset_tables

    (dataset,) = build_report(tmp_path / "out", DEFAULT_PRICES).datasets
    (group,) = dataset.warnings
    assert (group.category, group.count) == (NO_TEXT_FOUND, 1)
    assert group.examples[0].source.endswith("blank.png")
    assert any(table.title == "pages: warnings" for table in dataset_tables(dataset))


def test_only_sends_a_born_digital_page_as_text_and_the_scans_as_images(
    kinds: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    with ChatServer() as server:
        run(
            [kinds],
            out,
            base_url=server.base_url,
            model="m",
            schema_name="receipt",
            text_layer="only",
        )
        (request,) = server.requests
        auto_out = tmp_path / "auto"
        run([kinds], auto_out, base_url=server.base_url, model="m", schema_name="receipt")
        auto_request = server.requests[-1]
    assert request.n_images == 3 and auto_request.n_images == 4  # page 1 went as its text
    as_text = [t for t in request.texts if t.startswith("Text of page")]
    assert len(as_text) == 1 and as_text[0].startswith(f"Text of page 1: {WORDS} Line 1.")
    assert request.total_tokens < auto_request.total_tokens
    assert pl.read_parquet(out / "receipt")["status"].to_list() == ["ok"]


def test_only_reads_a_born_digital_document_from_its_text_alone(tmp_path: Path) -> None:
    """The embedded engine reads a receipt PDF's fields from its text layer: no OCR."""
    import pymupdf

    folder = tmp_path / "in"
    folder.mkdir()
    document = pymupdf.open()
    page = document.new_page(width=300, height=500)
    lines = [
        "GREENLEAF GROCERS",
        "12 Market Street",
        "2025-03-14 10:22",
        "Apples 3.20",
        "Bread 2.80",
        "TOTAL 6.00",
        "CASH 10.00",
    ]
    for number, line in enumerate(lines):
        page.insert_text((20, 40 + 20 * number), line, fontsize=11)
    document.save(folder / "receipt.pdf")
    document.close()
    run([folder], tmp_path / "out", provider="local", schema_name="receipt", text_layer="only")
    row = pl.read_parquet(tmp_path / "out" / "receipt").row(0, named=True)
    assert row["status"] == "ok" and row["text_source"] == "text_layer"
    assert str(row["total"]) == "6.0000"

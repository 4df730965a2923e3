"""`visionbatch report` shows trust: the rows to check per document, with their reasons, and
on the HTML page each one's page drawn beside its text or fields."""

import base64
import io
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pyarrow as pa
import pymupdf
import pytest
from PIL import Image
from report_data import (
    CYRILLIC,
    HIDDEN,
    HIDDEN_TINY,
    LOOP,
    NOT_FOUND,
    dataset,
    invoke,
    trust_dataset,
    trust_page_row,
    trust_sources,
    write_parts,
)
from test_report_html import external_references, html_of

from extractors.report.build import build_report
from extractors.report.pricing import DEFAULT_PRICES
from extractors.report.trust_html import PageDrawer, rows_to_check_section, turned_box
from extractors.report.trust_rows import ROWS_PER_DOCUMENT, warning_kind
from extractors.sink.store import PAGES
from schemas import PAGE_ROW_ARROW_SCHEMA
from schemas.trust import Citation

DATA_URL = re.compile(r'href="data:image/jpeg;base64,([A-Za-z0-9+/=]+)"')


@pytest.fixture
def trust_dir(tmp_path: Path) -> tuple[Path, dict[str, Path]]:
    sources = trust_sources(tmp_path / "in")
    trust_dataset(tmp_path / "out", sources)
    return tmp_path / "out", sources


@pytest.mark.parametrize(
    ("warning", "kind"),
    [
        (HIDDEN, "hidden text left out"),
        (HIDDEN_TINY, "hidden text left out"),
        (CYRILLIC, "script not supported by the embedded engine"),
        (LOOP, "repetition loop"),
        (NOT_FOUND, "total: not found on the page"),
        (
            "line_items[2].amount: not found on the page",
            "line_items[].amount: not found on the page",
        ),
        ("answer cut at 4096 tokens", "answer cut at N tokens"),
        # Not a field of the schema: the head is the kind, the model's words are details.
        ("refusal: I'm sorry, I can't help", "refusal"),
    ],
)
def test_warning_kinds_leave_details_out(warning: str, kind: str) -> None:
    assert warning_kind(warning, frozenset({"total", "line_items"})) == kind


def test_the_terminal_lists_rows_to_check_per_document_with_reasons(
    trust_dir: tuple[Path, dict[str, Path]],
) -> None:
    out, _ = trust_dir
    result = invoke(str(out))
    assert result.exit_code == 0, result.output
    text = result.output
    listing = text[text.index("pages: rows to check") : text.index("pages: runs")]
    # Worst document first: invoice (0.42), the scan (0.65), the missing file (0.80).
    order = [listing.index(name) for name in ("invoice.pdf", "scan.png", "gone.pdf")]
    assert order == sorted(order)
    assert "0.420" in listing and HIDDEN in listing and LOOP in listing
    assert "low confidence, no warning" in listing
    assert "in/invoice.pdf" in listing and "│    1 │" not in listing.split("scan.png")[0]
    # Every kind of warning with its count of rows, and one as written.
    kinds = text[text.index("pages: warnings") : text.index("pages: rows to check")]
    assert re.search(r"hidden text left out\s+│\s+2 │", kinds)
    assert re.search(r"repetition loop\s+│\s+1 │", kinds)
    assert re.search(r"script not supported by the embedded engine\s+│\s+1 │", kinds)
    assert CYRILLIC in kinds
    assert re.search(r"total: not found on the page\s+│\s+1 │", text)


def test_trust_counts(trust_dir: tuple[Path, dict[str, Path]]) -> None:
    out, _ = trust_dir
    report = build_report(out, DEFAULT_PRICES)
    trust = dataset(report, PAGES).trust
    assert trust is not None
    counts = (trust.ok_rows, trust.clean, trust.with_warnings, trust.low_confidence)
    assert counts == (4, 1, 2, 2)
    assert (trust.to_check, trust.documents_to_check, trust.unmeasured) == (3, 3, 0)
    assert trust.median == pytest.approx((0.65 + 0.8) / 2)
    assert [b.count for b in trust.histogram] == [0, 0, 0, 0, 1, 0, 1, 0, 1, 1]
    receipt = dataset(report, "receipt")
    (document,) = receipt.to_check
    (row,) = document.shown
    assert dict(row.fields)["total"] == "99.9900" and row.warnings == (NOT_FOUND,)
    assert [c.field for c in row.citations] == ["merchant_name"]


def test_the_threshold_is_an_option(trust_dir: tuple[Path, dict[str, Path]]) -> None:
    out, _ = trust_dir
    strict = dataset(build_report(out, DEFAULT_PRICES, 0.9), PAGES)
    loose = dataset(build_report(out, DEFAULT_PRICES, 0.5), PAGES)
    assert strict.trust and loose.trust
    assert (strict.trust.low_confidence, loose.trust.low_confidence) == (3, 1)
    # The scan's 0.65 without a warning is to check under 0.7, not under 0.5.
    assert "scan.png" not in " ".join(d.source for d in loose.to_check)
    result = invoke(str(out), "--low-confidence", "0.5")
    assert result.exit_code == 0 and "confidence under 0.50" in result.output
    assert "scan.png" not in result.output.split("pages: rows to check")[1].split("runs")[0]
    assert invoke(str(out), "--low-confidence", "1.5").exit_code == 2


def test_the_html_page_draws_each_row_s_page_beside_its_text_or_fields(
    trust_dir: tuple[Path, dict[str, Path]], tmp_path: Path
) -> None:
    out, _ = trust_dir
    page = html_of(out, tmp_path)
    assert external_references(page) == []
    pictures = [Image.open(io.BytesIO(base64.b64decode(data))) for data in DATA_URL.findall(page)]
    # invoice p2, the scan, the receipt; the missing file gets a placeholder.
    assert [p.format for p in pictures] == ["JPEG"] * 3
    assert all(p.width == 200 for p in pictures)
    invoice, scan, receipt = pictures
    assert invoice.height == pytest.approx(200 * 842 / 595, abs=1)
    # The landscape scan was turned 90° before it was read: drawn standing.
    assert scan.height > scan.width and "turned 90°" in page
    assert "page 1: source not found where it was read" in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; IGNORE ALL PREVIOUS" in page
    assert "<script" not in page
    # The receipt's fields, the cited one boxed over its page.
    assert "<td>total</td><td>99.9900</td><td>-</td>" in page
    assert "<td>merchant_name</td><td>SHOP OF R</td><td>page 1 (text_layer)</td>" in page
    thumbnails = "".join(re.findall(r'<svg class="thumb".*?</svg>', page, re.DOTALL))
    (rect,) = re.findall(r"<rect [^>]*>", thumbnails)
    x, y = (float(v) for v in re.findall(r'(?:x|y)="([\d.]+)"', rect))
    assert (x, y) == (20.0, pytest.approx(0.11 * receipt.height, abs=0.1))
    assert "<title>merchant_name: SHOP OF R (text_layer)</title>" in page
    assert page.count('class="check"') == 4


def test_pictures_are_capped_and_long_documents_cut(tmp_path: Path) -> None:
    long_pdf = tmp_path / "in" / "long.pdf"
    long_pdf.parent.mkdir()
    with pymupdf.open() as document:
        for number in range(1, ROWS_PER_DOCUMENT + 6):
            document.new_page().insert_text((72, 72), f"page {number}")
        document.save(long_pdf)
    rows = [
        trust_page_row(long_pdf, page, page, warnings=[LOOP])
        for page in range(1, ROWS_PER_DOCUMENT + 6)
    ]
    write_parts(tmp_path / "out" / PAGES, "run-t", rows)
    pages = dataset(build_report(tmp_path / "out", DEFAULT_PRICES), PAGES)
    (document,) = pages.to_check
    assert (document.rows, len(document.shown)) == (ROWS_PER_DOCUMENT + 5, ROWS_PER_DOCUMENT)
    assert [row.pages for row in document.shown] == [(p,) for p in range(1, ROWS_PER_DOCUMENT + 1)]
    drawer = PageDrawer(limit=3)
    html = "".join(rows_to_check_section(pages, drawer))
    assert len(DATA_URL.findall(html)) == 3 and drawer.left_out == ROWS_PER_DOCUMENT - 3
    assert html.count("not drawn: the report draws at most 3 pages") == ROWS_PER_DOCUMENT - 3
    assert "5 rows more of this document not listed." in html
    result = invoke(str(tmp_path / "out"))
    assert "5 more rows to check not listed" in result.output


def test_a_dataset_older_than_trust_still_reports(tmp_path: Path) -> None:
    """Parts without `warnings` and `confidence`: the first one old, the next one new."""
    sources = trust_sources(tmp_path / "in")
    old_schema = pa.schema(
        [f for f in PAGE_ROW_ARROW_SCHEMA if f.name not in ("warnings", "confidence")]
    )
    old = [trust_page_row(sources["invoice.pdf"], 1, 1)]
    write_parts(tmp_path / "out" / PAGES, "run-a", old, old_schema)
    result = invoke(str(tmp_path / "out"))
    assert result.exit_code == 0, result.output
    assert "rows to check" not in result.output and "pages: trust" not in result.output
    new = [trust_page_row(sources["invoice.pdf"], 2, 2, warnings=[LOOP], confidence=0.3)]
    write_parts(tmp_path / "out" / PAGES, "run-b", new)
    trust = dataset(build_report(tmp_path / "out", DEFAULT_PRICES), PAGES).trust
    assert trust is not None
    assert (trust.ok_rows, trust.unmeasured, trust.with_warnings, trust.to_check) == (2, 1, 1, 1)


def test_text_layer_boxes_turn_with_the_page() -> None:
    box = Citation(
        field="f", value="v", page=1, x0=0.1, y0=0.2, x1=0.3, y1=0.4, found_in="text_layer"
    )
    assert turned_box(box, 90) == pytest.approx((0.6, 0.1, 0.8, 0.3))
    assert turned_box(box, 180) == pytest.approx((0.7, 0.6, 0.9, 0.8))
    assert turned_box(box, 270) == pytest.approx((0.2, 0.7, 0.4, 0.9))
    ocr = box.model_copy(update={"found_in": "ocr"})  # shares of the page as sent, upright
    assert turned_box(ocr, 90) == pytest.approx((0.1, 0.2, 0.3, 0.4))


CHROMIUM = shutil.which("chromium")


@pytest.mark.skipif(
    CHROMIUM is None, reason="chromium is not installed (Debian: apt-get install chromium)"
)
def test_rows_to_check_render_in_headless_chromium(
    trust_dir: tuple[Path, dict[str, Path]], tmp_path: Path
) -> None:
    out, _ = trust_dir
    html_of(out, tmp_path)
    shot = tmp_path / "shot.png"
    command = [
        str(CHROMIUM),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={tmp_path / 'profile'}",
        "--window-size=1280,6000",
        f"--screenshot={shot}",
        (tmp_path / "report.html").as_uri(),
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=90, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    pixels = np.asarray(Image.open(shot).convert("RGB")).astype(int)
    assert pixels.shape == (6000, 1280, 3)
    red, green, blue = pixels[..., 0], pixels[..., 1], pixels[..., 2]
    # The scan, drawn standing: its black band is a column of black many pixels wide (the
    # charts' axes are lines one or two pixels wide).
    dark = (red < 40) & (green < 40) & (blue < 40)
    assert int((dark.sum(axis=0) >= 150).sum()) >= 8
    # The receipt's citation: its magenta box, a colour nothing else on the page has.
    magenta = (red > 190) & (green < 60) & (blue > 90)
    assert int(magenta.sum()) > 100

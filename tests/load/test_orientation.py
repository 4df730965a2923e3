"""Scans and photos of text turned upright before they are sent, with the turn on the row."""

import io
from pathlib import Path

import numpy as np
import polars as pl
import pymupdf
import pytest
from chat_server import ChatServer
from harness import run
from PIL import Image
from repo_paths import CORPUS

from extractors.load.identify import identify
from extractors.load.orientation import turn_upright, upright_rotation
from extractors.load.reader import DocumentReader
from extractors.options import RenderOptions
from extractors.plan.profiles.ocr_engine import OcrEngineProfile
from extractors.records import PlannedPage

_WORDS = "The quick brown fox jumps over the lazy dog while the invoice total is paid in cash."


def text_page(lines: int = 14, dpi: int = 110) -> Image.Image:
    """A letter page of printed text, drawn by MuPDF from a real PDF."""
    document = pymupdf.open()
    page = document.new_page(width=612, height=792)
    for line in range(lines):
        page.insert_text((54, 90 + 28 * line), f"{line + 1}. {_WORDS}", fontsize=12)
    pixmap = page.get_pixmap(dpi=dpi, colorspace=pymupdf.csGRAY)
    document.close()
    return Image.frombytes("L", (pixmap.width, pixmap.height), pixmap.samples).convert("RGB")


def turned(image: Image.Image, clockwise: int) -> Image.Image:
    """The page as a scanner fed it the wrong way: turned counter-clockwise by `clockwise`,
    so that `clockwise` degrees clockwise stand it upright again."""
    return image.rotate(clockwise, expand=True)


@pytest.mark.parametrize("rotation", [0, 90, 180, 270])
def test_a_turned_text_page_is_detected_and_turned_back(rotation: int) -> None:
    upright = text_page()
    page = turn_upright(turned(upright, rotation))
    assert page.rotation == rotation
    assert page.image.size == upright.size
    assert np.array_equal(np.asarray(page.image), np.asarray(upright))


def test_an_upright_page_with_rules_over_its_lines_is_not_turned() -> None:
    # A rule over each line puts the lines' densest rows at their top, as if the page were
    # upside down; the classifier, reading the letters, is sure it is upright.
    document = pymupdf.open()
    page = document.new_page(width=300, height=792)
    for line in range(22):
        page.insert_text((30, 60 + 30 * line), f"ITEM {line + 1} NASI LEMAK  RM 12.50", fontsize=11)
        page.draw_line((30, 51 + 30 * line), (270, 51 + 30 * line), width=1)
    pixmap = page.get_pixmap(dpi=110, colorspace=pymupdf.csGRAY)
    image = Image.frombytes("L", (pixmap.width, pixmap.height), pixmap.samples).convert("RGB")
    assert upright_rotation(image) is None


def test_a_blank_page_or_a_flat_photo_is_not_judged() -> None:
    assert upright_rotation(Image.new("RGB", (800, 1000), "white")) is None
    gradient = np.tile(np.linspace(0, 255, 800, dtype=np.uint8), (1000, 1))
    assert upright_rotation(Image.fromarray(gradient).convert("RGB")) is None


def test_solid_bands_are_no_text_and_are_left_alone() -> None:
    """Full-width black bars (the test markers) make a strong row profile but hold no line."""
    bands = np.full((1800, 1200), 255, dtype=np.uint8)
    for top in (0, 400, 900):
        bands[top : top + 100] = 0
    assert upright_rotation(Image.fromarray(bands).convert("RGB")) is None


def _render_only_page(path: Path) -> tuple[int | None, tuple[int, int]]:
    source = identify(path)
    reader = DocumentReader(source, RenderOptions(), None)
    try:
        width, height = reader.layout().page_sizes[0]
        image = reader.render(PlannedPage(1, width, height, 0), False)
    finally:
        reader.close()
    return image.rotation, (image.width, image.height)


@pytest.mark.parametrize("rotation", [90, 270])
def test_the_reader_sends_a_turned_scan_upright(tmp_path: Path, rotation: int) -> None:
    upright = text_page()
    turned(upright, rotation).save(tmp_path / "scan.png")
    assert _render_only_page(tmp_path / "scan.png") == (rotation, upright.size)


def test_exif_orientation_is_applied_once(tmp_path: Path) -> None:
    """A phone photo stored on its side with EXIF orientation 6 is upright after EXIF alone."""
    upright = text_page()
    stored = upright.rotate(90, expand=True)  # orientation 6: turn 90 clockwise to display
    exif = Image.Exif()
    exif[0x0112] = 6
    stored.save(tmp_path / "photo.jpg", exif=exif.tobytes(), quality=92)
    assert _render_only_page(tmp_path / "photo.jpg") == (0, upright.size)


def test_born_digital_pdf_pages_are_not_judged(tmp_path: Path) -> None:
    document = pymupdf.open()
    page = document.new_page(width=612, height=792)
    page.insert_text((54, 90), _WORDS, fontsize=12)
    document.save(str(tmp_path / "letter.pdf"))
    document.close()
    assert _render_only_page(tmp_path / "letter.pdf")[0] is None


def test_a_scanned_pdf_page_is_judged(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    turned(text_page(), 90).save(buffer, format="PNG")
    document = pymupdf.open()
    page = document.new_page(width=792, height=612)
    page.insert_image(page.rect, stream=buffer.getvalue())
    document.save(str(tmp_path / "scan.pdf"))
    document.close()
    assert _render_only_page(tmp_path / "scan.pdf")[0] == 90


def test_the_page_row_says_the_rotation(tmp_path: Path) -> None:
    inputs = tmp_path / "in"
    inputs.mkdir()
    turned(text_page(), 270).save(inputs / "scan.png")
    document = pymupdf.open()
    document.new_page().insert_text((54, 90), _WORDS, fontsize=12)
    document.save(str(inputs / "letter.pdf"))
    document.close()
    with ChatServer() as server:
        run([inputs], tmp_path / "out", base_url=server.base_url, model="m")
    rows = pl.read_parquet(str(tmp_path / "out" / "pages" / "*.parquet")).sort("source")
    assert rows["status"].to_list() == ["ok", "ok"]
    assert rows["rotation"].to_list() == [None, 270]
    scan = rows.filter(pl.col("rotation") == 270)
    assert scan["height"].item() > scan["width"].item()  # sent as the portrait page it is


@pytest.mark.skipif(not (CORPUS / "images").is_dir(), reason="../shared/corpus is missing")
@pytest.mark.parametrize(
    ("name", "rotation"),
    [("doc_phototest_rotated_left.png", 90), ("doc_devanagari_rotated270.png", 270)],
)
def test_the_corpus_turned_pages_are_detected(name: str, rotation: int) -> None:
    image = Image.open(CORPUS / "images" / name).convert("RGB")
    assert upright_rotation(image) == rotation


@pytest.mark.skipif(not (CORPUS / "pdfs").is_dir(), reason="../shared/corpus is missing")
def test_a_pdf_page_turned_by_its_rotate_key_is_not_turned_again() -> None:
    """MuPDF applies /Rotate 270 when it draws the page: the scan is upright already."""
    assert _render_only_page(CORPUS / "pdfs" / "rotated270_ccitt_greek.pdf")[0] == 0


@pytest.mark.skipif(not (CORPUS / "receipts").is_dir(), reason="../shared/corpus is missing")
def test_an_upright_receipt_photo_with_two_clear_lines_is_not_turned() -> None:
    """At the size the embedded engine is sent, the table under this receipt inks all but two
    of its text lines; a rule under one of them once leaned 541 to 1 and turned it over."""
    source = identify(CORPUS / "receipts" / "sroie_577.jpg")
    reader = DocumentReader(source, RenderOptions(), None)
    try:
        width, height = OcrEngineProfile().fit(*reader.layout().page_sizes[0])
        rotation = reader.render(PlannedPage(1, width, height, 0), False).rotation
    finally:
        reader.close()
    assert rotation in (0, None)

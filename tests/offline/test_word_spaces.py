"""The embedded engine keeps the spaces between the words of receipt lines."""

import pymupdf
import pytest
from PIL import Image

from extractors.offline.engine import OcrEngine
from extractors.offline.recognised import latin_forms

# Receipt lines in a monospaced font, where PP-OCRv4 ran most of the words together.
RECEIPT_LINES = [
    "NO 53 JALAN SAGU 18 TAMAN DAYA",
    "81100 JOHOR BAHRU JOHOR",
    "BOOK TA K TAMAN DAYA SDN BHD",
    "TOTAL SALES INCLUSIVE GST 9.00",
    "CASH TENDERED 10.00 CHANGE 1.00",
]


def printed_lines(lines: list[str], fontsize: float = 11) -> Image.Image:
    """The lines printed in Courier by MuPDF, at about a till receipt's scale."""
    document = pymupdf.open()
    page = document.new_page(width=300, height=40 + 20 * len(lines))
    for number, line in enumerate(lines):
        page.insert_text((10, 30 + 20 * number), line, fontsize=fontsize, fontname="cour")
    pixmap = page.get_pixmap(dpi=110, colorspace=pymupdf.csGRAY)
    document.close()
    return Image.frombytes("L", (pixmap.width, pixmap.height), pixmap.samples).convert("RGB")


def words_found(text: str, expected: list[str]) -> float:
    """Share of the expected words read as whole words (in order of lines, as a multiset)."""
    read = text.split()
    found = 0
    for word in " ".join(expected).split():
        if word in read:
            read.remove(word)
            found += 1
    return found / len(" ".join(expected).split())


@pytest.fixture(scope="module")
def engine() -> OcrEngine:
    return OcrEngine(threads=2)


def test_receipt_lines_are_read_with_their_word_spaces(engine: OcrEngine) -> None:
    text = engine.transcribe(printed_lines(RECEIPT_LINES))
    assert len(text.splitlines()) == len(RECEIPT_LINES)
    # OCR may misread a digit ("811O0"); the spaces are what this measures.
    assert words_found(text, RECEIPT_LINES) >= 0.9
    assert not any(word.startswith(".") for word in text.split())  # "10.00" stays whole


def test_a_blank_page_reads_as_no_lines(engine: OcrEngine) -> None:
    assert engine.recognise(Image.new("RGB", (400, 300), "white")) == []
    assert engine.transcribe(Image.new("RGB", (400, 300), "white")) == ""


def test_full_width_marks_in_latin_text_become_ascii_and_stay_in_chinese() -> None:
    assert latin_forms("Order #\uff1a2291") == "Order #:2291"
    assert latin_forms("\uff08GST ID\uff1a 0012\uff09") == "(GST ID: 0012)"
    chinese = "\u53f0\u7269\u51fa\u95e8\uff0c\u60f3\u4e0d\u9000"
    assert latin_forms(chinese) == chinese

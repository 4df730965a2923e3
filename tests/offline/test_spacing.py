"""Word spaces put back into the embedded engine's lines, from the ink between the words."""

import numpy as np
import pymupdf
import pytest
from PIL import Image

from extractors.offline.engine import OcrEngine
from extractors.offline.spacing import RecognisedLine, respaced

# Receipt lines in a monospaced font: the recogniser alone runs most of their words together.
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
    # OCR misreads a digit or two ("811O0"); the spaces are what this measures.
    assert words_found(text, RECEIPT_LINES) >= 0.85
    assert not any(word.startswith(".") for word in text.split())  # "10.00" stays whole


def _line(chars: str, centres: list[float], height: int = 20) -> RecognisedLine:
    boxes = [[[c - 3, 0], [c + 3, 0], [c + 3, height], [c - 3, height]] for c in centres]
    return RecognisedLine([[0, 0], [200, 0], [200, height], [0, height]], chars, chars, boxes)


def _page_with_ink(columns: list[tuple[int, int]], height: int = 20) -> np.ndarray:
    gray = np.full((height, 200), 255, dtype=np.uint8)
    for left, right in columns:
        gray[4:16, left:right] = 0
    return gray


def test_a_wide_blank_between_far_characters_is_a_space() -> None:
    # "ABCD": A-B and C-D 10 px apart with ink between; B-C 20 px apart across 12 blank columns.
    line = _line("ABCD", [10, 20, 40, 50])
    gray = _page_with_ink([(6, 25), (36, 55)])
    assert respaced(line, gray) == "AB CD"


def test_far_characters_with_ink_between_stay_one_word() -> None:
    line = _line("ABCD", [10, 20, 40, 50])
    assert respaced(line, _page_with_ink([(6, 55)])) == "ABCD"


def test_no_space_goes_before_a_decimal_point() -> None:
    line = _line("10.00", [10, 20, 40, 50, 60])
    gray = _page_with_ink([(6, 25), (38, 42), (46, 64)])
    assert respaced(line, gray) == "10.00"

"""Boxes joined into lines in reading order, on pages that reach the engine sideways."""

from collections.abc import Sequence

import numpy as np
import pytest
from PIL import Image

from extractors.offline.engine import OcrEngine
from extractors.offline.reading_order import PageTop, is_sideways, reading_order
from extractors.offline.recognised import RecognisedLine
from extractors.offline.sideways import page_top

Quad = list[list[float]]


def _box(left: float, top: float, right: float, bottom: float) -> Quad:
    return [[left, top], [right, top], [right, bottom], [left, bottom]]


# Three lines of an upright page: two boxes on the first, one on each of the others.
UPRIGHT = [
    (_box(10, 10, 100, 30), "KEDAI RIA"),
    (_box(120, 12, 200, 31), "SDN BHD"),
    (_box(10, 40, 150, 60), "No 5, Jalan Satu"),
    (_box(10, 70, 150, 90), "Total 9.00"),
]


def _turned(quad: Quad, top: PageTop, size: float = 300) -> Quad:
    """The box on the page turned so that its top is at the image's `top` side."""
    if top == "right":  # turned clockwise: (x, y) -> (size - y, x)
        return [[size - y, x] for x, y in quad]
    return [[y, size - x] for x, y in quad]  # anticlockwise


@pytest.mark.parametrize("top", ["right", "left"])
def test_a_sideways_page_is_read_in_its_own_line_order(top: PageTop) -> None:
    quads = [_turned(quad, top) for quad, _ in UPRIGHT]
    texts = [text for _, text in UPRIGHT]
    assert is_sideways(quads, texts)
    expected = ["KEDAI RIA SDN BHD", "No 5, Jalan Satu", "Total 9.00"]
    assert reading_order(quads, texts, top) == expected
    # Read as if upright, every box of the turned page is one line.
    assert len(reading_order(quads, texts)) < len(expected)


def test_an_upright_page_is_not_sideways() -> None:
    quads = [quad for quad, _ in UPRIGHT]
    texts = [text for _, text in UPRIGHT]
    assert not is_sideways(quads, texts)
    assert reading_order(quads, texts) == ["KEDAI RIA SDN BHD", "No 5, Jalan Satu", "Total 9.00"]


def _lines(quads: Sequence[Quad]) -> list[RecognisedLine]:
    return [RecognisedLine(quad, "word") for quad in quads]


@pytest.mark.parametrize(("label", "top"), [("0", "right"), ("180", "left")])
def test_the_classifier_says_where_the_top_is(label: str, top: PageTop) -> None:
    asked: list[int] = []

    def classify(crops: list[np.ndarray]) -> list[tuple[str, float]]:
        asked.append(len(crops))
        assert all(crop.shape[1] > crop.shape[0] for crop in crops)  # turned to lie flat
        return [(label, 0.99) for _ in crops]

    tall = [_box(20 * n, 10, 20 * n + 15, 200) for n in range(1, 4)]
    rgb = np.full((300, 300, 3), 255, dtype=np.uint8)
    assert page_top(_lines(tall), rgb, classify) == top
    assert page_top(_lines([quad for quad, _ in UPRIGHT]), rgb, classify) == "up"
    assert asked == [3]  # an upright page asks nothing


def _printed(lines: list[str]) -> Image.Image:
    """The lines printed in Courier by MuPDF."""
    import pymupdf

    document = pymupdf.open()
    page = document.new_page(width=300, height=40 + 20 * len(lines))
    for number, line in enumerate(lines):
        page.insert_text((10, 30 + 20 * number), line, fontsize=11, fontname="cour")
    pixmap = page.get_pixmap(dpi=110, colorspace=pymupdf.csGRAY)
    document.close()
    return Image.frombytes("L", (pixmap.width, pixmap.height), pixmap.samples).convert("RGB")


@pytest.mark.parametrize("angle", [90, 270])
def test_the_engine_reads_a_page_turned_a_quarter_in_order(angle: int) -> None:
    lines = ["MAJU JAYA SDN BHD", "NO 5 JALAN SATU", "TOTAL RM 9.00", "THANK YOU"]
    text = OcrEngine(threads=2).transcribe(_printed(lines).rotate(angle, expand=True))
    # The order of the lines is under test, not the recogniser's reading of each.
    read = [line.replace(" ", "") for line in text.splitlines()]
    assert len(read) == len(lines)
    words = ["MAJU", "JALAN", "TOTAL", "THANK"]
    assert all(word in line for word, line in zip(words, read, strict=True))

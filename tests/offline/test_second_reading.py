"""A line read from a box cut short is read again from a grown crop, by the real recogniser."""

import subprocess
import sys

import numpy as np
import pymupdf
import pytest
from rapidocr import RapidOCR
from rapidocr.ch_ppocr_rec.typings import TextRecInput
from rapidocr.utils.process_img import get_rotate_crop_image

from extractors.offline.second_reading import UNSURE, Reading, grown, read_again


@pytest.fixture(scope="module")
def engine() -> RapidOCR:
    return RapidOCR(params={"Global.log_level": "error"})


def _line_image() -> np.ndarray:
    """One printed address line, drawn by MuPDF, as BGR pixels (as the engine is given them)."""
    document = pymupdf.open()
    page = document.new_page(width=300, height=60)
    page.insert_text((20, 38), "JALAN TAMPOI 7/4", fontsize=18)
    pixmap = page.get_pixmap(dpi=150, colorspace=pymupdf.csRGB, alpha=False)
    document.close()
    rgb = np.frombuffer(pixmap.samples, np.uint8).reshape(pixmap.height, pixmap.width, 3)
    return np.ascontiguousarray(rgb[:, :, ::-1])


def _short_box(bgr: np.ndarray) -> np.ndarray:
    """A box hugging the line's ink but for its first letter's left half."""
    ink = bgr.min(axis=2) < 128
    columns, rows = np.flatnonzero(ink.any(axis=0)), np.flatnonzero(ink.any(axis=1))
    left, right, top, bottom = columns[0] + 14, columns[-1], rows[0], rows[-1]
    return np.array([[left, top], [right, top], [right, bottom], [left, bottom]], np.float32)


def test_a_line_cut_short_is_read_whole_from_the_grown_crop(engine: RapidOCR) -> None:
    bgr = _line_image()
    engine(bgr)  # loads the classifier and the recogniser, as a page read first does
    box = _short_box(bgr)
    first = engine.text_rec(TextRecInput(img=[get_rotate_crop_image(bgr, box.copy())]))
    reading = Reading(str(first.txts[0]), float(first.scores[0]))
    assert not reading.text.startswith("J")  # the cut letter is lost

    again = read_again(engine, bgr, np.array([box]), [Reading(reading.text, 0.5)])

    assert again[0].text.startswith("JALAN TAMP")
    assert again[0].score > 0.5


def test_a_line_read_surely_is_not_read_again(engine: RapidOCR) -> None:
    bgr = _line_image()
    engine(bgr)
    box = _short_box(bgr)
    sure = Reading("what was read", UNSURE)
    assert read_again(engine, bgr, np.array([box]), [sure]) == [sure]


def test_the_grown_box_keeps_its_axes_and_stays_inside_the_image() -> None:
    # A box 100 x 20 grown by half its height: 10 pixels on every side, then clipped.
    box = [[5.0, 30.0], [105.0, 30.0], [105.0, 50.0], [5.0, 50.0]]
    assert grown(box, 0.5, 110, 200).tolist() == [
        [0.0, 20.0],
        [109.0, 20.0],
        [109.0, 60.0],
        [0.0, 60.0],
    ]
    # A line tilted 90 degrees (running down the image) grows along its own axes.
    down = [[50.0, 10.0], [50.0, 110.0], [30.0, 110.0], [30.0, 10.0]]
    assert grown(down, 0.5, 200, 200).tolist() == [
        [60.0, 0.0],
        [60.0, 120.0],
        [20.0, 120.0],
        [20.0, 0.0],
    ]


def test_importing_the_engine_loads_no_model_runtime() -> None:
    """Most runs never start the embedded engine: onnxruntime and OpenCV load when it reads."""
    probe = (
        "import sys, extractors.offline.engine;"
        "print(sorted({'rapidocr', 'cv2', 'onnxruntime'} & set(sys.modules)))"
    )
    found = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    assert found.stdout.strip() == "[]"

"""The resize to the size sent: a 300-DPI scan box-averaged first (RESIZE_REDUCING_GAP) stays
within a level of the Lanczos resize of every pixel, and its strokes keep their ink."""

from pathlib import Path

import numpy as np
import pymupdf
from PIL import Image

from extractors.load.image_frames import RESIZE_REDUCING_GAP, frame_at_size

_SENT = (791, 1024)  # a letter page at the Pixtral profile's size: a downscale of 3.2


def _letter_scan(path: Path) -> Path:
    """A letter page of 10-pt text drawn at 300 DPI, saved as an RGB PNG."""
    document = pymupdf.open()
    page = document.new_page(width=612, height=792)
    text = " ".join(["Invoice 4471, total due 1,280.50 EUR; payment by 12 March."] * 60)
    page.insert_textbox(pymupdf.Rect(54, 54, 558, 738), text, fontsize=10)
    pixmap = page.get_pixmap(dpi=300, colorspace=pymupdf.csRGB)
    document.close()
    Image.frombytes("RGB", (pixmap.width, pixmap.height), pixmap.samples).save(path)
    return path


def test_a_scan_resized_with_the_gap_is_within_a_level_of_lanczos(tmp_path: Path) -> None:
    path = _letter_scan(tmp_path / "scan.png")
    with Image.open(path) as image:
        sent = np.asarray(frame_at_size(image, _SENT), dtype=np.int16)
    with Image.open(path) as image:
        exact = np.asarray(image.resize(_SENT, Image.Resampling.LANCZOS), dtype=np.int16)
    assert 2550 / _SENT[0] >= RESIZE_REDUCING_GAP * 2  # the gap is taken on this page
    # Gap 1.5: 0.84 levels apart, its darkest 1% 6 levels lighter; gap 1.0: 2.35 and 12.
    assert np.abs(sent - exact).mean() < 1.5
    assert np.percentile(sent, 1) <= np.percentile(exact, 1) + 8  # strokes not smeared to gray

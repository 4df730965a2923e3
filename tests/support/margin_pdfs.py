"""A scan-like PDF for `--crop-margins`: pages of ink boxed in wide margins, and one page that
its marker bands fill edge to edge (sent whole). Shapes only: no text layer to read instead."""

from pathlib import Path

import pymupdf
from markers import draw_marker_pdf_page, encode_value

# Where each cropped page's ink is (points, on a letter page): blocks of very different shapes,
# so their content boxes cost different tokens.
INK_RECTS = ((200, 200, 412, 400), (150, 100, 460, 500), (100, 300, 500, 450))
# Page 1: the marker page (its bottom bands black: no margin to cut).
CROPPED_PAGES = (2, 3, 4)


def _ink(page: pymupdf.Page, rect: tuple[float, float, float, float]) -> None:
    """Bars like lines of text filling `rect`: ink, never a blank page."""
    x0, y0, x1, y1 = rect
    for top in range(int(y0), int(y1) - 6, 14):
        page.draw_rect(pymupdf.Rect(x0, top, x1, top + 7), color=None, fill=(0, 0, 0))


def build_margins_pdf(path: Path) -> Path:
    document = pymupdf.open()
    draw_marker_pdf_page(document.new_page(width=612, height=792), encode_value(255, 1))
    for rect in INK_RECTS:
        _ink(document.new_page(width=612, height=792), rect)
    document.save(str(path))
    document.close()
    return path

"""A page's content box: its ink plus a small border, as shares of the page, found on a small
drawing of it (`--crop-margins`). What is outside is paper, and is not sent.

Conservative: ink is anything clearly darker than the paper (an isolated dark pixel of the
small drawing is scanner speckle and is left out, anything larger is kept), and a box is kept
only when cropping to it saves a meaningful share of the page's area.
"""

import numpy as np
import pymupdf
from PIL import Image

from extractors.records import Box

# Longest side, in pixels, of the small drawing the box is found on (a letter page: ~55 DPI).
PROBE_SIDE = 600
# Border added around the ink on each side, as a share of the page's width (or height).
BORDER = 0.02
# A box is kept only when it leaves out at least this share of the page's area.
MIN_SAVING = 0.10
# Ink: darker than this share of the paper's brightness (the paper: the 90th percentile).
_INK_RATIO = 0.75


def ink_box(gray: Image.Image) -> Box | None:
    """The content box of a page drawn small in gray, as shares of it; None when cropping to
    it would save less than MIN_SAVING of the area (or the page has no ink)."""
    pixels = np.asarray(gray.convert("L"), dtype=np.uint8)
    ink = _without_specks(pixels < np.percentile(pixels, 90) * _INK_RATIO)
    rows, columns = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    if rows.size == 0:
        return None  # no ink: a blank page is judged elsewhere, and sent whole if sent
    height, width = ink.shape
    # One probe pixel more on each side: the drawing's pixels straddle the ink's true edges.
    box = Box(
        max(0.0, (columns[0] - 1) / width - BORDER),
        max(0.0, (rows[0] - 1) / height - BORDER),
        min(1.0, (columns[-1] + 2) / width + BORDER),
        min(1.0, (rows[-1] + 2) / height + BORDER),
    )
    if (box.x1 - box.x0) * (box.y1 - box.y0) > 1 - MIN_SAVING:
        return None
    return Box(*(round(float(share), 4) for share in (box.x0, box.y0, box.x1, box.y1)))


def _without_specks(ink: np.ndarray) -> np.ndarray:
    """The ink mask with its isolated pixels (no inked neighbour of the 8) cleared."""
    padded = np.pad(ink, 1)
    neighbours = np.zeros(ink.shape, dtype=bool)
    height, width = ink.shape
    for dy in (-1, 0, 1):
        for dx in (-1, 0, 1):
            if dy or dx:
                neighbours |= padded[1 + dy : 1 + dy + height, 1 + dx : 1 + dx + width]
    return ink & neighbours


def pdf_content_box(page: pymupdf.Page) -> Box | None:
    """A PDF page's content box, from what it paints drawn small (white fills are paper);
    None for a page turned by /Rotate (its clip would need turning too: sent whole)."""
    if page.rotation % 360:
        return None
    rect = page.rect
    scale = PROBE_SIDE / max(rect.width, rect.height, 1.0)
    pixmap = page.get_pixmap(matrix=pymupdf.Matrix(scale, scale), colorspace=pymupdf.csGRAY)
    gray = Image.frombytes("L", (pixmap.width, pixmap.height), pixmap.samples)
    return ink_box(gray)


def cropped_size(size: tuple[int, int], box: Box | None) -> tuple[int, int]:
    """The pixels of a page of `size` that its content box holds (the page's, uncropped)."""
    if box is None:
        return size
    width, height = size
    return max(1, round(width * (box.x1 - box.x0))), max(1, round(height * (box.y1 - box.y0)))


def pdf_clip(rect: pymupdf.Rect, box: Box) -> pymupdf.Rect:
    """The part of a page (its rectangle in points) that a content box holds."""
    return pymupdf.Rect(
        rect.x0 + box.x0 * rect.width,
        rect.y0 + box.y0 * rect.height,
        rect.x0 + box.x1 * rect.width,
        rect.y0 + box.y1 * rect.height,
    )


def turned_box(box: Box, rotation: int | None) -> Box:
    """A box on a page, as shares of the page after it was turned `rotation` degrees
    clockwise to stand upright (the frame of the image sent)."""
    corners = [(box.x0, box.y0), (box.x1, box.y1)]
    turns = {
        90: lambda x, y: (1 - y, x),
        180: lambda x, y: (1 - x, 1 - y),
        270: lambda x, y: (y, 1 - x),
    }
    turn = turns.get((rotation or 0) % 360)
    if turn is None:
        return box
    (ax, ay), (bx, by) = (turn(x, y) for x, y in corners)
    return Box(min(ax, bx), min(ay, by), max(ax, bx), max(ay, by))


def uncropped(box: Box, crop: Box | None) -> Box:
    """A box as shares of a cropped image, as shares of the whole page it was cropped from."""
    if crop is None:
        return box
    width, height = crop.x1 - crop.x0, crop.y1 - crop.y0
    return Box(
        crop.x0 + box.x0 * width,
        crop.y0 + box.y0 * height,
        crop.x0 + box.x1 * width,
        crop.y0 + box.y1 * height,
    )

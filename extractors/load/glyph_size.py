"""A page's small text measured on its drawing, and the page shrunk while that text stays
legible (`--min-glyph-px`): a page of large print (a scan at 300 DPI of a typed letter, a
receipt's big type, slides) needs fewer pixels than the profile would give it.

Conservative by design: the measure is a low percentile of the heights of glyph-like ink
blobs (so the page's small print governs, not its headings), a page with too few of them
(a photo, a drawing, a form of rules) is left as it is, and a page is shrunk only when that
saves a meaningful share of its pixels.
"""

from dataclasses import dataclass

import numpy as np
from PIL import Image

from extractors.load.image_frames import RESIZE_REDUCING_GAP

# Ink: darker than this share of the paper's brightness (the paper: the 90th percentile).
# Stricter than the content box's 0.75: anti-aliased glyph edges would join neighbours.
_INK_RATIO = 0.6
# Blobs this high or less are dots, commas and speckle; above the largest, rules and pictures.
_SMALLEST_GLYPH = 4
_LARGEST_GLYPH = 120
# A glyph (or a few joined) is at most this many times as wide as it is high: rules and
# underlines are not.
_WIDEST_GLYPH = 3
# Fewer glyph-like blobs than this and the page is not judged to be print.
MIN_GLYPHS = 20
# The small print: this percentile of the glyph heights.
_SMALL_PRINT_PERCENTILE = 10
# A shrink that keeps more than this share of each side is not worth a resize.
_MIN_SHRINK = 0.9


@dataclass(frozen=True)
class GlyphMeasure:
    """A page's small print: its glyph height in pixels (None: not judged print) and how many
    glyph-like blobs the measure rests on."""

    height: float | None
    glyphs: int


def small_print_height(image: Image.Image) -> GlyphMeasure:
    """The height in pixels of the page's small print, as drawn."""
    # Imported here: OpenCV (the embedded engine's own dependency) costs ~0.1 s to import,
    # which runs without `--min-glyph-px` never need to pay.
    import cv2

    # One thread: a render worker is one of a process per core already.
    cv2.setNumThreads(1)
    gray = np.asarray(image.convert("L"), dtype=np.uint8)
    paper = _paper_level(gray)
    ink = (gray < paper * _INK_RATIO).astype(np.uint8)
    _, _, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    heights = stats[1:, cv2.CC_STAT_HEIGHT]
    widths = stats[1:, cv2.CC_STAT_WIDTH]
    glyph_like = (
        (heights >= _SMALLEST_GLYPH)
        & (heights <= _LARGEST_GLYPH)
        & (widths <= _WIDEST_GLYPH * heights)
    )
    glyph_heights = heights[glyph_like]
    if glyph_heights.size < MIN_GLYPHS:
        return GlyphMeasure(None, int(glyph_heights.size))
    return GlyphMeasure(
        float(np.percentile(glyph_heights, _SMALL_PRINT_PERCENTILE)), int(glyph_heights.size)
    )


def _paper_level(gray: np.ndarray) -> int:
    """The 90th percentile of the gray levels, from their histogram (a sort of every pixel
    costs ~10 ms a page)."""
    counts = np.cumsum(np.bincount(gray.ravel(), minlength=256))
    return int(np.searchsorted(counts, 0.9 * counts[-1]))


def legible_size(
    size: tuple[int, int], measure: GlyphMeasure, min_glyph_px: int
) -> tuple[int, int]:
    """The smallest size of an image of `size` whose small print keeps `min_glyph_px` pixels
    of height; `size` itself when the page is not judged print or would shrink little."""
    if measure.height is None or measure.height <= min_glyph_px:
        return size
    scale = min_glyph_px / measure.height
    if scale > _MIN_SHRINK:
        return size
    width, height = size
    return max(1, round(width * scale)), max(1, round(height * scale))


def shrunk_to_print(image: Image.Image, min_glyph_px: int) -> Image.Image:
    """The page shrunk until its small print is `min_glyph_px` high (never enlarged)."""
    target = legible_size(image.size, small_print_height(image), min_glyph_px)
    if target == image.size:
        return image
    return image.resize(target, Image.Resampling.LANCZOS, reducing_gap=RESIZE_REDUCING_GAP)

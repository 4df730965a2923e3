"""Machine-readable page identity for test documents.

A marked page is split into 18 full-width horizontal bands of equal height: band 0 (top) is
always black, band 17 (bottom) always white, and bands 1..16 carry bits 0..15 of a 16-bit value
(black = 1). The value is ``doc_id * 256 + page``. The bands are big and flat, so they survive
JPEG compression, downscaling and aspect-preserving resizes, which lets the fake chat server
"read" which page an image shows.
"""

from __future__ import annotations

from pathlib import Path

import pymupdf
from PIL import Image, ImageDraw

N_BANDS = 18
N_BITS = 16
# Luminance must be clearly dark or clearly light: grey bands mean "not a marker".
_DARK_MAX = 96
_LIGHT_MIN = 160


def encode_value(doc_id: int, page: int) -> int:
    """Marker value for page ``page`` (1..255) of document ``doc_id`` (0..255)."""
    if not 0 <= doc_id <= 255:
        raise ValueError(f"doc_id must be in 0..255, got {doc_id}")
    if not 1 <= page <= 255:
        raise ValueError(f"page must be in 1..255, got {page}")
    return doc_id * 256 + page


def expected_text(value: int) -> str:
    """Text the fake server answers for a marked image: ``marker <doc>-<page>``."""
    return f"marker {value // 256}-{value % 256}"


def _band_is_black(band: int, value: int) -> bool:
    """Whether band ``band`` (0..17) is black for ``value``."""
    if band == 0:
        return True
    if band == N_BANDS - 1:
        return False
    return bool((value >> (band - 1)) & 1)


def _check_value(value: int) -> None:
    if not 0 <= value < 1 << N_BITS:
        raise ValueError(f"marker value must fit in {N_BITS} bits, got {value}")


def draw_marker_pdf_page(page: pymupdf.Page, value: int) -> None:
    """Cover ``page`` with the 18 marker bands encoding ``value``."""
    _check_value(value)
    rect = page.rect
    band_h = rect.height / N_BANDS
    for band in range(N_BANDS):
        band_rect = pymupdf.Rect(
            rect.x0, rect.y0 + band * band_h, rect.x1, rect.y0 + (band + 1) * band_h
        )
        fill = (0, 0, 0) if _band_is_black(band, value) else (1, 1, 1)
        # White bands are painted too, so that marking works over existing page content.
        page.draw_rect(band_rect, color=None, fill=fill)


def make_marked_pdf(
    path: str | Path, doc_id: int, n_pages: int, size: tuple[float, float] = (612, 792)
) -> None:
    """Write a PDF whose page k (1-based) carries ``encode_value(doc_id, k)``."""
    doc = pymupdf.open()
    try:
        for k in range(1, n_pages + 1):
            page = doc.new_page(width=size[0], height=size[1])
            draw_marker_pdf_page(page, encode_value(doc_id, k))
        doc.save(str(path))
    finally:
        doc.close()


def marked_image(value: int, size: tuple[int, int] = (600, 800)) -> Image.Image:
    """An RGB Pillow image carrying ``value`` in marker bands."""
    _check_value(value)
    width, height = size
    img = Image.new("RGB", (width, height), (255, 255, 255))
    draw = ImageDraw.Draw(img)
    for band in range(N_BANDS):
        if _band_is_black(band, value):
            y0 = round(band * height / N_BANDS)
            y1 = round((band + 1) * height / N_BANDS) - 1
            draw.rectangle((0, y0, width - 1, y1), fill=(0, 0, 0))
    return img


def make_marked_image(
    path: str | Path, doc_id: int, page: int = 1, size: tuple[int, int] = (600, 800)
) -> None:
    """Save a marked RGB image; the format follows the file suffix (png, jpg, webp, heic...)."""
    path = Path(path)
    if path.suffix.lower() in {".heic", ".heif"}:
        import pillow_heif

        pillow_heif.register_heif_opener()
    marked_image(encode_value(doc_id, page), size).save(path)


def read_marker(img: Image.Image) -> int | None:
    """Decode the marker value from ``img``, or None when it carries no marker.

    Stricter than "luminance < 128": every band must be clearly dark (< 96) or light (> 160) and
    agree at the quarter, half and three-quarter widths, and the page part must not be 0.
    """
    gray = img.convert("L")
    width, height = gray.size
    if width < 8 or height < N_BANDS * 2:
        return None
    pixels = gray.load()
    assert pixels is not None
    # Sample a 5-pixel horizontal average at the centre and at the quarter points: a marker band
    # is uniform across the page, which most photos and documents are not.
    xs = (width // 4, width // 2, (3 * width) // 4)
    bits: list[bool] = []
    for band in range(N_BANDS):
        y = int((band + 0.5) * height / N_BANDS)
        dark: set[bool] = set()
        for cx in xs:
            samples = [pixels[min(max(x, 0), width - 1), y] for x in range(cx - 2, cx + 3)]
            lum = sum(float(s) for s in samples) / len(samples)  # type: ignore[arg-type]
            if lum < _DARK_MAX:
                dark.add(True)
            elif lum > _LIGHT_MIN:
                dark.add(False)
            else:
                return None
        if len(dark) != 1:
            return None
        bits.append(dark.pop())
    if not bits[0] or bits[-1]:
        return None
    value = sum(1 << i for i, black in enumerate(bits[1:-1]) if black)
    # encode_value never yields page 0; rejecting it drops pages with just a dark header bar.
    return value if value % 256 else None

"""A PDF page's own text layer: read in reading order, and judged whether it stands for the page.

Measured (benchmarks/text_layer.py): PyMuPDF's blocks in reading order cost 0.4-7 ms a page and
keep every character of the layer; pymupdf4llm's Markdown kept as many but took ~700 times as
long (7 s a page on the IRS 1040 form) and prints on stdout. So the text is PyMuPDF's own,
block by block, top to bottom.
"""

import pymupdf

from extractors.records import TextLayer
from schemas.text_layer import TextLayerVerdict

# A page this much under images is a scan (or a photo) unless its text says otherwise.
_SCAN_COVERAGE = 0.5
# Over a scan, fewer characters than this are labels (a stamp, a page number), not the page.
_SCAN_MIN_CHARS = 200
# Invisible text (render mode 3) over a scan is an old OCR when it is most of the text.
_INVISIBLE_SHARE = 0.5
# Fonts without a Unicode map give U+FFFD or symbols instead of letters.
_MAX_UNMAPPED_SHARE = 0.02
_MIN_LETTER_SHARE = 0.3
# PyMuPDF's text-trace span type of invisible text (render mode 3).
_INVISIBLE = 3


def read_text_layer(page: pymupdf.Page) -> TextLayer:
    """The page's text in reading order, its verdict, and the figures behind it."""
    blocks = page.get_text("blocks", sort=True)
    text = "\n\n".join(block[4].strip() for block in blocks if block[6] == 0 and block[4].strip())
    chars = sum(1 for c in text if not c.isspace())
    coverage = _image_coverage(page)
    verdict = _verdict(page, text, chars, coverage)
    return TextLayer(verdict, chars, round(coverage, 3), text)


def _verdict(page: pymupdf.Page, text: str, chars: int, coverage: float) -> TextLayerVerdict:
    if chars == 0:
        return TextLayerVerdict.NONE
    unmapped = text.count("\ufffd") + sum(1 for c in text if "\ue000" <= c <= "\uf8ff")
    letters = sum(1 for c in text if c.isalnum())
    if unmapped / chars > _MAX_UNMAPPED_SHARE or letters / chars < _MIN_LETTER_SHARE:
        return TextLayerVerdict.GARBLED
    if coverage < _SCAN_COVERAGE:
        return TextLayerVerdict.USABLE
    # Only a page under an image pays for the trace (one pass over its text spans).
    if _invisible_share(page) >= _INVISIBLE_SHARE:
        return TextLayerVerdict.OCR_LAYER
    if chars < _SCAN_MIN_CHARS:
        return TextLayerVerdict.SCAN_LABELS
    return TextLayerVerdict.USABLE


def _image_coverage(page: pymupdf.Page) -> float:
    """Share of the page under images (overlaps counted once each, capped at the page)."""
    area = abs(page.rect)
    if not area:
        return 0.0
    covered = sum(abs(pymupdf.Rect(info["bbox"]) & page.rect) for info in page.get_image_info())
    return min(1.0, covered / area)


def _invisible_share(page: pymupdf.Page) -> float:
    invisible = visible = 0
    for span in page.get_texttrace():
        count = len(span["chars"])
        if span["type"] == _INVISIBLE or span.get("opacity", 1.0) == 0:
            invisible += count
        else:
            visible += count
    total = invisible + visible
    return invisible / total if total else 0.0

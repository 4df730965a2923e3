"""PDFs whose pages have each kind of text layer, built with PyMuPDF."""

import io
from pathlib import Path

import pymupdf
from PIL import Image, ImageDraw

LETTER = (612, 792)
WORDS = "Invoice 2025-0042 from Harborview Office Interiors, total due 1,234.56 EUR."


def _scan_png(text: str = "") -> bytes:
    """A page-sized grey 'scan' (with a line of drawn text when asked)."""
    image = Image.new("RGB", (850, 1100), (235, 235, 230))
    if text:
        ImageDraw.Draw(image).text((60, 80), text, fill=(20, 20, 20))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def build_kinds_pdf(path: Path) -> Path:
    """Page 1 born-digital, 2 a bare scan, 3 a scan under an invisible OCR layer, 4 a scan
    with a visible stamp of two words."""
    document = pymupdf.open()
    page = document.new_page(width=LETTER[0], height=LETTER[1])
    for line in range(12):
        page.insert_text((72, 90 + 18 * line), f"{WORDS} Line {line + 1}.", fontsize=10)
    for kind in ("bare", "ocr", "stamp"):
        page = document.new_page(width=LETTER[0], height=LETTER[1])
        page.insert_image(page.rect, stream=_scan_png(WORDS))
        if kind == "ocr":
            for line in range(12):
                page.insert_text((72, 90 + 18 * line), WORDS, fontsize=10, render_mode=3)
        if kind == "stamp":
            page.insert_text((400, 60), "PAID 2025", fontsize=14)
    document.save(path)
    document.close()
    return path

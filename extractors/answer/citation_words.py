"""The words of a document's pages with their boxes as shares of the page: what fields are
looked up in.

Two sources, the first that a page has: its text layer's visible words (PyMuPDF, boxes in PDF
points, divided by the page's size in points), else the embedded engine's lines (boxes in the
pixels of the image as sent, divided by that image's size, then mapped through the image's
crop onto the whole page). An OCR line is split into its words, each given the part of the
line's box its characters take, so that an amount at the end of a `TOTAL RM 12.50` line is
cited by a box around the amount, not the whole line.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from extractors.load.content_box import uncropped
from extractors.records import Box, OcrPage, PageWord, RenderedImage, TextLayer

TEXT_LAYER = "text_layer"
OCR = "ocr"


@dataclass(frozen=True)
class PageWords:
    """One page's words in reading order, boxes as shares (0-1) of the page's width and height."""

    page: int
    words: tuple[PageWord, ...]
    found_in: str  # TEXT_LAYER or OCR


def layer_words(page: int, layer: TextLayer, size_points: tuple[float, float]) -> PageWords:
    """A text layer's words, their boxes (PDF points) as shares of the page's size in points."""
    width, height = size_points
    words = tuple(PageWord(w.text, _share(w.box, width, height)) for w in layer.words)
    return PageWords(page, words, TEXT_LAYER)


def ocr_words(ocr_pages: Sequence[OcrPage], images: Sequence[RenderedImage]) -> list[PageWords]:
    """The engine's lines of each image of a request (numbered from 1, as the request sent
    them), split into words, boxes as shares of the page (of the image, mapped through the part
    of the page it holds when its margins were cropped); images it did not report are left
    out."""
    read = []
    for ocr_page in ocr_pages:
        if not 1 <= ocr_page.image <= len(images):
            continue
        image = images[ocr_page.image - 1]
        words = tuple(
            PageWord(text, uncropped(_share(box, image.width, image.height), image.crop))
            for line in ocr_page.lines
            for text, box in _split_line(line.text, line.box)
        )
        read.append(PageWords(image.page, words, OCR))
    return read


def _split_line(text: str, box: Box) -> list[tuple[str, Box]]:
    """A line's words, each with the share of the line's width its characters take."""
    length = len(text) or 1
    width = box.x1 - box.x0
    words, start = [], 0
    for word in text.split():
        start = text.index(word, start)
        end = start + len(word)
        x0 = box.x0 + width * start / length
        words.append((word, Box(x0, box.y0, box.x0 + width * end / length, box.y1)))
        start = end
    return words


def _share(box: Box, width: float, height: float) -> Box:
    """A box as shares of the page's width and height, kept inside the page."""
    width, height = max(width, 1e-9), max(height, 1e-9)
    return Box(
        _clip(box.x0 / width), _clip(box.y0 / height), _clip(box.x1 / width), _clip(box.y1 / height)
    )


def _clip(share: float) -> float:
    return min(1.0, max(0.0, share))

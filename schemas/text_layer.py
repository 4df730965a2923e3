"""What a row's text came from, and what a PDF page's own text layer was judged to be."""

from enum import StrEnum


class TextSource(StrEnum):
    """Where a row's text (or fields) came from."""

    TEXT_LAYER = "text_layer"  # the PDF's own text, read exactly: no request was made
    OCR = "ocr"  # the embedded OCR engine
    MODEL = "model"  # a vision model behind an endpoint
    BLANK = "blank"  # judged blank from its image (no ink but noise): no request was made


class TextLayerVerdict(StrEnum):
    """Whether a PDF page's text layer can stand for the page (`--text-layer auto`)."""

    # Born-digital text that covers the page; hidden text (white on white, under 1 pt, covered,
    # invisible) is left out of it and said in the row's warnings.
    USABLE = "usable"
    NONE = "none"  # no text at all: a scan, or text drawn as outlines
    # Unmappable glyphs, too few letters, or visible text that reads as no language (a wrong
    # ToUnicode map: shifted letters, Latin-1 soup, Cyrillic as ASCII, mojibake).
    GARBLED = "garbled"
    OCR_LAYER = "ocr_layer"  # invisible text over a scan: an old OCR, a hint, not the truth
    SCAN_LABELS = "scan_labels"  # a few words over a page-sized image: the image is the content


TEXT_LAYER_HELP = (
    "The PDF page's text layer: usable, none, garbled, ocr_layer (invisible text over a scan) "
    "or scan_labels (a few words over a page-sized image); null for images or --text-layer off."
)

"""Text in a PDF page's layer that a reader of the page cannot see.

Measured (../shared/docs/trust.md section 1): `get_texttrace()` gives every span with its render
mode, colour, opacity, size and painting order (`seqno`), and `get_bboxlog()` lists what is
painted in that order, so "covered" is something opaque painted later over the span and
"background" is the last fill painted under it. Both cost about as much as `get_text()`.
"""

from collections import defaultdict
from dataclasses import dataclass, field

import pymupdf

from extractors.load.layer.paint import Paints

# Render modes that paint nothing (3: invisible, 7: clip only).
INVISIBLE_MODES = (3, 7)
# Below this opacity a span cannot be read; watermarks sit at 0.1-0.3.
MIN_OPACITY = 0.05
# Below this size (in points, after the text matrix) no reader can read a line.
MIN_SIZE = 1.0
# Colour channels this close (0-1) are the same colour to a reader.
SAME_COLOUR = 0.04

INVISIBLE = "invisible"
TRANSPARENT = "transparent"
TINY = "under 1 pt"
OUTSIDE = "outside the page"
UNDER_IMAGE = "under an image"
UNDER_SHAPE = "under a shape"
WHITE = "white on white"
BACKGROUND = "in its background's colour"
# What an old OCR layer over a scan looks like: text not painted, or painted under the image.
OCR_LIKE = frozenset({INVISIBLE, TRANSPARENT, UNDER_IMAGE})

CharKey = tuple[str, float, float]


def char_key(char: str, origin: tuple[float, float]) -> CharKey:
    """A character by its letter and where it sits (the same in the trace and the text page)."""
    return char, round(origin[0], 1), round(origin[1], 1)


@dataclass(frozen=True)
class HiddenText:
    """The page's hidden characters, why they are hidden, and how many there are."""

    keys: frozenset[CharKey] = frozenset()
    # Hidden lines per reason, in the order first met.
    lines: dict[str, int] = field(default_factory=dict)
    hidden_chars: int = 0
    ocr_like_chars: int = 0  # invisible, transparent or under an image
    total_chars: int = 0

    def ocr_like_share(self) -> float:
        return self.ocr_like_chars / self.total_chars if self.total_chars else 0.0

    def warning(self) -> str:
        """`hidden text left out: 2 lines (white on white, under an image)`."""
        count = sum(self.lines.values())
        noun = "line" if count == 1 else "lines"
        return f"hidden text left out: {count} {noun} ({', '.join(self.lines)})"


def find_hidden_text(page: pymupdf.Page, images: list[dict]) -> HiddenText:
    """Every span of the page's text that is not visibly drawn, with its reason."""
    trace = page.get_texttrace()
    if not trace:
        return HiddenText()
    paints = Paints(page, images)
    crop = pymupdf.Rect(0, 0, page.cropbox.width, page.cropbox.height)
    keys: set[CharKey] = set()
    lines: dict[str, set[int]] = defaultdict(set)
    hidden = ocr_like = total = 0
    for span in trace:
        chars = [c for c in span["chars"] if c[0] > 32]
        total += len(chars)
        reason = _reason(span, paints, crop)
        if reason is None:
            continue
        hidden += len(chars)
        ocr_like += len(chars) if reason in OCR_LIKE else 0
        if any(chr(c[0]).isalnum() for c in chars):  # a covered arrow or rule says nothing
            lines[reason].add(round(span["bbox"][3]))
        keys.update(char_key(chr(c[0]), c[2]) for c in chars)
    counted = {reason: len(baselines) for reason, baselines in lines.items()}
    return HiddenText(frozenset(keys), counted, hidden, ocr_like, total)


def _reason(span: dict, paints: Paints, crop: pymupdf.Rect) -> str | None:
    """Why a reader cannot see this span; None when it is visibly drawn."""
    if span["type"] in INVISIBLE_MODES:
        return INVISIBLE
    if span.get("opacity", 1.0) < MIN_OPACITY:
        return TRANSPARENT
    if span["size"] < MIN_SIZE:
        return TINY
    box = pymupdf.Rect(span["bbox"])
    if not box.intersects(crop):
        return OUTSIDE
    cover = paints.cover(box, span["seqno"])
    if cover is not None:
        return UNDER_IMAGE if cover == "fill-image" else UNDER_SHAPE
    return _colour_reason(span, paints.background(box, span["seqno"]))


def _colour_reason(span: dict, background: tuple[float, ...] | None) -> str | None:
    """Text painted in the colour of what is under it (only filled text: modes 0 and 2)."""
    if background is None or span["type"] not in (0, 2):
        return None
    colour = _rgb(span["color"])
    if max(abs(a - b) for a, b in zip(colour, background, strict=True)) > SAME_COLOUR:
        return None
    return WHITE if min(background) > 1 - SAME_COLOUR else BACKGROUND


def _rgb(colour: tuple[float, ...]) -> tuple[float, float, float]:
    """A trace colour (gray, RGB or CMYK components) as RGB."""
    if len(colour) == 1:
        return colour[0], colour[0], colour[0]
    if len(colour) == 4:
        c, m, y, k = colour
        return (1 - c) * (1 - k), (1 - m) * (1 - k), (1 - y) * (1 - k)
    if len(colour) == 3:
        return colour[0], colour[1], colour[2]
    return 0.0, 0.0, 0.0

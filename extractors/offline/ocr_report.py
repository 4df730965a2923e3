"""The embedded engine's report of its reading, sent beside its answer as `visionbatch_ocr`.

Per image read: its lines with the recogniser's scores and their boxes, how many lines the
detector found, and the engine's warnings (extractors/endpoint/completion.py reads it back).
A line the detector found but the recogniser returned nothing for (an empty text, or a score
under RapidOCR's `Global.text_score`) is missing from the text without a word: the
signature of a script the recogniser has no letters for (../shared/docs/trust.md section 3).
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from extractors.load.scripts import main_script
from extractors.offline.scripts import engine_reads
from extractors.records import Box, OcrLine

# Unread lines are warned of from this many: one or two boxes of a stamp, a logo or a smudge
# go unread on Latin pages too (benchmarks/engine_scripts.py counts them).
UNREAD_LINES = 3
# ...and from this share of the detected lines: a long page loses a few boxes of noise. The
# corpus's pages in scripts the engine cannot read lose 18-67% (Thai 7 of 39 the least); a
# SROIE receipt lost 12% (7 of 59), the most of the Latin pages.
UNREAD_SHARE = 0.15

UNSUPPORTED_SCRIPT = "script not supported by the embedded engine: "
UNREAD_LINES_WARNING = "lines the embedded engine could not read: "


@dataclass(frozen=True)
class PageReading:
    """What the engine read of one image: its text in reading order, its lines as detected,
    and how many lines the detector found."""

    text: str
    lines: tuple[OcrLine, ...]
    detected_lines: int

    @property
    def unread_lines(self) -> int:
        return max(0, self.detected_lines - len(self.lines))


def line_box(quad: Sequence[Sequence[float]], width: int, height: int) -> Box:
    """The axis-aligned bounds of a line's quadrilateral, kept inside the image."""
    xs = [min(max(float(x), 0.0), width) for x, _ in quad]
    ys = [min(max(float(y), 0.0), height) for _, y in quad]
    return Box(round(min(xs), 1), round(min(ys), 1), round(max(xs), 1), round(max(ys), 1))


def page_warnings(reading: PageReading, layer_text: str | None) -> tuple[str, ...]:
    """The engine's warnings on one image: a script it cannot read, when the page's text layer
    says which script it is in; else lines found but not read, past noise."""
    script = main_script(layer_text) if layer_text else None
    if not engine_reads(script):
        return (f"{UNSUPPORTED_SCRIPT}{script}",)
    unread, detected = reading.unread_lines, reading.detected_lines
    if unread < max(UNREAD_LINES, UNREAD_SHARE * detected):
        return ()
    # Pixels alone do not say why, and a layer in a script the engine reads may be look-alike
    # garbage over a scan in another (the corpus's Russian scan): a guess, asked as one.
    return (f"{UNREAD_LINES_WARNING}{unread} of {detected} (a script it does not support?)",)


def ocr_report(readings: Mapping[int, PageReading], layers: Mapping[int, str]) -> dict[str, Any]:
    """The `visionbatch_ocr` field: one page per image read, by its number in the request."""
    return {
        "pages": [
            {
                "image": number,
                "detected_lines": reading.detected_lines,
                "warnings": list(page_warnings(reading, layers.get(number))),
                "lines": [
                    {"text": line.text, "score": line.score, "box": _box_list(line.box)}
                    for line in reading.lines
                ],
            }
            for number, reading in sorted(readings.items())
        ]
    }


def _box_list(box: Box) -> list[float]:
    return [box.x0, box.y0, box.x1, box.y1]

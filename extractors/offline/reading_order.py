"""The detected boxes joined into lines, in reading order, on upright and sideways pages.

A page may reach the engine turned a quarter (a scan fed sideways, or turned wrongly on the
way): RapidOCR still reads its text, since its recogniser turns tall boxes, but the boxes run
down the image and sorting them by height mixes every line into one. Given where the page's
top is, the boxes are turned back into the page's own frame before they are sorted.
"""

from collections.abc import Sequence
from typing import Literal

# Where the page's top edge is in the image: "up" for an upright page.
PageTop = Literal["up", "left", "right"]


# A box this much taller than wide runs down the image (RapidOCR's own test for turning it).
TALL_RATIO = 1.5


# Boxes of fewer characters are as often tall on an upright page ("1", "I").
_MIN_CHARACTERS = 3


def is_tall(quad: Sequence[Sequence[float]]) -> bool:
    """A box that runs down the image: a line of text printed sideways."""
    xs = [point[0] for point in quad]
    ys = [point[1] for point in quad]
    return max(ys) - min(ys) >= TALL_RATIO * (max(xs) - min(xs))


def is_sideways(quads: Sequence[Sequence[Sequence[float]]], texts: Sequence[str]) -> bool:
    """Whether most boxes of a few characters run down the image."""
    wordy = [quad for quad, text in zip(quads, texts, strict=True) if len(text) >= _MIN_CHARACTERS]
    return bool(wordy) and sum(is_tall(quad) for quad in wordy) > len(wordy) / 2


def reading_order(
    quads: Sequence[Sequence[Sequence[float]]], texts: Sequence[str], top: PageTop = "up"
) -> list[str]:
    """Join detected boxes into lines: boxes whose vertical centres overlap share a line."""
    boxes = []
    for quad, text in zip(quads, texts, strict=True):
        points = [_upright(point, top) for point in quad]
        ys = [point[1] for point in points]
        xs = [point[0] for point in points]
        boxes.append((min(ys), max(ys), min(xs), text))
    boxes.sort()
    lines: list[list[tuple[float, float, float, str]]] = []
    for box in boxes:
        top_edge, bottom, _, _ = box
        centre = (top_edge + bottom) / 2
        if lines:
            last = lines[-1]
            line_top = min(b[0] for b in last)
            line_bottom = max(b[1] for b in last)
            if line_top <= centre <= line_bottom:
                last.append(box)
                continue
        lines.append([box])
    return [" ".join(b[3] for b in sorted(line, key=lambda b: b[2])) for line in lines]


def _upright(point: Sequence[float], top: PageTop) -> tuple[float, float]:
    """A point in the page's own frame (x along its lines, y down its lines), up to a shift.

    Top at the right: the lines run down the image and follow each other leftwards; top at
    the left: they run up the image and follow each other rightwards.
    """
    x, y = point[0], point[1]
    if top == "right":
        return y, -x
    if top == "left":
        return -y, x
    return x, y

"""Which side a sideways page's top is on, asked of RapidOCR's own direction classifier.

The boxes of a page turned a quarter run down the image either way; only the letters show
which way. RapidOCR turns each tall box a quarter anticlockwise before reading it, and its
direction classifier says whether the result stands upright or on its head: upright means the
page's top is at the image's right, on its head that it is at the left.
"""

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from extractors.offline.reading_order import PageTop, is_sideways, is_tall
from extractors.offline.recognised import RecognisedLine

# A dozen boxes decide: the classifier takes a few milliseconds for them.
_SAMPLED_BOXES = 12


# The classifier: crops in, [(label, score), ...] out.
Classifier = Callable[[list[np.ndarray]], Sequence[Sequence[Any]]]


def page_top(lines: Sequence[RecognisedLine], rgb: np.ndarray, classify: Classifier) -> PageTop:
    """Where the page's top is: "up" unless most boxes run down the image."""
    if not is_sideways([line.quad for line in lines], [line.text for line in lines]):
        return "up"
    crops = [_turned_crop(rgb, line.quad) for line in lines if is_tall(line.quad)]
    crops = [crop for crop in crops if crop.size][:_SAMPLED_BOXES]
    if not crops:
        return "up"
    labels = classify(crops)
    upside_down = sum("180" in str(label[0]) for label in labels)
    return "left" if upside_down > len(labels) / 2 else "right"


def _turned_crop(rgb: np.ndarray, quad: Sequence[Sequence[float]]) -> np.ndarray:
    """The box's pixels turned a quarter anticlockwise, as RapidOCR turns a tall box."""
    xs = [int(point[0]) for point in quad]
    ys = [int(point[1]) for point in quad]
    crop = rgb[max(0, min(ys)) : max(ys) + 1, max(0, min(xs)) : max(xs) + 1]
    return np.ascontiguousarray(np.rot90(crop))

"""Word spaces put back into RapidOCR's lines, where the recogniser ran the words together.

PP-OCRv4's recogniser drops many spaces on receipts ("TAMANDAYA", "SDNBHD"). Its word boxes
(`return_word_box`) place each character, and the line's pixels show where the ink stops: a
space belongs between two characters when the blank run of columns between their centres is
wide for the line's height *and* the characters stand further apart than the line's usual
pitch. Either test alone splits words of monospaced receipt fonts at narrow letters ("i",
"l"); both together were best on receipts (benchmarks/ocr_spacing.py).
"""

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

# A blank run of at least this share of the line's height is a word space...
BLANK_SHARE_OF_HEIGHT = 0.2


# ...when the two characters' centres are also this much further apart than the median pitch.
PITCH_FACTOR = 1.2


# Characters a word space never precedes.
_NO_SPACE_BEFORE = frozenset(" .,:;)%-")


# The characters of a number, a date or a time, which the recogniser's spacing is left to.
_NUMBER_CHARACTERS = frozenset("0123456789.,:/-")


@dataclass(frozen=True)
class RecognisedLine:
    """One detected line: its quadrilateral, its text, and each character with its box."""

    quad: Sequence[Sequence[float]]
    text: str
    characters: Sequence[str]
    character_boxes: Sequence[Sequence[Sequence[float]]]

    @classmethod
    def from_rapidocr(cls, entry: Sequence[Any]) -> "RecognisedLine":
        """From one entry of RapidOCR's result; its word boxes when it was asked for them."""
        if len(entry) >= 5:
            return cls(entry[0], str(entry[1]), list(entry[4]), list(entry[3]))
        return cls(entry[0], str(entry[1]), [], [])


def respaced(line: RecognisedLine, gray: np.ndarray) -> str:
    """The line's text with a space wherever the ink and the pitch show a word gap."""
    chars = line.characters
    if len(chars) < 2 or len(chars) != len(line.character_boxes):
        return line.text
    centres = [(box[0][0] + box[1][0]) / 2 for box in line.character_boxes]
    pitches = [
        centres[i + 1] - centres[i]
        for i in range(len(chars) - 1)
        if chars[i] != " " and chars[i + 1] != " "
    ]
    if not pitches:
        return line.text
    wide_pitch = PITCH_FACTOR * statistics.median(pitches)
    left, ink, height = _ink_columns(gray, line.quad)
    out = [chars[0]]
    for i in range(1, len(chars)):
        if _may_part(chars[i - 1], chars[i]) and centres[i] - centres[i - 1] > wide_pitch:
            between = ink[max(0, int(centres[i - 1]) - left) : max(0, int(centres[i]) - left)]
            if _longest_blank(between) > BLANK_SHARE_OF_HEIGHT * height:
                out.append(" ")
        out.append(chars[i])
    return "".join(out)


def _may_part(left: str, right: str) -> bool:
    """Whether a space may go between two characters: not beside one, not inside a number
    ("10.00", "2025", "09:12": monospaced digits and points stand wide apart), not beside a
    hyphen ("20965-U", "B-F-11"), not before a closing mark nor after an opening one."""
    if left in " (-" or right in _NO_SPACE_BEFORE:
        return False
    return not (left in _NUMBER_CHARACTERS and right in _NUMBER_CHARACTERS)


def _ink_columns(gray: np.ndarray, quad: Sequence[Sequence[float]]) -> tuple[int, np.ndarray, int]:
    """The line's left edge, which of its pixel columns hold ink, and its height in pixels.

    Ink is darker than halfway between the line's darkest pixel and its median (the paper).
    """
    xs = [point[0] for point in quad]
    ys = [point[1] for point in quad]
    left, top = max(0, int(min(xs))), max(0, int(min(ys)))
    crop = gray[top : int(max(ys)) + 1, left : int(max(xs)) + 1]
    if crop.size == 0:
        return left, np.zeros(0, dtype=bool), 1
    threshold = (int(crop.min()) + int(np.median(crop))) / 2
    ink: np.ndarray = np.asarray((crop < threshold).any(axis=0))
    return left, ink, int(crop.shape[0])


def _longest_blank(ink: np.ndarray) -> int:
    """The longest run of columns without ink."""
    longest = run = 0
    for has_ink in ink:
        run = 0 if has_ink else run + 1
        longest = max(longest, run)
    return longest

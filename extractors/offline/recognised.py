"""What the recogniser read of one detected line: where the line is, and its text."""

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

# A full-width form (U+FF01-FF5E: "：", "（", "＃") beside ASCII. PP-OCRv6 knows Chinese and
# Latin print with one alphabet, and now and then reads a colon or a bracket of Latin text as
# its full-width twin ("Order #：2291"). Beside CJK it is what was printed, and stays.
_FULL_WIDTH_BESIDE_ASCII = re.compile(r"(?<=[ -~])[\uff01-\uff5e]|[\uff01-\uff5e](?=[ -~])")


@dataclass(frozen=True)
class RecognisedLine:
    """One detected line: its quadrilateral (four corners, image pixels) and its text."""

    quad: Sequence[Sequence[float]]
    text: str


def latin_forms(text: str) -> str:
    """The text with full-width forms beside ASCII turned into their ASCII twins."""
    return _FULL_WIDTH_BESIDE_ASCII.sub(lambda m: unicodedata.normalize("NFKC", m[0]), text)

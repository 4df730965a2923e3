"""What the recogniser read of one detected line: where the line is, and its text."""

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class RecognisedLine:
    """One detected line: its quadrilateral (four corners, image pixels) and its text."""

    quad: Sequence[Sequence[float]]
    text: str

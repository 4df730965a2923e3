"""How far a row can be trusted: the doubts raised about it, and the confidence they leave.

A row's `confidence` (0-1) starts from what read the page (`base`: the text layer, the embedded
engine's line scores, a model's token probabilities) and is multiplied by the factor of each
doubt raised about it (hidden text left out, a repetition loop kept after a re-ask, a field not
found on its page...). Each doubt is also one of the row's `warnings`, so a low confidence always
says why. Doubts are made where they are found, with their factor beside the check that raises
them; this module only combines them.
"""

import math
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Doubt:
    """Something that makes a row less sure: its warning text, and how much it costs."""

    warning: str
    # What the row's confidence is multiplied by: 1.0 is a note, 0.2 says "do not use as is".
    factor: float

    def __post_init__(self) -> None:
        if not 0.0 <= self.factor <= 1.0:
            raise ValueError(f"a doubt's factor is in [0, 1], not {self.factor}")


def confidence(base: float, doubts: Iterable[Doubt]) -> float:
    """`base` (clipped to [0, 1]) times every doubt's factor, rounded to 3 places."""
    value = min(1.0, max(0.0, base))
    for doubt in doubts:
        value *= doubt.factor
    return round(value, 3)


def warnings_of(doubts: Iterable[Doubt]) -> list[str]:
    """The doubts' warnings, in order, each once."""
    return list(dict.fromkeys(doubt.warning for doubt in doubts))


# What a reading is worth before any doubt, when nothing measured says more: a usable text
# layer is the PDF's own characters (judged to stand for what is drawn); a model that returned
# no token probabilities is taken at a prior, lowered by every doubt its answer raises.
LAYER_BASE = 0.98
MODEL_PRIOR = 0.9
# Ok rows under this confidence are rows to check (`visionbatch report --low-confidence`).
LOW_CONFIDENCE = 0.7


@dataclass(frozen=True)
class Trust:
    """What a row's confidence is made of: a base from what read it, and the doubts raised."""

    base: float
    doubts: tuple[Doubt, ...] = ()

    @property
    def confidence(self) -> float:
        return confidence(self.base, self.doubts)

    @property
    def warnings(self) -> list[str]:
        return warnings_of(self.doubts)

    def doubted(self, *doubts: Doubt) -> "Trust":
        """This trust with more doubts."""
        return Trust(self.base, (*self.doubts, *doubts))


def model_base(mean_logprob: float | None) -> float:
    """A model's answer: the geometric mean of its tokens' probabilities when the endpoint
    returned them (`logprobs`), else the prior."""
    if mean_logprob is None:
        return MODEL_PRIOR
    return min(1.0, math.exp(min(0.0, mean_logprob)))

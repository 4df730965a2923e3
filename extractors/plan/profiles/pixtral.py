"""Pixtral's image tokens: a token per 16-px patch, plus a row break."""

import math
from dataclasses import dataclass

from extractors.plan.profiles.base import shrink_to_longest


@dataclass(frozen=True)
class PixtralProfile:
    """Pixtral-12B: longest side shrunk to 1024; a token per 16-px patch, plus a row break."""

    name: str = "pixtral"
    max_side: int = 1024
    patch: int = 16
    pad_to_square: bool = False

    def fit(self, width: int, height: int) -> tuple[int, int]:
        return shrink_to_longest(width, height, self.max_side)

    def image_tokens(self, width: int, height: int) -> int:
        w, h = self.fit(width, height)
        cols, rows = math.ceil(w / self.patch), math.ceil(h / self.patch)
        return rows * (cols + 1)

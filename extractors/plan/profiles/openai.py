"""OpenAI's image tokens: 512-px tiles after the detail resize."""

import math
from dataclasses import dataclass

from extractors.plan.profiles.base import shrink_to_longest


@dataclass(frozen=True)
class OpenAITileProfile:
    """GPT-4o class, detail high: fit 2048x2048, short side to 768, 85 + 170 per 512-px tile."""

    name: str = "openai"
    box: int = 2048
    short_side: int = 768
    tile: int = 512
    pad_to_square: bool = False

    def fit(self, width: int, height: int) -> tuple[int, int]:
        w, h = shrink_to_longest(width, height, self.box)
        ratio = min(w, h) / self.short_side
        if ratio > 1:
            w, h = max(1, round(w / ratio)), max(1, round(h / ratio))
        return w, h

    def image_tokens(self, width: int, height: int) -> int:
        w, h = self.fit(width, height)
        return 85 + 170 * math.ceil(w / self.tile) * math.ceil(h / self.tile)

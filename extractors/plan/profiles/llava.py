"""LLaVA-1.5's image tokens: a 336-px centre crop, padded so nothing is lost."""

from dataclasses import dataclass

from extractors.plan.profiles.base import shrink_to_longest


@dataclass(frozen=True)
class CentreCropProfile:
    """LLaVA-1.5: short side to 336 then a centre crop, 576 tokens.

    We pad the page to a square before sending, so the crop removes only padding and the whole
    page stays visible (unpadded, a letter page would lose ~23% of its height).
    """

    name: str = "llava-1.5"
    side: int = 336
    tokens: int = 576
    pad_to_square: bool = True

    def fit(self, width: int, height: int) -> tuple[int, int]:
        return shrink_to_longest(width, height, self.side)

    def image_tokens(self, width: int, height: int) -> int:
        return self.tokens

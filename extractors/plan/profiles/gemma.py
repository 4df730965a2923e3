"""Gemma 3's image tokens: every image stretched to one fixed square."""

from dataclasses import dataclass


@dataclass(frozen=True)
class FixedGridProfile:
    """Models that stretch every image to one fixed square (Gemma 3: 896x896, 258 tokens)."""

    name: str = "gemma3"
    side: int = 896
    tokens: int = 258
    pad_to_square: bool = False

    def fit(self, width: int, height: int) -> tuple[int, int]:
        # The model stretches each axis to `side`: more pixels than that on either axis are lost.
        return min(width, self.side), min(height, self.side)

    def image_tokens(self, width: int, height: int) -> int:
        return self.tokens

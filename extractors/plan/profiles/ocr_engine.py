"""The embedded OCR engine's profile: pixels it reads well, no real tokens."""

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class OcrEngineProfile:
    """The embedded OCR engine: up to ~0.8 Mpx; 1 token per 16x16 pixels, for budgeting only.

    Measured on a text page: PP-OCRv4 reads 724x1024 in 3.7 s and 1414x2000 in 8.4 s, and the
    larger one loses more word spaces; its recogniser works on ~48-px-high lines anyway.
    """

    name: str = "local-ocr"
    max_pixels: int = 1024 * 768
    pad_to_square: bool = False

    def fit(self, width: int, height: int) -> tuple[int, int]:
        if width * height <= self.max_pixels:
            return width, height
        scale = math.sqrt(self.max_pixels / (width * height))
        return max(1, math.floor(width * scale)), max(1, math.floor(height * scale))

    def image_tokens(self, width: int, height: int) -> int:
        w, h = self.fit(width, height)
        return math.ceil(w / 16) * math.ceil(h / 16)

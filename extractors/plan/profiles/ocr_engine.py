"""The embedded OCR engine's profile: pixels it reads well, no real tokens."""

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class OcrEngineProfile:
    """The embedded OCR engine: up to ~1.2 Mpx; 1 token per 16x16 pixels, for budgeting only.

    RapidOCR sizes a page for detection itself (its shorter side to 736 px) and crops the
    lines it recognises from the image it is given: a narrow receipt at 1.2 Mpx costs about
    what it did at 0.8 Mpx to detect, and its small print is recognised from sharper crops.
    Its recogniser works on ~48-px-high lines: on the 120 SROIE receipts, 2 Mpx took 12% longer
    than 1.2 Mpx for the same fields within a receipt or two (PP-OCRv6, 2026-12-02: `visionbatch
    run ../shared/corpus/receipts` with each cap, its page texts scored as receipts).
    """

    name: str = "local-ocr"
    max_pixels: int = 1280 * 960
    pad_to_square: bool = False

    def fit(self, width: int, height: int) -> tuple[int, int]:
        if width * height <= self.max_pixels:
            return width, height
        scale = math.sqrt(self.max_pixels / (width * height))
        return max(1, math.floor(width * scale)), max(1, math.floor(height * scale))

    def image_tokens(self, width: int, height: int) -> int:
        w, h = self.fit(width, height)
        return math.ceil(w / 16) * math.ceil(h / 16)

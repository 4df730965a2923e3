"""Qwen2.5-VL's image tokens: 28-px patches within a pixel range."""

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class QwenProfile:
    """Qwen2.5-VL: sides to multiples of 28 within [min_pixels, max_pixels]; one token per 28x28.

    max_pixels defaults to 1280*28*28, the setting Qwen's model card recommends for documents:
    the processor would keep up to 12.8 Mpx, which costs 16k tokens for no gain in legibility.
    """

    name: str = "qwen2.5-vl"
    factor: int = 28
    min_pixels: int = 4 * 28 * 28
    max_pixels: int = 1280 * 28 * 28
    pad_to_square: bool = False

    def _resized(self, width: int, height: int) -> tuple[int, int]:
        f = self.factor
        h_bar = max(f, round(height / f) * f)
        w_bar = max(f, round(width / f) * f)
        if h_bar * w_bar > self.max_pixels:
            beta = math.sqrt(height * width / self.max_pixels)
            h_bar = max(f, math.floor(height / beta / f) * f)
            w_bar = max(f, math.floor(width / beta / f) * f)
        elif h_bar * w_bar < self.min_pixels:
            beta = math.sqrt(self.min_pixels / (height * width))
            h_bar = math.ceil(height * beta / f) * f
            w_bar = math.ceil(width * beta / f) * f
        return w_bar, h_bar

    def fit(self, width: int, height: int) -> tuple[int, int]:
        w_bar, h_bar = self._resized(width, height)
        if w_bar >= width or h_bar >= height:
            return width, height  # the model's own rounding would grow a side: send as is
        return w_bar, h_bar

    def image_tokens(self, width: int, height: int) -> int:
        w_bar, h_bar = self._resized(width, height)
        return (w_bar // self.factor) * (h_bar // self.factor) + 2

"""Token arithmetic: what an image costs each model family, and packing pages into requests."""

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from extractors.errors import PageDoesNotFitError

# Text tokens each image adds besides its pixels: the "Image N:" label and the part wrapper.
IMAGE_LABEL_TOKENS = 8


class TokenProfile(Protocol):
    """How one model family resizes an image and what it then costs in prompt tokens."""

    @property
    def name(self) -> str:
        """The profile's name, as `--token-profile` takes it."""
        ...

    @property
    def pad_to_square(self) -> bool:
        """Whether pages are padded to a square so the model's crop keeps all of them."""
        ...

    def fit(self, width: int, height: int) -> tuple[int, int]:
        """The largest size worth sending for an image of this size (never larger)."""
        ...

    def image_tokens(self, width: int, height: int) -> int:
        """Prompt tokens the image adds when sent at this size."""
        ...


def _shrink_to_longest(width: int, height: int, longest: int) -> tuple[int, int]:
    ratio = max(width, height) / longest
    if ratio <= 1:
        return width, height
    return max(1, round(width / ratio)), max(1, round(height / ratio))


@dataclass(frozen=True)
class PixtralProfile:
    """Pixtral-12B: longest side shrunk to 1024; a token per 16-px patch, plus a row break."""

    name: str = "pixtral"
    max_side: int = 1024
    patch: int = 16
    pad_to_square: bool = False

    def fit(self, width: int, height: int) -> tuple[int, int]:
        return _shrink_to_longest(width, height, self.max_side)

    def image_tokens(self, width: int, height: int) -> int:
        w, h = self.fit(width, height)
        cols, rows = math.ceil(w / self.patch), math.ceil(h / self.patch)
        return rows * (cols + 1)


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
        return _shrink_to_longest(width, height, self.side)

    def image_tokens(self, width: int, height: int) -> int:
        return self.tokens


@dataclass(frozen=True)
class OpenAITileProfile:
    """GPT-4o class, detail high: fit 2048x2048, short side to 768, 85 + 170 per 512-px tile."""

    name: str = "openai"
    box: int = 2048
    short_side: int = 768
    tile: int = 512
    pad_to_square: bool = False

    def fit(self, width: int, height: int) -> tuple[int, int]:
        w, h = _shrink_to_longest(width, height, self.box)
        ratio = min(w, h) / self.short_side
        if ratio > 1:
            w, h = max(1, round(w / ratio)), max(1, round(h / ratio))
        return w, h

    def image_tokens(self, width: int, height: int) -> int:
        w, h = self.fit(width, height)
        return 85 + 170 * math.ceil(w / self.tile) * math.ceil(h / self.tile)


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


PROFILES: dict[str, TokenProfile] = {
    p.name: p
    for p in (
        PixtralProfile(),
        QwenProfile(),
        FixedGridProfile(),
        CentreCropProfile(),
        OpenAITileProfile(),
        OcrEngineProfile(),
    )
}

_MODEL_HINTS = (
    ("qwen", "qwen2.5-vl"),
    ("gemma", "gemma3"),
    ("llava", "llava-1.5"),
    ("gpt-", "openai"),
    ("o4-", "openai"),
    ("pixtral", "pixtral"),
    ("mistral", "pixtral"),
)


def get_profile(name: str) -> TokenProfile:
    """The profile of that name, or a ValueError listing the known ones."""
    try:
        return PROFILES[name]
    except KeyError:
        raise ValueError(f"unknown token profile {name!r}; known: {', '.join(PROFILES)}") from None


def infer_profile(model: str, default: str = "pixtral") -> str:
    """The profile a model name suggests (qwen, gemma, llava, gpt-...), else `default`."""
    lowered = model.lower()
    return next((profile for hint, profile in _MODEL_HINTS if hint in lowered), default)


@dataclass(frozen=True)
class BudgetOptions:
    """Limits of one request: images, context, and the room kept for prompt text and answer."""

    max_images: int = 12
    context_tokens: int = 128_000
    max_output_tokens: int = 16_384
    prompt_tokens: int = 600
    # Answer room each page needs: caps images per request when max_output_tokens is small,
    # so that answers are not cut off mid-page.
    output_tokens_per_image: int = 1_024

    @property
    def image_budget(self) -> int:
        """Tokens left for images in one request."""
        return self.context_tokens - self.prompt_tokens - self.max_output_tokens

    @property
    def images_per_request(self) -> int:
        """Most images one request may carry."""
        by_output = self.max_output_tokens // max(1, self.output_tokens_per_image)
        return max(1, min(self.max_images, by_output))


@dataclass(frozen=True)
class PlannedPage:
    """A page with the size it will be sent at and what that costs."""

    page: int
    width: int
    height: int
    image_tokens: int


@dataclass(frozen=True)
class ChunkPlan:
    """The pages of one request, in document order."""

    pages: tuple[PlannedPage, ...]

    @property
    def image_tokens(self) -> int:
        return sum(p.image_tokens + IMAGE_LABEL_TOKENS for p in self.pages)


def size_page(
    page: int, width: int, height: int, profile: TokenProfile, image_budget: int
) -> PlannedPage:
    """Size a page for the model, downscaling it until it fits `image_budget` alone."""
    w, h = profile.fit(max(1, width), max(1, height))
    budget = image_budget - IMAGE_LABEL_TOKENS
    tokens = profile.image_tokens(w, h)
    if tokens <= budget:
        return PlannedPage(page, w, h, tokens)
    longest = _largest_side_within(w, h, profile, budget)
    if longest is None:
        raise PageDoesNotFitError(
            f"page {page} needs at least {profile.image_tokens(1, 1)} image tokens but only "
            f"{max(budget, 0)} are left in the context"
        )
    w2, h2 = _shrink_to_longest(w, h, longest)
    return PlannedPage(page, w2, h2, profile.image_tokens(w2, h2))


def _largest_side_within(w: int, h: int, profile: TokenProfile, budget: int) -> int | None:
    """Binary search of the longest side whose image fits the token budget."""
    low, high = 0, max(w, h)
    while low < high:
        mid = (low + high + 1) // 2
        if profile.image_tokens(*_shrink_to_longest(w, h, mid)) <= budget:
            low = mid
        else:
            high = mid - 1
    return low or None


def plan_chunks(pages: Sequence[PlannedPage], options: BudgetOptions) -> list[ChunkPlan]:
    """Pack pages, in order, into requests within the image count and the context."""
    chunks: list[ChunkPlan] = []
    current: list[PlannedPage] = []
    used = 0
    for page in pages:
        cost = page.image_tokens + IMAGE_LABEL_TOKENS
        if current and (
            len(current) >= options.images_per_request or used + cost > options.image_budget
        ):
            chunks.append(ChunkPlan(tuple(current)))
            current, used = [], 0
        current.append(page)
        used += cost
    if current:
        chunks.append(ChunkPlan(tuple(current)))
    return chunks


def split_chunk(chunk: ChunkPlan) -> list[ChunkPlan]:
    """Halve a chunk (for a re-ask or a rejected request); a single page stays as it is."""
    if len(chunk.pages) <= 1:
        return [chunk]
    middle = len(chunk.pages) // 2
    return [ChunkPlan(chunk.pages[:middle]), ChunkPlan(chunk.pages[middle:])]

"""What a token profile is: how a model family resizes an image and what it costs."""

from typing import Protocol


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


def shrink_to_longest(width: int, height: int, longest: int) -> tuple[int, int]:
    ratio = max(width, height) / longest
    if ratio <= 1:
        return width, height
    return max(1, round(width / ratio)), max(1, round(height / ratio))

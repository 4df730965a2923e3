"""The report's records of pages not sent: a line per kind, and the dataset's figures."""

from dataclasses import dataclass


@dataclass(frozen=True)
class SavedLine:
    """Pages of one kind answered without a request, and the image tokens they did not send.

    A page's tokens are its row's own (a repeated page keeps its original's), else estimated
    from its size by the token profile that gives every sent page of the dataset its tokens,
    else the median of the sent pages' (a text-layer row has no size); `unknown` pages have
    none of these and are left out of the tokens and the cost.

    The cropped-margins line counts pages sent cut to their content box: its tokens are what
    each whole page would have cost (estimated from its size by that profile: `by_size`) less
    what the row sent; `unknown` without the profile.
    """

    kind: str
    pages: int
    image_tokens: int
    own: int
    by_size: int
    by_median: int
    unknown: int
    # Of the image tokens, at the input price of each row's provider and model (batch price
    # for a run answered through a batch API); None when a price is unknown or currencies mix.
    cost: float | None
    currency: str | None
    self_hosted: bool

    @property
    def estimated(self) -> bool:
        return self.by_size + self.by_median > 0


@dataclass(frozen=True)
class Savings:
    """What a page dataset did not send: a line per kind (unsent pages, then margins cropped off
    sent pages), and the prompt tokens it did send."""

    lines: tuple[SavedLine, ...]
    # None when the engine counts no tokens (the embedded engine): no share to give.
    sent_prompt_tokens: int | None
    # The token profile that gives every sent page its tokens from its size (None: no single
    # profile does, or nothing was sent), and the sent pages' median image tokens.
    profile: str | None
    median_image_tokens: int | None

    @property
    def image_tokens(self) -> int:
        return sum(line.image_tokens for line in self.lines)

    @property
    def share(self) -> float | None:
        """Saved tokens as a share of the prompt tokens a run sending every page, whole, would
        have sent (sent + saved); None when there is no token to compare (the embedded engine)."""
        if self.sent_prompt_tokens is None:
            return None
        before = self.sent_prompt_tokens + self.image_tokens
        return self.image_tokens / before if before > 0 else None

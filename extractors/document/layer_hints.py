"""Which pages' own text goes beside their images in a request (`--text-layer`), cut to fit."""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from extractors.endpoint.prompt import text_tokens
from extractors.options import TextLayerMode
from extractors.records import DocumentLayout, PlannedPage
from extractors.trust import Doubt

# A cut hint is still a hint: the model reads the page, and the layer helps with what it holds.
# The row says where it was cut, at a small cost to its confidence.
_CUT_FACTOR = 0.95


def layer_texts(
    layout: DocumentLayout, pages: Iterable[int], mode: TextLayerMode, per_page: bool
) -> dict[int, str]:
    """Page -> its text layer, for the pages whose layer is sent beside their image.

    `hint` sends any layer, an old OCR's included. Otherwise only a usable layer is sent, and
    only to a document schema: for `page_text` a usable layer is the row itself (no request).
    """
    if mode == TextLayerMode.OFF or (per_page and mode != TextLayerMode.HINT):
        return {}
    texts = {}
    for page in pages:
        layer = layout.text_layer(page)
        if layer is not None and layer.text and (mode == TextLayerMode.HINT or layer.usable):
            texts[page] = layer.text
    return texts


@dataclass(frozen=True)
class FittedHints:
    """The hints of one request within its room, and the pages whose hint was cut."""

    texts: dict[int, str]
    # Page -> (characters kept, characters in its layer).
    cuts: dict[int, tuple[int, int]]

    def doubts(self, page: int) -> tuple[Doubt, ...]:
        """The page's note when its hint was cut: where, so a reader knows what the model saw."""
        if page not in self.cuts:
            return ()
        return (hint_cut_doubt(*self.cuts[page]),)

    @property
    def cut_pages(self) -> tuple[tuple[int, int, int], ...]:
        """(page, characters sent, characters in its layer) of each cut hint."""
        return tuple((page, kept, total) for page, (kept, total) in sorted(self.cuts.items()))


def hint_cut_doubt(kept: int, total: int) -> Doubt:
    """The note of a page whose layer was cut to fit beside its image."""
    warning = f"text layer hint cut to fit the request: {kept:,} of {total:,} characters"
    return Doubt(warning, _CUT_FACTOR)


def fitted_hints(
    layout: DocumentLayout, pages: Sequence[PlannedPage], texts: Mapping[int, str], room: int
) -> FittedHints:
    """The hints of a request's pages cut to `room`, the tokens its context has left once its
    images are in (a page sent as its text alone is not cut: it was planned as text)."""
    as_text = {p.page for p in pages if p.as_text}
    cut = fit_hints({p: t for p, t in texts.items() if p not in as_text}, room)
    kept = {p: t for p, t in texts.items() if p in as_text}
    return FittedHints({**cut.texts, **kept}, cut.cuts)


def fit_hints(texts: Mapping[int, str], room_tokens: int) -> FittedHints:
    """The hints cut so that together they take at most `room_tokens`: the room is shared
    equally, and what a short hint leaves of its share goes to the longer ones; each cut
    ends at a space and says so, so the model knows the layer goes on."""
    shares = _shares({page: text_tokens(text) for page, text in texts.items()}, room_tokens)
    fitted: dict[int, str] = {}
    cuts: dict[int, tuple[int, int]] = {}
    for page, text in texts.items():
        if text_tokens(text) <= shares[page]:
            fitted[page] = text
            continue
        kept = _cut(text, shares[page] - _NOTE_TOKENS)
        if kept:
            fitted[page] = f"{kept} {_CUT_NOTE.format(kept=len(kept), total=len(text))}"
        cuts[page] = (len(kept), len(text))
    return FittedHints(fitted, cuts)


_CUT_NOTE = "[text layer cut here: {kept:,} of {total:,} characters sent]"
_NOTE_TOKENS = 24


def _shares(needs: Mapping[int, int], room: int) -> dict[int, int]:
    """Water-filling: each hint gets what it needs up to an equal share of what is left."""
    shares: dict[int, int] = {}
    left, waiting = max(0, room), sorted(needs, key=lambda page: needs[page])
    while waiting:
        equal = left // len(waiting)
        page = waiting.pop(0)
        shares[page] = min(needs[page], equal)
        left -= shares[page]
    return shares


def _cut(text: str, tokens: int) -> str:
    """The longest start of `text` within `tokens`, ended at a space when there is one."""
    if tokens <= 0:
        return ""
    # No prefix longer than this fits (a token is at most 3 characters): search within it.
    low, high = 0, min(len(text), 3 * tokens + 3)
    while low < high:  # text_tokens grows with the prefix: find the longest that fits
        middle = (low + high + 1) // 2
        if text_tokens(text[:middle]) <= tokens:
            low = middle
        else:
            high = middle - 1
    head = text[:low]
    space = head.rfind(" ")
    return (head[:space] if space > len(head) // 2 else head).rstrip()

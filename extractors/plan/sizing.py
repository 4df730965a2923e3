"""Sizing a page for the model: as large as worth sending, downscaled until it fits."""

from collections.abc import Iterable, Sequence

from extractors.errors import PageDoesNotFitError
from extractors.plan.profiles.base import TokenProfile, shrink_to_longest
from extractors.records import IMAGE_LABEL_TOKENS, DocumentLayout, PlannedPage


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
    w2, h2 = shrink_to_longest(w, h, longest)
    return PlannedPage(page, w2, h2, profile.image_tokens(w2, h2))


def _largest_side_within(w: int, h: int, profile: TokenProfile, budget: int) -> int | None:
    """Binary search of the longest side whose image fits the token budget."""
    low, high = 0, max(w, h)
    while low < high:
        mid = (low + high + 1) // 2
        if profile.image_tokens(*shrink_to_longest(w, h, mid)) <= budget:
            low = mid
        else:
            high = mid - 1
    return low or None


def size_pages(
    page_sizes: Sequence[tuple[int, int]],
    numbers: Iterable[int],
    profile: TokenProfile,
    image_budget: int,
    whole_sizes: Sequence[tuple[int, int]] = (),
) -> tuple[list[PlannedPage], list[tuple[int, PageDoesNotFitError]]]:
    """These pages (1-based) sized for the budget, and the ones that cannot fit, with why.

    With `whole_sizes` (a layout's with `--crop-margins`), a cropped page costs at most what its
    whole page would: a content box near square would otherwise fill the profile's longest side
    and cost more than the page it was cut from."""
    planned: list[PlannedPage] = []
    unfit: list[tuple[int, PageDoesNotFitError]] = []
    for number in numbers:
        width, height = page_sizes[number - 1]
        budget = image_budget
        try:
            if whole_sizes:
                budget = min(budget, whole_page_budget(whole_sizes[number - 1], profile, budget))
            planned.append(size_page(number, width, height, profile, budget))
        except PageDoesNotFitError as exc:
            unfit.append((number, exc))
    return planned, unfit


def whole_page_budget(size: tuple[int, int], profile: TokenProfile, image_budget: int) -> int:
    """The image budget that the whole page of `size` takes, sized alone."""
    return size_page(0, *size, profile, image_budget).image_tokens + IMAGE_LABEL_TOKENS


def size_layout_pages(
    layout: DocumentLayout, numbers: Iterable[int], profile: TokenProfile, image_budget: int
) -> tuple[list[PlannedPage], list[tuple[int, PageDoesNotFitError]]]:
    """`size_pages` for a document's pages, each at most what its whole page would cost."""
    return size_pages(layout.page_sizes, numbers, profile, image_budget, layout.whole_sizes)

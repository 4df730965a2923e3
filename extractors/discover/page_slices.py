"""Long documents cut into slices of pages, so that Dask spreads one document over its workers.

A 2,000-page PDF is otherwise one shard's work, drawn by one worker however many wait. Before
shards are made, each local document whose selected pages (`--pages`) outnumber the threshold
is cut into `PageSlice`s of even size, at most the threshold each; each slice is a shard of its
own (`files.shards`) and its rows are those its pages would have had in the whole document.
The page count is read from the page tree (`page_count.pages_in`), no page is loaded. Remote
files are not fetched for this and stay whole, and so does a file that cannot be read (its one
error row is the same either way).
"""

import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from extractors.discover.local_walk import FoundInput, PageSlice
from extractors.discover.page_count import pages_in
from extractors.discover.page_ranges import EVERY_PAGE, PageRanges
from extractors.discover.storage import is_remote


@dataclass(frozen=True)
class SlicingOptions:
    """When a document is sliced: more than `max_pages` of its pages selected."""

    max_pages: int
    # `--pages`: only selected pages count, and each slice holds as many of them.
    pages: PageRanges = EVERY_PAGE
    # A protected PDF's pages are counted with it; without it the file is one error row.
    password: str | None = field(default=None, repr=False)


def spread_long_documents(
    found: Iterable[FoundInput], options: SlicingOptions | None
) -> Iterator[FoundInput]:
    """The inputs, each long local document in its slices (in page order), as they come;
    with no options (a document schema, which needs whole documents), the inputs as they are."""
    for item in found:
        if options is None or not isinstance(item, str) or is_remote(item):
            yield item
        else:
            yield from slices_of(item, pages_in(item, options.password), options)


def slices_of(location: str, page_count: int, options: SlicingOptions) -> list[FoundInput]:
    """A document's slices, or the document itself when its selected pages fit in one."""
    selected = options.pages.of(page_count)
    if len(selected) <= options.max_pages:
        return [location]
    groups = _even_groups(selected, math.ceil(len(selected) / options.max_pages))
    return [
        PageSlice(location, PageRanges(_runs(group)), page_count, part, len(groups))
        for part, group in enumerate(groups, start=1)
    ]


def _even_groups(pages: tuple[int, ...], parts: int) -> list[tuple[int, ...]]:
    """`parts` consecutive groups whose sizes differ by one at most: 201 pages in two are 101
    and 100, not 200 and a lone page."""
    size, larger = divmod(len(pages), parts)
    ends = [(part + 1) * size + min(part + 1, larger) for part in range(parts)]
    return [pages[end - size - (part < larger) : end] for part, end in enumerate(ends)]


def _runs(pages: tuple[int, ...]) -> tuple[tuple[int, int], ...]:
    """Ascending pages as spans of consecutive ones: (1, 2, 3, 7) as ((1, 3), (7, 7))."""
    spans: list[tuple[int, int]] = []
    for page in pages:
        if spans and spans[-1][1] == page - 1:
            spans[-1] = (spans[-1][0], page)
        else:
            spans.append((page, page))
    return tuple(spans)

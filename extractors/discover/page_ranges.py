"""`--pages`: which pages of every input a run asks for, as `1-5,10,-3` (-3: the last three).

A number counts from the first page, a negative one from the end (-1 is the last page), so one
selection fits documents of any length: it is resolved against each document's page count, and
a range past a document's end is clipped to it.
"""

import re
from dataclasses import dataclass
from typing import Annotated

from pydantic import AfterValidator
from pydantic_core import PydanticCustomError

# One item: `7`, `2-5`, `10-` (from page 10 on) or `-3` (the last three pages).
_ITEM = re.compile(r"(?P<first>\d+)?(?P<dash>-)?(?P<last>\d+)?")


@dataclass(frozen=True)
class PageRanges:
    """A page selection; no spans means every page. Page numbers below 0 count from the end."""

    spans: tuple[tuple[int, int], ...] = ()

    @property
    def every_page(self) -> bool:
        return not self.spans

    def of(self, page_count: int) -> tuple[int, ...]:
        """The selected pages of a document of `page_count` pages, in order, each once."""
        if self.every_page:
            return tuple(range(1, page_count + 1))
        chosen: set[int] = set()
        for first, last in self.spans:
            start, end = _resolved(first, page_count), _resolved(last, page_count)
            chosen.update(range(max(1, start), min(page_count, end) + 1))
        return tuple(sorted(chosen))


EVERY_PAGE = PageRanges()


def parse_page_ranges(text: str | None) -> PageRanges:
    """The selection `text` describes; ValueError naming the faulty item when it is malformed."""
    if text is None:
        return EVERY_PAGE
    items = [item.strip() for item in text.split(",")]
    if not any(items):
        raise ValueError("give pages as 1-5,10,-3 (-3: the last three pages)")
    return PageRanges(tuple(_span(item) for item in items))


def canonical_page_ranges(text: str | None) -> str | None:
    """`text` checked and without spaces (a flow parameter's validator); None stays None."""
    if text is None:
        return None
    parse_page_ranges(text)
    return ",".join(item.strip() for item in text.split(","))


def _checked(text: str | None) -> str | None:
    try:
        return canonical_page_ranges(text)
    except ValueError as exc:  # in its own words, without pydantic's "Value error, "
        raise PydanticCustomError("page_ranges", str(exc)) from None


# A run parameter holding a selection: checked where it is given, kept as text (Prefect shows it).
PageSelection = Annotated[str | None, AfterValidator(_checked)]


def _span(item: str) -> tuple[int, int]:
    """(first, last) of one item; -N is (-N, -1), N- is (N, -1)."""
    found = _ITEM.fullmatch(item)
    if not item or found is None or not (found["first"] or found["last"]):
        raise ValueError(f"{item!r} is not a page, a range (2-5, 10-) or a count from the end (-3)")
    first, last = found["first"], found["last"]
    if first is None:  # -N: the last N pages
        return _counted(item, -int(last)), -1
    start = _counted(item, int(first))
    if not found["dash"]:
        return start, start
    if last is None:  # N-: from page N to the end
        return start, -1
    end = _counted(item, int(last))
    if end < start:
        raise ValueError(f"{item!r} ends before it starts")
    return start, end


def _counted(item: str, number: int) -> int:
    if number == 0:
        raise ValueError(f"{item!r}: pages count from 1 (and -1 is the last page)")
    return number


def _resolved(number: int, page_count: int) -> int:
    """A page number counted from the start: -1 is the last page."""
    return number if number > 0 else page_count + 1 + number

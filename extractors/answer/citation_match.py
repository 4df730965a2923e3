"""Finding one value among a document's page words: a run of consecutive words that prints it.

Amounts, dates and times are compared as values (`12.5` is printed `RM12.50`), in runs of one
to four words (`27 Mar 2018`, `6:05 PM`). Text is compared on its letters and digits (case,
punctuation and the spaces OCR drops do not count) with a similarity of at least
`TEXT_SIMILARITY` against a run of words of about its length, which may run over several lines
(an address); short texts (three characters or fewer) must match exactly.
"""

import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from difflib import SequenceMatcher

from extractors.answer.citation_forms import amounts_in, dates_in, text_key, times_in
from extractors.answer.citation_words import PageWords
from extractors.records import Box, PageWord

# Letters and digits in common between a value and a run of words, over their mean length
# (difflib's ratio): 0.8 lets a 30-letter address have ~6 letters misread or missing.
TEXT_SIMILARITY = 0.8
_SHORT_TEXT = 3
_MAX_VALUE_WORDS = 4


@dataclass(frozen=True)
class Found:
    """Where a value was found: its page, the box around its words, and where they were read."""

    page: int
    box: Box
    found_in: str


def find_value(value: object, pages: Sequence[PageWords], near: Found | None) -> Found | None:
    """The run of words that prints `value`; of several, the one nearest `near` (a sibling
    field's place: a line item's amount on its description's line), else the first."""
    matches = list(_matches(value, pages))
    if not matches or near is None:
        return matches[0] if matches else None
    return min(matches, key=lambda found: _distance(found, near))


def _matches(value: object, pages: Sequence[PageWords]) -> Iterator[Found]:
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return _runs(pages, lambda text: value in dates_in(text))
    if isinstance(value, dt.time):
        wanted = value.replace(microsecond=0)
        return _runs(pages, lambda text: _same_time(wanted, times_in(text)))
    if isinstance(value, int | float | Decimal):
        amount = abs(Decimal(str(value)))
        return _runs(pages, lambda text: any(a == amount for a in amounts_in(text)), 1)
    return _text_runs(str(value), pages)


def _same_time(wanted: dt.time, printed: Iterator[dt.time]) -> bool:
    """A time equals a printed one; seconds count only when both have them."""
    return any(
        (time.hour, time.minute) == (wanted.hour, wanted.minute)
        and (time.second == wanted.second or 0 in (time.second, wanted.second))
        for time in printed
    )


def _runs(
    pages: Sequence[PageWords], prints: Callable[[str], bool], longest: int = _MAX_VALUE_WORDS
) -> Iterator[Found]:
    """The shortest runs of 1..`longest` words that print the value, in reading order."""
    for page in pages:
        words = page.words
        start = 0
        while start < len(words):
            end = _run_end(words, start, prints, longest)
            if end is None:
                start += 1
                continue
            # A run that prints the value without its first word starts later.
            if end - start == 1 or not prints(_joined(words[start + 1 : end])):
                yield _found(page, words[start:end])
                start = end
            else:
                start += 1


def _run_end(
    words: Sequence[PageWord], start: int, prints: Callable[[str], bool], longest: int
) -> int | None:
    """The end of the shortest run from `start` that prints the value, if one does."""
    for end in range(start + 1, min(start + longest, len(words)) + 1):
        if prints(_joined(words[start:end])):
            return end
    return None


def _joined(run: Sequence[PageWord]) -> str:
    return " ".join(word.text for word in run)


def _text_runs(value: str, pages: Sequence[PageWords]) -> Iterator[Found]:
    """Runs of words whose letters and digits are like the value's, best first."""
    key = text_key(value)
    scored: list[tuple[float, int, Found]] = []
    for page in pages:
        keys = [text_key(word.text) for word in page.words]
        for start, end, score in _similar_runs(key, keys):
            scored.append((score, len(scored), _found(page, page.words[start:end])))
    scored.sort(key=lambda item: (-item[0], item[1]))
    return iter([found for _, _, found in scored])


def _similar_runs(key: str, keys: Sequence[str]) -> Iterator[tuple[int, int, float]]:
    """(start, end, similarity) of the best run starting at each word, when it is similar
    enough; only runs whose letters number 2/3 to 3/2 of the value's can reach the bar."""
    shortest, longest = len(key) * 2 / 3, len(key) * 3 / 2
    for start, first in enumerate(keys):
        if not first:
            continue
        best: tuple[int, int, float] | None = None
        joined = ""
        for end in range(start + 1, len(keys) + 1):
            joined += keys[end - 1]
            if len(joined) > longest:
                break
            score = _similarity(key, joined) if len(joined) >= shortest else 0.0
            if score >= TEXT_SIMILARITY and (best is None or score > best[2]):
                best = (start, end, score)
        if best is not None:
            yield best


def _similarity(key: str, joined: str) -> float:
    if len(key) <= _SHORT_TEXT:
        return 1.0 if key == joined else 0.0
    matcher = SequenceMatcher(None, key, joined, autojunk=False)
    if matcher.real_quick_ratio() < TEXT_SIMILARITY or matcher.quick_ratio() < TEXT_SIMILARITY:
        return 0.0
    return matcher.ratio()


def _found(page: PageWords, run: Sequence[PageWord]) -> Found:
    box = Box(
        min(w.box.x0 for w in run),
        min(w.box.y0 for w in run),
        max(w.box.x1 for w in run),
        max(w.box.y1 for w in run),
    )
    return Found(page.page, box, page.found_in)


def _distance(found: Found, near: Found) -> float:
    """Pages apart first, then how far apart vertically the boxes' middles are."""
    middle = (found.box.y0 + found.box.y1) / 2
    near_middle = (near.box.y0 + near.box.y1) / 2
    return abs(found.page - near.page) + abs(middle - near_middle)

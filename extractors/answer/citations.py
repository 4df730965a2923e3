"""Fields tied to where they were read: each value of a document row looked up on its pages.

Every citable leaf of the validated fields (strings, amounts and other numbers, dates, times;
nested objects and lists walked, `line_items[2].amount` counting from 0) is looked up among the
words of the document's pages (citation_words.py, citation_match.py). Found, it gets a
`Citation` with its page and box; not found, a doubt `total: not found on the page`, costing the
row's confidence more for the fields a reader checks first (`KEY_FIELDS`): a model that invents
a total is caught there.

Not citable, because the page does not print them as the row holds them: nulls, booleans,
choices (an enum or Literal: the model picks one of the schema's words), and the values the
schemas ask to be normalised (`NORMALISED_FIELDS`: a currency as its ISO code where the page
prints `RM` or `$`, a payment method as `card` where it prints `VISA ****1234`); a text of
fewer than two letters or digits says nothing of where it was read.
"""

import datetime as dt
import enum
import typing
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from pydantic import BaseModel

from extractors.answer.citation_forms import text_key
from extractors.answer.citation_match import Found, find_value
from extractors.answer.citation_words import PageWords
from extractors.trust import Doubt
from schemas.trust import Citation

# The fields a reader checks first; an invented one of these makes the row hard to use.
KEY_FIELDS = frozenset(
    {"total", "date", "merchant_name", "issue_date", "number", "invoice_number", "seller.name"}
)
KEY_FACTOR = 0.6
# Any other field not found: a line item's amount misread, a description paraphrased.
FIELD_FACTOR = 0.9
NORMALISED_FIELDS = frozenset({"currency", "payment_method"})

# No words to look the fields up in (a scan sent to a remote model): a note, not a penalty.
NOT_CHECKED = Doubt("fields not checked against the page: no text layer or OCR lines", 1.0)


@dataclass(frozen=True)
class CitedFields:
    """Where a row's fields were read, and the doubts about those that were not found."""

    citations: tuple[Citation, ...]
    doubts: tuple[Doubt, ...]


def cite_fields(
    values: BaseModel, pages: Sequence[PageWords], unchecked: Sequence[int] = ()
) -> CitedFields:
    """Each citable value of `values` looked up on `pages`; `unchecked` pages had no words.

    A value not found is doubted only when every page was checked: on a document whose other
    pages went unseen (a chunk answer resumed from a killed run) it may be on those, and one
    note says which pages were not checked instead.
    """
    leaves = list(citable_leaves(values))
    if not leaves:
        return CitedFields((), ())
    if not any(page.words for page in pages):
        return CitedFields((), (NOT_CHECKED,))
    citations: list[Citation] = []
    missing: list[str] = []
    anchors: dict[str, Found] = {}
    for path, value in leaves:
        # Within a line item or a party, a value is sought near its siblings; top-level fields
        # are not tied to each other.
        parent = path.rpartition(".")[0]
        found = find_value(value, pages, anchors.get(parent) if parent else None)
        if found is None:
            missing.append(path)
            continue
        anchors.setdefault(parent, found)
        citations.append(_citation(path, value, found))
    if unchecked:
        listed = ", ".join(str(page) for page in unchecked)
        note = Doubt(f"fields not checked against pages {listed}: no text layer or OCR lines", 1.0)
        return CitedFields(tuple(citations), (note,))
    return CitedFields(tuple(citations), tuple(not_found(path) for path in missing))


def not_found(path: str) -> Doubt:
    """The doubt of a value that is nowhere on its pages."""
    factor = KEY_FACTOR if _unindexed(path) in KEY_FIELDS else FIELD_FACTOR
    return Doubt(f"{path}: not found on the page", factor)


def citable_leaves(values: BaseModel, prefix: str = "") -> Iterator[tuple[str, object]]:
    """(path, value) of every value that can be looked up on a page, in field order."""
    for name, info in type(values).model_fields.items():
        if name in NORMALISED_FIELDS or _is_choice(info.annotation):
            continue
        yield from _leaves(f"{prefix}{name}", getattr(values, name))


def _leaves(path: str, value: object) -> Iterator[tuple[str, object]]:
    if isinstance(value, BaseModel):
        yield from citable_leaves(value, f"{path}.")
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            yield from _leaves(f"{path}[{index}]", item)
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _leaves(f"{path}.{key}", item)
    elif _citable(value):
        yield path, value


def _citable(value: object) -> bool:
    if value is None or isinstance(value, bool | enum.Enum):
        return False
    if isinstance(value, str):
        return len(text_key(value)) >= 2
    return isinstance(value, int | float | Decimal | dt.date | dt.time)


def _is_choice(annotation: Any) -> bool:
    """An enum or Literal field, or an optional or list of one."""
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return True
    if typing.get_origin(annotation) is typing.Literal:
        return True
    return any(_is_choice(arg) for arg in typing.get_args(annotation))


def _unindexed(path: str) -> str:
    """`line_items[2].amount` -> `line_items.amount`."""
    while "[" in path:
        head, _, rest = path.partition("[")
        path = head + rest.partition("]")[2]
    return path


def _citation(path: str, value: object, found: Found) -> Citation:
    box = found.box
    return Citation(
        field=path,
        value=_as_text(value),
        page=found.page,
        x0=box.x0,
        y0=box.y0,
        x1=box.x1,
        y1=box.y1,
        found_in=found.found_in,
    )


def _as_text(value: object) -> str:
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return str(value)

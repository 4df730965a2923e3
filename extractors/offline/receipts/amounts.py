"""Amounts read from the lines, each paired with the label it was printed under."""

import itertools
import re
from dataclasses import dataclass
from decimal import Decimal

from extractors.offline.receipts.labels import CHANGE, TENDER, TOTAL
from extractors.offline.receipts.lines import letters

# An amount with exactly two decimals (a comma counts as the decimal mark when followed by
# two digits: "79,60"), with an optional currency prefix and sign. Not part of a date, a time
# or a longer number: "25.12.2018", "11:47.00" and "7.3915" are not amounts.
_AMOUNT = re.compile(
    r"(?<![\d.,:/])(?P<sign>-)?\s?(?:RM|MYR|S?\$|€|£)?\s?(?P<sign2>-)?"
    r"(?:(?P<int>\d{1,3}(?:,\d{3})+|\d+)[.,]|(?<=[\sM$])\.)(?P<dec>\d{2})(?![\d%]|[.,/:]\d)"
)


# "RMO.02", "$O.50", " O.17": a letter O where a zero belongs, before the decimal point.
_O_FOR_ZERO = re.compile(r"(?:(?<=RM)|(?<=[$\s:]))O(?=[.,]\d\d)")


@dataclass(frozen=True)
class Amount:
    """An amount read from the text, with the labels of the line (or column) it was printed on."""

    index: int
    label: str
    value: Decimal


def amounts_in(line: str) -> list[Decimal]:
    """Every amount with two decimals on a line, in order."""
    fixed = _O_FOR_ZERO.sub("0", line.upper())
    found = []
    for match in _AMOUNT.finditer(fixed):
        whole = (match["int"] or "0").replace(",", "")
        value = Decimal(f"{whole}.{match['dec']}")
        negative = match["sign"] or match["sign2"] or _in_parentheses(fixed, match)
        found.append(-value if negative else value)
    return found


def _in_parentheses(line: str, match: re.Match[str]) -> bool:
    """Accounting style negatives: "(0.02)"."""
    return line[: match.start()].rstrip().endswith("(") and line[match.end() :].startswith(")")


def is_amount_only(line: str) -> bool:
    """A line holding just an amount (maybe with its currency): the value of the label above."""
    rest = _AMOUNT.sub("", _O_FOR_ZERO.sub("0", line.upper()))
    return bool(amounts_in(line)) and not re.sub(r"RM|MYR|[^A-Z]", "", rest)


def labelled_amounts(lines: list[str]) -> list[Amount]:
    """Each amount with its label; a label alone on its line takes the next line's amount."""
    found: list[Amount] = []
    for index, line in enumerate(lines):
        values = amounts_in(line)
        label = letters(line)
        if not values and index + 1 < len(lines) and is_amount_only(lines[index + 1]):
            values = amounts_in(lines[index + 1])[-1:]
        found.extend(Amount(index, part, value) for part, value in split_columns(label, values))
    return found


def split_columns(label: str, values: list[Decimal]) -> list[tuple[str, Decimal]]:
    """(label, amount) pairs of a line; two columns read as one line are paired in order.

    "TOTAL ROUNDED CASH 19.40 50.00" is a total and a tender; "CHANGE CASH 30.60 50.00" a change
    and a tender. When the kinds of label and the amounts are as many, they pair up in order;
    otherwise the line's label goes with its last amount.
    """
    if not values:
        return []
    kinds = _label_kinds(label)
    if len(values) >= 2 and len(kinds) == len(values):
        return list(zip(kinds, values, strict=True))
    return [(label, values[-1])]


def _label_kinds(label: str) -> list[str]:
    """The label split where its kind changes (total, tender, change), in order of print."""
    starts = []
    for pattern in (re.compile(TOTAL), TENDER, CHANGE):
        match = pattern.search(label)
        if match:
            starts.append(match.start())
    starts.sort()
    if len(starts) < 2:
        return [label]
    bounds = [0, *starts[1:], len(label)]
    return [label[start:end] for start, end in itertools.pairwise(bounds)]
